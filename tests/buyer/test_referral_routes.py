"""The officer's referral pages (buyer/referrals.py): what each shows, and how each refuses bad input with a clear
message, changing nothing."""

import html
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Approval, BidInvitation, Notification, Referral, ReferralRound
from portal.models.approval import FUNDING
from portal.models.user import COMMISSIONING_OFFICER
from portal.services import approvals, referrals
from tests.factories import (
    admit,
    approve_funding,
    authority_user,
    build_dps,
    deciders,
    draft_referral,
    provider_user,
    published_referral,
    referral_fields,
)
from tests.portal.test_auth_routes import assert_form_not_sent, csrf_sign_in, csrf_token_of, text_of


def base(referral) -> str:
    return f"/authority/referrals/{referral.id}"


def form_data(lot, **overrides) -> dict:
    """The referral form as a browser sends it, for referral_fields() and the canary child."""
    data = {
        "lot_id": str(lot.id), "needed_by": "more_than_5_days", "siblings_to_place_with": "0",
        "preferred_areas": "E08000008", "preferred_areas_2": "E08000004", "preferred_areas_3": "",
        "preferred_location": "Near the college", "communication_needs": "no", "adaptations_needed": "no",
        "adaptations_detail": "", "cultural_needs": "not_required", "cultural_detail": "",
        "live_alongside": "with_other_children", "pets": "yes_can", "additional_support": ["therapeutic_support"],
        "deprivation_of_liberty": "no", "suitability_foster": "suitable", "suitability_residential": "unsuitable",
        "suitability_supported": "preferred", "risks_to_child": ["going_missing", "self_harm"],
        "age_years": "16", "required_start": ["4", "1", "2027"], "expected_duration": "Until 18",
        "needs_summary": "A young person preparing for independence.", "education_needs": "At college",
        "indicative_weekly_price": "1,250.50", "quality_weight": "", "cost_weight": "",
        "child_first_names": "Kestrel", "child_surname": "Quennell-Abara", "child_known_as": "",
        "child_date_of_birth": ["14", "3", "2010"], "child_case_number": "CN-48213-Q",
    }
    data.update(overrides)
    return data


def stored() -> list[Referral]:
    return db.session.scalars(db.select(Referral).order_by(Referral.id)).all()


@pytest.fixture
def officer(world, sign_in):
    return sign_in(world.member_officer)


@pytest.fixture
def admitted(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], tier=2, caution=True, clock=clock)


# The list ----------------------------------------------------------------------------------------------------

def test_the_list_shows_the_authoritys_referrals_newest_first(world, clock, officer, admitted):
    draft = draft_referral(world, clock)
    clock.advance(minutes=1)
    live = published_referral(world, clock, deadline=datetime(2026, 11, 5, 12, 0), needed_by="within_5_days")
    referrals.create(world.lead_officer, lot=world.lots[0], fields=referral_fields(),
                     child={"first_names": "Other", "surname": "Child", "date_of_birth": datetime(2010, 1, 1).date(),
                            "case_number": "X-1"}, now=clock.now())
    page = text_of(officer.get("/authority/referrals"))
    assert page.index(live.reference) < page.index(draft.reference)
    assert "Kestrel Q." in page and "Quennell-Abara" not in page
    assert "Lot 1: Semi-independence" in page and "Within 5 days" in page
    assert "Open for bids" in page and "Draft" in page
    assert "5 November 2026 at 12:00pm" in page
    assert "Other C." not in page and "2 referrals" in page


def test_the_list_filters_by_status_and_paginates(world, clock, officer):
    for _ in range(27):
        draft_referral(world, clock)
    page = text_of(officer.get("/authority/referrals?status=draft"))
    assert "27 referrals draft" in page and "T-DPS-R0027" in page and "T-DPS-R0002" not in page
    second = text_of(officer.get("/authority/referrals?status=draft&page=2"))
    assert "T-DPS-R0002" in second and "T-DPS-R0027" not in second
    assert "No referrals are open for bids." in text_of(officer.get("/authority/referrals?status=open"))
    # An unknown status shows them all rather than failing
    assert "27 referrals, newest first" in text_of(officer.get("/authority/referrals?status=bogus"))


def test_officers_find_referrals_in_the_menu_and_on_their_dashboard(world, clock, officer):
    draft_referral(world, clock)
    dashboard = officer.get("/authority/").get_data(as_text=True)
    assert 'href="/authority/referrals"' in dashboard and 'href="/authority/referrals/new"' in dashboard
    assert "0 referrals open for bids, 0 closed and awaiting a decision, and 1 draft." in text_of(
        officer.get("/authority/"))
    listing = officer.get("/authority/referrals").get_data(as_text=True)
    assert 'href="/authority/referrals" aria-current="true"' in listing
    assert 'href="/authority/" aria-current' not in listing


# A new referral ----------------------------------------------------------------------------------------------

def test_a_new_referral_starts_with_the_choice_of_lot(world, clock, officer):
    build_dps(world.outside_admin, clock, reference="ELSEWHERE")  # not an arrangement of the member's
    page = text_of(officer.get("/authority/referrals/new"))
    assert "Test arrangement T-DPS: Lot 1: Semi-independence (ages 16 to 18)" in page
    assert "ELSEWHERE" not in page
    response = officer.get("/authority/referrals/new?chosen=1")
    assert response.status_code == 400 and "Select the lot the placement is for" in text_of(response)
    assert officer.post("/authority/referrals/new", data={}).status_code == 400
    form = text_of(officer.get(f"/authority/referrals/new?lot_id={world.lots[0].id}"))
    for legend in ("Availability", "Requirements", "Recommendation", "Risks", "The placement",
                   "The child (private)"):
        assert f">{legend}</h2>" in form or legend in form
    assert "Only Member Council can see this" in form
    assert "Leave both weights empty to use the arrangement's weighting (60% quality, 40% cost)" in form


def test_a_lot_of_another_arrangement_is_not_found(world, clock, officer):
    other = build_dps(world.outside_admin, clock, reference="ELSEWHERE")
    assert officer.get(f"/authority/referrals/new?lot_id={other.lots[0].id}").status_code == 404
    assert officer.post("/authority/referrals/new", data=form_data(other.lots[0])).status_code == 404
    assert officer.get("/authority/referrals/new?lot_id=99999").status_code == 404
    assert stored() == []


def test_a_new_referral_is_saved_as_a_draft(world, clock, officer):
    response = officer.post("/authority/referrals/new", data=form_data(world.lots[0]))
    assert response.status_code == 302
    referral = stored()[0]
    assert response.headers["Location"].endswith(base(referral))
    assert (referral.age_years, referral.indicative_weekly_price, referral.risks_to_child) == (
        16, Decimal("1250.50"), "self_harm,going_missing")
    assert referral.child.case_number == "CN-48213-Q" and not referral.adaptations_needed
    page = text_of(officer.get(base(referral)))
    assert f"Draft referral {referral.reference} saved" in page


def test_every_mistake_is_shown_at_once_and_nothing_is_saved(world, clock, officer):
    data = form_data(world.lots[0], needed_by="soon", age_years="sixteen", required_start=["31", "2", "2027"],
                     indicative_weekly_price="1.2.3", preferred_location="Near OL6 7AB", needs_summary="",
                     child_first_names="", child_date_of_birth=["", "", ""], siblings_to_place_with="12",
                     pets="dragons")
    response = officer.post("/authority/referrals/new", data=data)
    page = text_of(response)
    assert response.status_code == 400
    for message in ("Select when the placement is needed", "Enter a whole number, like 4",
                    "Enter a real date, with the day, month and year as numbers",
                    "Enter the indicative weekly price in pounds and pence, like 1,450.00",
                    "Give an area, not a full postcode: remove “OL6 7AB”",
                    "Enter the number of siblings as a whole number from 0 to 10",
                    "Select whether the child can live with pets"):
        assert message in page, message
    # Left empty is no mistake in a draft: that is for publishing.
    assert "Enter a summary of the child" not in page and "Enter the child&#39;s first names" not in page
    assert "Enter the child's age in years" not in page  # the unreadable number is reported once
    assert 'value="1.2.3"' in response.get_data(as_text=True)  # shown back as typed
    assert stored() == []


@pytest.mark.parametrize(("changes", "message"), [
    ({"age_years": "12"}, "Lot 1: Semi-independence is for ages 16 to 18: choose another lot, or check the age"),
    ({"required_start": ["1", "11", "2026"]}, "The start date must be today or in the future"),
    ({"indicative_weekly_price": "-10"}, "The indicative weekly price must be more than £0"),
    ({"indicative_weekly_price": "250000"}, "The indicative weekly price must be £100,000 or less"),
    ({"indicative_weekly_price": "1e5"}, "Enter the indicative weekly price in pounds and pence, like 1,450.00"),
    ({"indicative_weekly_price": "12,50"}, "Enter the indicative weekly price in pounds and pence, like 1,450.00"),
    ({"quality_weight": "70", "cost_weight": "40"}, "that add up to 100"),
    ({"preferred_location": "12 Acacia Avenue"}, "Give an area, not an address"),
    ({"child_date_of_birth": ["1", "1", "2030"]}, "The date of birth must be in the past"),
    ({"age_years": "200"}, "Enter an age from 0 to 25"),
])
def test_each_bad_answer_is_refused_with_its_message(world, clock, officer, changes, message):
    response = officer.post("/authority/referrals/new", data=form_data(world.lots[0], **changes))
    assert response.status_code == 400
    assert message in text_of(response)
    assert stored() == []


# Changing a draft --------------------------------------------------------------------------------------------

def test_a_draft_is_shown_for_changing_and_saved(world, clock, officer):
    referral = draft_referral(world, clock)
    page = officer.get(f"{base(referral)}/edit").get_data(as_text=True)
    assert '<option value="E08000008" selected>Tameside</option>' in page
    assert '<option value="E08000004" selected>Oldham</option>' in page
    assert 'value="Kestrel"' in page and 'value="1200.00"' in page
    response = officer.post(f"{base(referral)}/edit", data=form_data(world.lots[0], age_years="17",
                                                                       child_known_as="Kes"))
    assert response.status_code == 302
    db.session.refresh(referral)
    assert referral.age_years == 17 and referral.child.known_as == "Kes"
    response = officer.post(f"{base(referral)}/edit", data=form_data(world.lots[0], age_years="40"))
    assert response.status_code == 400 and "Enter an age from 0 to 25" in text_of(response)
    db.session.refresh(referral)
    assert referral.age_years == 17


def test_a_published_referral_cannot_be_changed(world, clock, officer, admitted):
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=2))
    response = officer.get(f"{base(referral)}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(base(referral))
    response = officer.post(f"{base(referral)}/edit", data=form_data(world.lots[0], age_years="17"))
    assert response.status_code == 302
    assert "Only a draft can be changed" in text_of(officer.get(base(referral)))
    db.session.refresh(referral)
    assert referral.age_years == 16


def test_another_authoritys_referral_is_not_found_on_every_page(world, clock, sign_in, admitted):
    draft = draft_referral(world, clock)
    live = published_referral(world, clock, deadline=clock.now() + timedelta(days=2))
    client = sign_in(world.lead_officer)
    for referral in (draft, live):
        for suffix in ("", "/edit", "/check", "/publish", "/reopen", "/withdraw"):
            assert client.get(base(referral) + suffix).status_code == 404, suffix
        for suffix in ("/edit", "/funding", "/publish", "/reopen", "/exhaust", "/withdraw"):
            assert client.post(base(referral) + suffix, data={"reason": "x"}).status_code == 404, suffix
    assert sign_in(world.member_officer).get("/authority/referrals/99999").status_code == 404
    assert draft.status(clock.now()) == "draft" and live.status(clock.now()) == "open"


# The anonymity check -----------------------------------------------------------------------------------------

def test_the_check_marks_each_finding_in_place_with_a_link_to_change_it(world, clock, officer):
    referral = draft_referral(world, clock, needs_summary="Kestrel was born 14/03/2010 <b>bold</b>",
                              education_needs="Call 0161 496 0123")
    response = officer.get(f"{base(referral)}/check")
    html = response.get_data(as_text=True)
    assert "<mark>Kestrel</mark>" in html and "<mark>14/03/2010</mark>" in html
    assert "<mark>0161 496 0123</mark>" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # the officer's text is escaped, never markup
    page = text_of(response)
    assert "3 things could identify the child" in page
    assert "Summary of needs: Remove the child's name “Kestrel”" in page
    assert "Education needs: Remove the telephone number “0161 496 0123”" in page
    assert f'href="{base(referral)}/edit#needs_summary"' in html
    assert f'href="{base(referral)}/edit#education_needs"' in html
    assert "Ready to publish" not in page


def test_a_clean_referral_is_ready_to_publish_once_funded(world, clock, officer):
    referral = draft_referral(world, clock)
    page = text_of(officer.get(f"{base(referral)}/check"))
    assert "Nothing found that identifies the child." in page
    assert "Ask a budget holder to approve the funding" in page and "Ready to publish" not in page
    approve_funding(world, referral, clock)
    assert "Ready to publish" in text_of(officer.get(f"{base(referral)}/check"))


# Funding -----------------------------------------------------------------------------------------------------

def test_funding_is_asked_for_with_clear_mistakes_and_approved_by_a_budget_holder(world, clock, officer, sign_in):
    holder = deciders(world, clock).budget_holder
    referral = draft_referral(world, clock, indicative_weekly_price=None)
    page = text_of(officer.get(base(referral)))
    assert "Weekly cost you expect to pay" in page
    for typed, message in (("", "Enter the weekly cost you expect to pay"), ("lots", "Enter the weekly cost you "
                                                                                      "expect to pay")):
        response = officer.post(f"{base(referral)}/funding", data={"expected_weekly": typed})
        assert response.status_code == 400 and message in text_of(response)
    assert approvals.latest(referral, FUNDING) is None
    response = officer.post(f"{base(referral)}/funding", data={"expected_weekly": "1,400.00"})
    assert response.status_code == 302
    asked = approvals.latest(referral, FUNDING)
    assert (asked.weekly_cost, asked.annual_cost, asked.requested_by_id) == (Decimal("1400.00"), Decimal("72800.00"),
                                                                             world.member_officer.id)
    assert "The funding approval is waiting for an answer" in text_of(officer.get(base(referral)))
    # the budget holder is told, and answers from the approval page
    told = db.session.scalars(db.select(Notification).where(Notification.user_id == holder.id)).all()
    assert [n.link for n in told] == [f"/authority/approvals/{asked.id}"]
    deadline = {"deadline_date": ["5", "11", "2026"], "deadline_time": "12:00"}
    early = officer.post(f"{base(referral)}/publish", data=deadline)
    assert early.status_code == 400 and "The funding approval is waiting for an answer" in text_of(early)
    assert db.session.get(Referral, referral.id).published_at is None
    response = sign_in(holder).post(f"/authority/approvals/{asked.id}/answer", data={"decision": "approve"})
    assert response.status_code == 302
    page = text_of(officer.get(base(referral)))
    assert "Approved by Bea Okonkwo-Lind (Budget holder)" in page
    # the next step: the officer publishes
    admit(world.provider_a, world.lots[0], clock=clock)
    published = officer.post(f"{base(referral)}/publish", data=deadline)
    assert published.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).published_at is not None

# Publishing --------------------------------------------------------------------------------------------------

def test_the_publish_page_shows_who_will_be_invited_and_the_default_deadline(world, clock, officer):
    admit(world.provider_a, world.lots[0], clock=clock)
    caution = provider_user("Gamma Homes", "gamma@provider.example.org", clock)
    admit(caution, world.lots[0], caution=True, clock=clock)
    admit(world.provider_b, world.lots[0], tier=2, clock=clock)
    referral = draft_referral(world, clock)
    response = officer.get(f"{base(referral)}/publish")
    html, page = response.get_data(as_text=True), text_of(response)
    assert "2 providers will be invited (tier 1)" in page
    assert "Alpha Care" in page and "Gamma Homes" in page and "Beta Homes" not in page
    assert "Place with caution" in page
    assert "Ask a budget holder to approve the funding" in page
    # More than 5 days from Monday 2 November: midday five working days on
    assert 'id="deadline_date-day" name="deadline_date" type="text" value="09"' in html
    assert 'value="12:00"' in html


def test_publishing_with_a_bad_deadline_is_refused(world, clock, officer, admitted):
    referral = draft_referral(world, clock)
    approve_funding(world, referral, clock)
    url = f"{base(referral)}/publish"
    for data, message in (
        ({}, "Enter the date bids close"),
        ({"deadline_date": ["5", "11", "2026"], "deadline_time": "noonish"}, "Enter the time bids close"),
        ({"deadline_date": ["1", "11", "2026"], "deadline_time": "12:00"},
         "The deadline for bids must be in the future"),
        ({"deadline_date": ["32", "11", "2026"], "deadline_time": "12:00"}, "Enter a real date"),
    ):
        response = officer.post(url, data=data)
        assert response.status_code == 400 and message in text_of(response), message
    assert referral.published_at is None and db.session.scalar(db.select(db.func.count(ReferralRound.id))) == 0


def test_publishing_is_refused_while_the_text_identifies_the_child(world, clock, officer, admitted):
    referral = draft_referral(world, clock, expected_duration="Until Kestrel turns 18")
    approve_funding(world, referral, clock)
    response = officer.post(f"{base(referral)}/publish", data={"deadline_date": ["5", "11", "2026"],
                                                              "deadline_time": "17:00"})
    assert response.status_code == 400
    assert "Remove the 1 thing that could identify the child (in expected duration)" in text_of(response)
    assert referral.published_at is None


def test_publishing_invites_the_first_tier_once(world, clock, officer, admitted):
    referral = draft_referral(world, clock)
    approve_funding(world, referral, clock)
    data = {"deadline_date": ["5", "11", "2026"], "deadline_time": "5pm"}
    response = officer.post(f"{base(referral)}/publish", data=data)
    assert response.status_code == 302
    db.session.refresh(referral)
    assert referral.current_round.deadline == datetime(2026, 11, 5, 17, 0)
    assert [i.provider_id for i in referral.invitations] == [world.provider_a.organisation_id]
    assert "published: 1 provider invited to bid" in text_of(officer.get(base(referral)))
    again = officer.post(f"{base(referral)}/publish", data=data)
    assert again.status_code == 400 and "You cannot publish this referral: the referral is open for bids" in text_of(
        again)
    assert db.session.scalar(db.select(db.func.count(BidInvitation.id))) == 1


# The referral page -------------------------------------------------------------------------------------------

def test_the_referral_page_marks_the_private_part_and_counts_bids_only(world, clock, officer, admitted):
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=2))
    page = text_of(officer.get(base(referral)))
    assert "Only Member Council can see this" in page and "Kestrel Quennell-Abara" in page
    assert "CN-48213-Q" in page and "14 March 2010" in page
    assert "0 bids received so far: they stay sealed until then" in page
    assert "Round 1 (tier 1)" in page and "Alpha Care" in page and "Beta Homes" not in page
    assert "60% quality, 40% cost, fixed" in page
    html = officer.get(base(referral)).get_data(as_text=True)
    assert f'href="{base(referral)}/bids"' not in html
    # What providers see is shown as text, never as escaped markup.
    assert "&lt;span" not in html and "portal-notice" in html


def test_a_closed_referral_links_to_its_bids_and_to_the_next_tier(world, clock, sign_in, admitted):
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=2))
    invitation = referrals.invitation_for(world.provider_a, referral.id)
    invitation.decline(reason="no_vacancy", detail="Full until spring", by=world.provider_a, at=clock.now())
    db.session.commit()
    clock.advance(days=2)
    client = sign_in(world.member_officer)
    html = client.get(base(referral)).get_data(as_text=True)
    page = text_of(client.get(base(referral)))
    if "buyer.referral_bids" in client.application.view_functions:
        assert f'href="{base(referral)}/bids"' in html
    assert "Re-open the referral to tier 2" in page
    assert "Declined: No vacancy (Full until spring)" in page
    assert "Mark the framework as exhausted" not in page


# Re-opening, exhausting, withdrawing -------------------------------------------------------------------------

def test_re_opening_needs_a_closed_round_and_a_deadline(world, clock, sign_in, admitted):
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=2))
    client = sign_in(world.member_officer)
    assert "can be re-opened only once its round has closed" in text_of(client.get(f"{base(referral)}/reopen"))
    response = client.post(f"{base(referral)}/reopen", data={"deadline_date": ["9", "11", "2026"],
                                                            "deadline_time": "12:00"})
    assert response.status_code == 400 and "You cannot re-open this referral" in text_of(response)
    clock.advance(days=2)
    client = sign_in(world.member_officer)
    page = text_of(client.get(f"{base(referral)}/reopen"))
    assert "1 provider will be invited (tier 2)" in page and "Beta Homes" in page and "Place with caution" in page
    response = client.post(f"{base(referral)}/reopen", data={})
    assert response.status_code == 400 and "Enter the date bids close" in text_of(response)
    response = client.post(f"{base(referral)}/reopen", data={"deadline_date": ["9", "11", "2026"],
                                                            "deadline_time": "12:00"})
    assert response.status_code == 302
    db.session.refresh(referral)
    assert [r.tier for r in referral.rounds] == [1, 2]
    assert len(referral.invitations) == 2


def test_exhausting_is_refused_while_a_tier_is_left_then_allowed(world, clock, sign_in, admitted):
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=1))
    clock.advance(days=1)
    client = sign_in(world.member_officer)
    response = client.post(f"{base(referral)}/exhaust")
    assert response.status_code == 400 and "Tier 2 has not been approached yet" in text_of(response)
    referrals.reopen_to_next_tier(world.member_officer, referral, deadline=clock.now() + timedelta(days=1),
                                  now=clock.now())
    clock.advance(days=1)
    client = sign_in(world.member_officer)
    assert "Every tier has been approached" in text_of(client.get(base(referral)))
    assert client.post(f"{base(referral)}/exhaust").status_code == 302
    db.session.refresh(referral)
    assert referral.status(clock.now()) == "exhausted"
    assert client.post(f"{base(referral)}/exhaust").status_code == 400


def test_withdrawing_needs_a_reason(world, clock, officer, admitted):
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=1))
    assert "Every provider invited is told" in text_of(officer.get(f"{base(referral)}/withdraw"))
    response = officer.post(f"{base(referral)}/withdraw", data={"reason": "  "})
    assert response.status_code == 400 and "Give the reason for withdrawing the referral" in text_of(response)
    assert referral.withdrawn_at is None
    assert officer.post(f"{base(referral)}/withdraw", data={"reason": "Placed with family"}).status_code == 302
    page = text_of(officer.get(base(referral)))
    assert "Withdrawn on" in page and "Placed with family" in page
    again = officer.post(f"{base(referral)}/withdraw", data={"reason": "Again"})
    assert again.status_code == 400 and "the referral is withdrawn" in text_of(again)


# CSRF --------------------------------------------------------------------------------------------------------

def test_publishing_without_the_forms_csrf_token_is_refused(csrf_app, world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = draft_referral(world, clock)
    approve_funding(world, referral, clock)
    client = csrf_sign_in(csrf_app, world.member_officer)
    data = {"deadline_date": ["5", "11", "2026"], "deadline_time": "12:00"}
    assert_form_not_sent(client.post(f"{base(referral)}/publish", data=data))
    assert_form_not_sent(client.post(f"{base(referral)}/publish", data={**data, "csrf_token": "forged"}))
    assert referral.published_at is None
    token = csrf_token_of(client.get(f"{base(referral)}/publish"))
    assert client.post(f"{base(referral)}/publish", data={**data, "csrf_token": token}).status_code == 302


def test_publishing_is_refused_while_the_text_names_the_authoritys_staff(world, clock, officer, admitted):
    authority_user(world.member, "Priya Ramsden", "priya@member.example.org", [COMMISSIONING_OFFICER], clock)
    former = authority_user(world.member, "Tomasz Wrigglesworth", "tomasz@member.example.org", [], clock)
    former.active = False
    authority_user(world.lead, "Quentin Harrowgate", "quentin@lead.example.org", [COMMISSIONING_OFFICER], clock)
    referral = draft_referral(world, clock, needs_summary="Call Priya Ramsden on Tuesdays about contact.",
                              education_needs="Wrigglesworth has the college's details. Quentin Harrowgate too.")
    approve_funding(world, referral, clock)
    response = officer.post(f"{base(referral)}/publish", data={"deadline_date": ["5", "11", "2026"],
                                                              "deadline_time": "17:00"})
    assert response.status_code == 400
    assert ("Remove the 2 names of your authority's staff (in summary of needs, education needs)"
            in html.unescape(text_of(response)))
    assert referral.published_at is None and db.session.scalar(db.select(db.func.count(ReferralRound.id))) == 0
    check = html.unescape(text_of(officer.get(f"{base(referral)}/check")))
    assert "2 things could identify the child or name your staff" in check
    assert "<mark>Priya Ramsden</mark>" in check and "<mark>Wrigglesworth</mark>" in check
    assert "Remove the name of a member of your authority's staff “Priya Ramsden”" in check
    assert "<mark>Quentin Harrowgate</mark>" not in check  # another authority's officer is not this one's staff


def test_a_colleague_whose_surname_is_an_everyday_word_does_not_block_publishing(world, clock, officer, admitted):
    authority_user(world.member, "Jo Young", "jo@member.example.org", [COMMISSIONING_OFFICER], clock)
    referral = draft_referral(world, clock, needs_summary="Young people's group work suits him.")
    approve_funding(world, referral, clock)
    response = officer.post(f"{base(referral)}/publish", data={"deadline_date": ["5", "11", "2026"],
                                                              "deadline_time": "17:00"})
    db.session.expire_all()
    assert response.status_code == 302 and referral.published_at is not None



# Partial drafts ----------------------------------------------------------------------------------------------

def test_a_draft_with_only_the_age_is_saved_and_completed_before_publishing(world, clock, officer, admitted):
    empty = {name: "" for name in form_data(world.lots[0])}
    response = officer.post("/authority/referrals/new", data={
        **empty, "lot_id": str(world.lots[0].id), "age_years": "17", "required_start": ["", "", ""],
        "child_date_of_birth": ["", "", ""], "additional_support": [], "risks_to_child": []})
    assert response.status_code == 302, text_of(response)
    (referral,) = stored()
    assert (referral.age_years, referral.needed_by, referral.child.first_names) == (17, None, "")

    page = html.unescape(text_of(officer.get(base(referral))))
    assert "Still to do" in page and "Not given yet" in page
    edit = f"{base(referral)}/edit"
    for anchor, message in (("needed_by", "Select when the placement is needed"),
                            ("preferred_areas", "Choose the preferred area"),
                            ("required_start-day", "Enter the date the placement must start"),
                            ("needs_summary", "Enter a summary of the child's needs"),
                            ("child_first_names", "Enter the child's first names"),
                            ("child_date_of_birth-day", "Enter the child's date of birth")):
        assert f'<a class="govuk-link" href="{edit}#{anchor}">{message}</a>' in page, message
    assert f'href="{edit}#age_years"' not in page
    assert f'id="{"needs_summary"}"' in officer.get(edit).get_data(as_text=True)

    approve_funding(world, referral, clock)
    refused = officer.post(f"{base(referral)}/publish", data={"deadline_date": ["5", "11", "2026"],
                                                             "deadline_time": "17:00"})
    assert refused.status_code == 400
    refused_page = html.unescape(text_of(refused))
    for message in ("Complete the referral: select when the placement is needed",
                    "Complete the referral: enter a summary of the child's needs",
                    "Complete the referral: enter the child's case number"):
        assert message in refused_page, message
    db.session.expire_all()
    assert referral.published_at is None and db.session.scalar(db.select(db.func.count(ReferralRound.id))) == 0

    assert officer.post(edit, data=form_data(world.lots[0], age_years="17",
                                             child_date_of_birth=["14", "3", "2009"])).status_code == 302
    assert "Still to do" not in text_of(officer.get(base(referral)))
    # the draft now has an indicative price, which the funding approved before (at the expected cost) is not for
    refused = officer.post(f"{base(referral)}/publish", data={"deadline_date": ["5", "11", "2026"],
                                                             "deadline_time": "17:00"})
    assert refused.status_code == 400
    assert ("The funding was approved for £1,200.00 a week but the indicative price is now £1,250.50: ask again"
            in html.unescape(text_of(refused)))
    db.session.expire_all()
    approve_funding(world, db.session.get(Referral, referral.id), clock)
    published = officer.post(f"{base(referral)}/publish", data={"deadline_date": ["5", "11", "2026"],
                                                               "deadline_time": "17:00"})
    assert published.status_code == 302
    db.session.expire_all()
    assert referral.published_at is not None


def test_the_lists_show_a_draft_without_the_childs_name(world, clock, officer):
    draft = referrals.create(world.member_officer, lot=world.lots[0], fields={"age_years": 16}, child={},
                             now=clock.now())
    page = text_of(officer.get("/authority/referrals"))
    assert "Not given yet" in page and draft.reference in page
    assert officer.get(f"{base(draft)}/publish").status_code == 200


def test_asking_for_the_funding_again_keeps_the_answer_and_tells_nobody_twice(world, clock, officer, sign_in):
    """A double submit or a stale tab posting the funding form again: the request stands, approved or waiting."""
    holder = deciders(world, clock).budget_holder
    referral = draft_referral(world, clock, indicative_weekly_price=Decimal("1450.00"))
    assert re.search(r"approve the funding\s*</button>", officer.get(base(referral)).get_data(as_text=True))
    assert officer.post(f"{base(referral)}/funding", data={}).status_code == 302
    asked = approvals.latest(referral, FUNDING)
    page = text_of(officer.get(base(referral)))
    assert "waiting for an answer" in page and "withdraw the request" in page
    assert not re.search(r"approve the funding\s*</button>", officer.get(base(referral)).get_data(as_text=True))
    response = officer.post(f"{base(referral)}/funding", data={}, follow_redirects=True)
    assert "The funding was already asked for: it is waiting for an answer" in text_of(response)
    sign_in(holder).post(f"/authority/approvals/{asked.id}/answer", data={"decision": "approve"})
    told = db.session.scalar(db.select(db.func.count(Notification.id)))
    response = officer.post(f"{base(referral)}/funding", data={}, follow_redirects=True)
    assert "The funding was already approved" in text_of(response)
    db.session.refresh(asked)
    assert asked.status == "approved" and referrals.funding_approval(referral) == asked
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == told
    assert db.session.scalar(db.select(db.func.count(Approval.id))) == 1


def test_funding_nobody_can_approve_is_refused_on_the_page(world, clock, officer):
    referral = draft_referral(world, clock, indicative_weekly_price=Decimal("1450.00"))
    response = officer.post(f"{base(referral)}/funding", data={})
    assert response.status_code == 400
    assert ("Nobody at Member Council can approve £75,400.00 a year: no budget holder's limit covers it and there "
            "is no assistant director. Ask your user administrator.") in text_of(response)
    assert approvals.latest(referral, FUNDING) is None


def test_a_decider_reading_a_referral_goes_back_to_their_tasks(world, clock, sign_in):
    """Back to their tasks, where they came from; the referral list in their menu is one they may read."""
    holder = deciders(world, clock).budget_holder
    referral = draft_referral(world, clock)
    client = sign_in(holder)
    html = client.get(base(referral)).get_data(as_text=True)
    assert re.search(r'<a href="/authority/tasks" class="govuk-back-link">\s*Back to tasks', html)
    assert 'href="/authority/referrals"' in html and client.get("/authority/referrals").status_code == 200
