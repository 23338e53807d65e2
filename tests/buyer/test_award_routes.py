"""The officer's award pages and the provider's outcome page: sealed before the deadline, every bid side by side
after it, messages shown and nothing changed on refusal, other authorities' records hidden, CSRF required."""

import csv
import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import BidAssessment, OffFrameworkProvider, Placement, PlacementCost, Referral
from portal.services import approvals, awards
from portal.timezone import format_datetime
from tests.buyer.test_awards_service import (
    CHILD_WORDS,
    SCORES_60,
    SCORES_90,
    assess,
    bid_input,
    bid_of,
    competition,
    past_deadline,
    send,
)
from tests.factories import PASSWORD, admit, approve_cost, award_approved, deciders, published_referral

SCORE_FORM_90 = {"needs": "5", "location": "5", "stability": "4", "education": "4", "notes": "Strong on stability"}


def text_of(response) -> str:
    page = response.get_data(as_text=True)
    assert "&lt;" not in page, "markup was escaped into the page's text"
    return page


@pytest.fixture
def sealed(world, clock):
    """Alpha (flagged place with caution) and Beta have bid; the deadline has not passed."""
    admit(world.provider_a, world.lots[0], clock=clock, caution=True)
    referral = competition(world, clock, bidders=[(world.provider_b, bid_input("1000.00", home_area="E08000014"))])
    send(world.provider_a, referral, clock, bid_input("1200.00", therapy="300.00",
                                                      home_description="Zephyr House, a quiet home"))
    return referral


@pytest.fixture
def opened(world, clock, sealed):
    past_deadline(clock, sealed)
    return sealed


@pytest.fixture
def assessed(world, clock, opened):
    assess(world, opened, world.provider_a, SCORES_90, clock)
    assess(world, opened, world.provider_b, SCORES_60, clock)
    return opened


def award_form(bid, **overrides) -> dict:
    """The award form as sent."""
    data = {"bid_id": str(bid.id), "reason": ""}
    data.update(overrides)
    return data


def test_the_cost_is_asked_for_from_the_award_page_approved_by_a_budget_holder_and_then_awarded(world, clock,
                                                                                               sign_in, assessed):
    client, holder = sign_in(world.member_officer), deciders(world, clock).budget_holder
    beta = bid_of(assessed, world.provider_b)
    url = url_for("buyer.referral_award", referral_id=assessed.id)
    response = client.post(url, data=award_form(beta, ask="y"))
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    asked = approvals.latest(assessed, "placement_cost")
    assert (asked.basis, asked.weekly_cost, asked.is_pending) == (f"bid {beta.id}", beta.price_for_award, True)
    page = text_of(client.get(url))
    assert "Beta Homes" in page and "Waiting for an answer" in page
    refused = client.post(url, data=award_form(beta, reason="Nearer school"))
    assert refused.status_code == 400 and "waiting for an answer" in text_of(refused)
    # the budget holder answers on the approval page; the officer then awards
    answered = sign_in(holder).post(url_for("buyer.approval_answer", approval_id=asked.id),
                                    data={"decision": "approve"})
    assert answered.status_code == 302
    # asking again for the same bid (an old tab) keeps the approval
    again = client.post(url, data=award_form(beta, ask="y"), follow_redirects=True)
    assert "The weekly cost of this bid was already approved" in text_of(again)
    db.session.refresh(asked)
    assert approvals.latest(assessed, "placement_cost") is asked and asked.is_approved
    response = client.post(url, data=award_form(beta, reason="Nearer school"))
    assert response.status_code == 302
    placement = db.session.scalars(db.select(Placement)).one()
    assert placement.cost_approval_id == asked.id
    # the approver, their role and the time, on the placement (the agreement: tests/portal/documents)
    shown = html.unescape(text_of(client.get(response.headers["Location"])))
    assert f"Cost approved Approved by Bea Okonkwo-Lind (Budget holder), {format_datetime(clock.now())}" in \
        " ".join(re.sub(r"<[^>]+>", " ", shown).split())


# The bids page -----------------------------------------------------------------------------------------------

def test_before_the_deadline_the_bids_are_sealed_and_only_counted(world, clock, sign_in, sealed):
    client = sign_in(world.member_officer)
    page = text_of(client.get(url_for("buyer.referral_bids", referral_id=sealed.id)))
    assert f"Bids are sealed until {format_datetime(sealed.rounds[0].deadline)}" in page
    assert "Bids received so far: <strong>2</strong>" in page
    for secret in ("Alpha Care", "Beta Homes", "1,500", "1,000", "Zephyr House", "Weekly therapy"):
        assert secret not in page
    response = client.get(url_for("buyer.referral_bids_csv", referral_id=sealed.id))
    assert response.status_code == 404 and "Alpha" not in text_of(response)
    bid = bid_of(sealed, world.provider_a)
    response = client.get(url_for("buyer.assess_bid", bid_id=bid.id))
    assert response.status_code == 302
    assert "Zephyr" not in text_of(client.get(response.headers["Location"]))
    response = client.post(url_for("buyer.assess_bid", bid_id=bid.id), data=SCORE_FORM_90)
    assert response.status_code == 302 and db.session.scalar(db.select(db.func.count(BidAssessment.id))) == 0


def test_after_the_deadline_every_bid_is_shown_side_by_side(world, clock, sign_in, opened):
    client = sign_in(world.member_officer)
    page = text_of(client.get(url_for("buyer.referral_bids", referral_id=opened.id)))
    for shown in ("Alpha Care", "Beta Homes", "Place with caution", "Core weekly fee: £1,200.00",
                  "Weekly therapy sessions: £300.00", "Weekly price bid: £1,500.00", "Weekly price bid: £1,000.00",
                  "£300.00 more than the indicative £1,200.00", "30 November 2026", "Member", "Tameside",
                  "Zephyr House, a quiet home", "A keyworker and a school link worker", "Not assessed",
                  "Score every bid before you award"):
        assert shown in page, shown
    assert "Award this referral" not in page


def test_the_workings_are_shown_once_assessed(world, clock, sign_in, assessed):
    page = text_of(sign_in(world.member_officer).get(url_for("buyer.referral_bids", referral_id=assessed.id)))
    for figure in ("90.00", "54.0000", "26.6667", "80.6667", "60.00", "36.0000", "40.0000", "76.0000",
                   "60% quality, 40% cost", "Award this referral"):
        assert figure in page, figure
    assert page.index("Alpha Care") < page.index("Beta Homes")  # best ranked first


def test_the_csv_has_every_bid_and_its_workings(world, clock, sign_in, assessed):
    response = sign_in(world.member_officer).get(url_for("buyer.referral_bids_csv", referral_id=assessed.id))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text_of(response))))
    assert [row["Provider"] for row in rows] == ["Alpha Care", "Beta Homes"]
    alpha, beta = rows
    assert (alpha["Rank"], alpha["Quality (%)"], alpha["Quality component"], alpha["Cost component"],
            alpha["Total"]) == ("1", "90.0000", "54.0000", "26.6667", "80.6667")
    assert alpha["Place with caution"] == "Yes" and alpha["Price for award (£)"] == "1500.00"
    assert "Weekly therapy sessions: 300.00 a week, First 12 weeks, review 2027-02-01" in alpha["Additional costs"]
    assert (beta["Rank"], beta["Total"], beta["Lowest price (£)"]) == ("2", "76.0000", "1000.00")


# Assessing and negotiating -------------------------------------------------------------------------------------

def test_officer_scores_a_bid(world, clock, sign_in, opened):
    client = sign_in(world.member_officer)
    bid = bid_of(opened, world.provider_a)
    page = text_of(client.get(url_for("buyer.assess_bid", bid_id=bid.id)))
    assert "Assess the bid from Alpha Care" in page and "Meets the child&#39;s needs" in page
    response = client.post(url_for("buyer.assess_bid", bid_id=bid.id), data=SCORE_FORM_90)
    assert response.status_code == 302
    assert "Scores saved for Alpha Care" in text_of(client.get(response.headers["Location"]))
    db.session.expire_all()
    assessment = bid_of(opened, world.provider_a).assessment
    assert (assessment.needs, assessment.stability, assessment.notes) == (5, 4, "Strong on stability")


@pytest.mark.parametrize("bad", ["4.5", "\u00b2", "9"])
def test_a_bad_score_is_shown_and_nothing_is_saved(world, clock, sign_in, opened, bad):
    client = sign_in(world.member_officer)
    bid = bid_of(opened, world.provider_a)
    response = client.post(url_for("buyer.assess_bid", bid_id=bid.id), data={**SCORE_FORM_90, "education": bad})
    page = text_of(response)
    assert response.status_code == 400
    assert "There is a problem" in page and "Score “Education” as a whole number from 0 to 5" in page
    assert 'href="#education' in page
    assert "Strong on stability" in page  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count(BidAssessment.id))) == 0


def test_officer_records_a_negotiated_price(world, clock, sign_in, assessed):
    client = sign_in(world.member_officer)
    bid = bid_of(assessed, world.provider_b)
    response = client.post(url_for("buyer.negotiate_bid", bid_id=bid.id),
                           data={"negotiate-price": "800", "negotiate-note": "Agreed by phone"})
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Weekly price of £800.00 agreed with Beta Homes recorded" in page
    assert "Negotiated: £800.00" in page and "75.3333" in page


@pytest.mark.parametrize(("price", "message"), [
    ("eight hundred", "Enter the weekly price agreed in pounds and pence, like 1,450.00"),
    ("1e5", "Enter the weekly price agreed in pounds and pence, like 1,450.00"),
    ("-800", "The weekly price agreed must be more than £0"),
    ("100,000.01", "The weekly price agreed must be £100,000 or less"),
])
def test_a_bad_negotiated_price_is_shown_and_nothing_changes(world, clock, sign_in, assessed, price, message):
    client = sign_in(world.member_officer)
    bid = bid_of(assessed, world.provider_b)
    response = client.post(url_for("buyer.negotiate_bid", bid_id=bid.id),
                           data={"negotiate-price": price, "negotiate-note": "Agreed by phone"})
    page = text_of(response)
    assert response.status_code == 400
    assert message in page
    assert "Agreed by phone" in page
    db.session.expire_all()
    assert bid_of(assessed, world.provider_b).negotiated_weekly_price is None


# Awarding ----------------------------------------------------------------------------------------------------

def test_the_award_page_names_the_top_ranked_bid_and_refuses_while_bids_are_unassessed(world, clock, sign_in,
                                                                                      opened):
    client = sign_in(world.member_officer)
    page = text_of(client.get(url_for("buyer.referral_award", referral_id=opened.id)))
    assert "Score every bid before you award" in page and "<form" not in page.split("Sign out")[-1]
    assess(world, opened, world.provider_a, SCORES_90, clock)
    assess(world, opened, world.provider_b, SCORES_60, clock)
    page = text_of(client.get(url_for("buyer.referral_award", referral_id=opened.id)))
    assert "Ranked first: <strong>Alpha Care</strong>" in page
    assert "Alpha Care (place with caution): ranked 1, total 80.6667, £1,500.00 a week" in page
    assert "A budget holder must approve the chosen bid" in page
    assert "Ask a budget holder to approve this bid" in page


def test_a_bid_not_ranked_first_needs_a_reason_and_nothing_changes(world, clock, sign_in, assessed):
    client = sign_in(world.member_officer)
    beta = bid_of(assessed, world.provider_b)
    response = client.post(url_for("buyer.referral_award", referral_id=assessed.id), data=award_form(beta))
    page = text_of(response)
    assert response.status_code == 400
    assert "Give the reason for choosing a bid that is not ranked first" in page and 'href="#reason"' in page
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0
    assert db.session.get(Referral, assessed.id).awarded_at is None


@pytest.mark.parametrize(("overrides", "message"), [
    ({"bid_id": ""}, "Choose the bid you award"),
    ({"bid_id": "99999999999999999999"}, "Choose the bid you award"),
    ({}, "Ask a budget holder to approve this bid&#39;s weekly cost before awarding it"),
])
def test_award_form_mistakes_are_shown_and_nothing_changes(world, clock, sign_in, assessed, overrides, message):
    client = sign_in(world.member_officer)
    response = client.post(url_for("buyer.referral_award", referral_id=assessed.id),
                           data=award_form(bid_of(assessed, world.provider_a), **overrides))
    assert response.status_code == 400 and message in text_of(response)
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0


def test_a_caution_bid_is_tagged_and_awarded_only_once_the_caution_is_acknowledged(world, clock, sign_in, assessed):
    client = sign_in(world.member_officer)
    page = text_of(client.get(url_for("buyer.referral_award", referral_id=assessed.id)))
    assert "Alpha Care <strong class=\"govuk-tag govuk-tag--red\">" in page.replace("\n", "").replace("  ", "")
    assert "Alpha Care is marked place with caution" in page
    assert "I have read the caution and still wish to award" in page
    alpha = bid_of(assessed, world.provider_a)
    approve_cost(world, assessed, alpha, clock)
    response = client.post(url_for("buyer.referral_award", referral_id=assessed.id), data=award_form(alpha))
    page = text_of(response)
    assert response.status_code == 400
    assert ("Alpha Care is marked place with caution: confirm that you have read the caution and still wish to "
            "award") in page and 'href="#caution_acknowledged"' in page
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0
    assert db.session.get(Referral, assessed.id).awarded_at is None
    response = client.post(url_for("buyer.referral_award", referral_id=assessed.id),
                           data=award_form(alpha, caution_acknowledged="y"))
    assert response.status_code == 302
    assert db.session.scalars(db.select(Placement)).one().provider_id == world.provider_a.organisation_id


def test_officer_awards_and_sees_the_placement(world, clock, sign_in, assessed):
    client = sign_in(world.member_officer)
    beta = bid_of(assessed, world.provider_b)
    approve_cost(world, assessed, beta, clock)
    response = client.post(url_for("buyer.referral_award", referral_id=assessed.id),
                           data=award_form(beta, reason="Nearer the child's school"))
    assert response.status_code == 302
    placement = db.session.scalars(db.select(Placement)).one()
    assert response.headers["Location"].endswith(url_for("buyer.placement", placement_id=placement.id))
    page = text_of(client.get(response.headers["Location"]))
    for shown in (f"Referral {assessed.reference} awarded to Beta Homes", f"IPA-{assessed.reference}",
                  "Placement with Beta Homes", "On framework", "Kestrel Quennell-Abara", "CN-48213-Q",
                  "Core weekly fee", "£1,000.00", "30 November 2026",
                  f"Approved by Bea Okonkwo-Lind (Budget holder), {format_datetime(clock.now())}",
                  "Nearer the child&#39;s school", "Download the individual placement agreement (PDF)"):
        assert shown in page, shown
    again = client.post(url_for("buyer.referral_award", referral_id=assessed.id), data=award_form(beta))
    assert again.status_code == 302 and db.session.scalar(db.select(db.func.count(Placement.id))) == 1
    # the bids can no longer be changed
    page = text_of(client.get(url_for("buyer.assess_bid", bid_id=beta.id)))
    assert "<form method=\"post\" action=\"/authority/bids" not in page


def test_award_is_refused_before_the_deadline_with_nothing_changed(world, clock, sign_in, sealed):
    client = sign_in(world.member_officer)
    response = client.post(url_for("buyer.referral_award", referral_id=sealed.id),
                           data=award_form(bid_of(sealed, world.provider_a)))
    assert response.status_code == 400 and "you can award once the deadline has passed" in text_of(response)
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0


def test_a_bid_of_another_authority_is_not_found_on_the_award_form(world, clock, sign_in, assessed):
    other = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))
    other.authority_id = world.lead.id  # another authority's referral (the lead is a member too)
    db.session.commit()
    other_bid = send(world.provider_a, other, clock, bid_input("900.00"))
    response = sign_in(world.member_officer).post(url_for("buyer.referral_award", referral_id=assessed.id),
                                                  data=award_form(other_bid))
    assert response.status_code == 404
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0


def test_the_lead_authoritys_officer_sees_404_on_the_members_referral(world, clock, sign_in, assessed):
    client = sign_in(world.lead_officer)
    bid = bid_of(assessed, world.provider_a)
    placement = award_approved(world, clock, assessed, bid, reason="", now=clock.now(), caution_acknowledged=True)
    for url in (url_for("buyer.referral_bids", referral_id=assessed.id),
                url_for("buyer.referral_bids_csv", referral_id=assessed.id),
                url_for("buyer.assess_bid", bid_id=bid.id),
                url_for("buyer.referral_award", referral_id=assessed.id),
                url_for("buyer.placement", placement_id=placement.id),
                url_for("buyer.placement_agreement", placement_id=placement.id)):
        assert client.get(url).status_code == 404, url
    assert client.post(url_for("buyer.assess_bid", bid_id=bid.id), data=SCORE_FORM_90).status_code == 404
    assert client.post(url_for("buyer.negotiate_bid", bid_id=bid.id),
                       data={"negotiate-price": "1", "negotiate-note": "x"}).status_code == 404


def test_csrf_token_is_required(csrf_app, world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))
    bid = send(world.provider_a, referral, clock, bid_input("1000.00"))
    past_deadline(clock, referral)
    client = csrf_app.test_client()
    page = text_of(client.get("/sign-in"))
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/sign-in", data={"email": world.member_officer.email, "password": PASSWORD, "csrf_token": token})
    response = client.post(url_for("buyer.assess_bid", bid_id=bid.id), data=SCORE_FORM_90)
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(BidAssessment.id))) == 0
    response = client.post(url_for("buyer.negotiate_bid", bid_id=bid.id),
                           data={"negotiate-price": "800", "negotiate-note": "x"})
    assert response.status_code == 400


def test_an_emergency_placement_page_shows_when_the_qa_visit_is_due(world, clock, sign_in):
    referral = competition(world, clock, needed_by="today",
                           bidders=[(world.provider_a, bid_input("1000.00", proposed_start=date(2026, 11, 20)))])
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    placement = award_approved(world, clock, referral, bid_of(referral, world.provider_a), reason="", now=clock.now())
    page = text_of(sign_in(world.member_officer).get(url_for("buyer.placement", placement_id=placement.id)))
    assert "A quality-assurance visit is due by 23 November 2026 at 12:00am" in page
    assert url_for("buyer.qa_visit", placement_id=placement.id) in page


# The placement page, for off-framework placements too -----------------------------------------------------------

def test_an_off_framework_placement_is_clearly_marked(world, clock, sign_in):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))
    placement = off_framework_placement(world, clock, referral)
    page = text_of(sign_in(world.member_officer).get(url_for("buyer.placement", placement_id=placement.id)))
    assert "Off framework" in page and "Placement with Harbour Lights Care" in page
    assert "SC999001" in page and "Local support worker" in page and "£1,850.00" in page
    response = sign_in(world.member_officer).get(url_for("buyer.placement_agreement", placement_id=placement.id))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def off_framework_placement(world, clock, referral) -> Placement:
    """An off-framework placement as that service stores it (its own rules are tested with it)."""
    now = clock.now()
    provider = OffFrameworkProvider(authority_id=world.member.id, name="Harbour Lights Care", ofsted_urn="SC999001",
                                    local_authority_area="Wirral", created_by_id=world.member_officer.id,
                                    created_at=now, updated_at=now)
    placement = Placement(
        agreement_reference=f"IPA-{referral.reference}", referral_id=referral.id, authority_id=world.member.id,
        on_framework=False, off_framework_provider=provider, weekly_cost=Decimal("1850.00"),
        start_date=date(2026, 12, 1), location_area="Wirral", in_home_area=False, location_was_preferred=False,
        created_by_id=world.member_officer.id,
        created_at=now, qa_visit_due_at=now + timedelta(days=3), qa_visit_notes="",
        costs=[PlacementCost(position=1, description="Core weekly fee", weekly_amount=Decimal("1600.00"),
                             timescale=""),
               PlacementCost(position=2, description="Local support worker", weekly_amount=Decimal("250.00"),
                             timescale="First 8 weeks", review_date=date(2027, 1, 26))])
    db.session.add(placement)
    db.session.commit()
    return placement


# The provider's outcome page -----------------------------------------------------------------------------------

def test_each_provider_sees_only_its_own_outcome(world, clock, sign_in, assessed):
    assert sign_in(world.provider_a).get(url_for("supplier.referral_outcome",
                                                 referral_id=assessed.id)).status_code == 404
    award_approved(world, clock, assessed, bid_of(assessed, world.provider_a), reason="", now=clock.now(),
                   caution_acknowledged=True)
    won = text_of(sign_in(world.provider_a).get(url_for("supplier.referral_outcome", referral_id=assessed.id)))
    for shown in ("Your bid has been awarded", f"IPA-{assessed.reference}", "£1,500.00", "Weekly therapy sessions",
                  "£300.00", "1 February 2027", "30 November 2026", "The authority will send the agreement to sign",
                  "1 of 2 bids"):
        assert shown in won, shown
    lost = text_of(sign_in(world.provider_b).get(url_for("supplier.referral_outcome", referral_id=assessed.id)))
    for shown in ("Your bid was not successful", "2 of 2 bids", "60.0%", "76.00 out of 100", "£1,000.00"):
        assert shown in lost, shown
    for secret in ("Alpha Care", "1,500", "80.6", "Weekly therapy", f"IPA-{assessed.reference}"):
        assert secret not in lost, secret
    assert "Beta Homes" not in won and "1,000" not in won
    for page in (won, lost):
        for word in (*CHILD_WORDS, world.member_officer.name):
            assert word not in page, word


def test_a_bidders_total_is_rounded_half_up(world, clock, sign_in):
    """Beta: 75% quality and £1,600 against the lowest £1,045, so 45 + 40 × 1045 ÷ 1600 = exactly 71.125."""
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1045.00")),
                                                  (world.provider_b, bid_input("1600.00", home_area="E08000014"))])
    past_deadline(clock, referral)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    assess(world, referral, world.provider_b, {"needs": 4, "location": 4, "stability": 4, "education": 3}, clock)
    award_approved(world, clock, referral, bid_of(referral, world.provider_a), reason="", now=clock.now())
    page = text_of(sign_in(world.provider_b).get(url_for("supplier.referral_outcome", referral_id=referral.id)))
    assert "71.13 out of 100" in page and "75.0%" in page and "£1,600.00" in page
    assert "71.12" not in page


# Query counts ------------------------------------------------------------------------------------------------

def test_the_bids_page_runs_as_many_queries_for_many_bids_as_for_few(world, clock, sign_in):
    from tests.portal.test_query_counts import MANY, add_provider, assert_constant

    bidders = [add_provider(world, index) for index in range(MANY)]
    for user in bidders:
        admit(user, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))
    before, after = clock.now(), referral.rounds[0].deadline + timedelta(hours=1)

    def add_bids(start: int, end: int) -> None:
        for index in range(start, end):
            clock.set(before)
            bid = send(bidders[index], referral, clock, bid_input(f"{1000 + index}.00", therapy="100.00"))
            clock.set(after)
            awards.assess(world.member_officer, bid, scores=SCORES_90, notes="Seen", now=clock.now())
            if index % 2:
                awards.negotiate(world.member_officer, bid, price=f"{900 + index}.00", note="Agreed",
                                 now=clock.now())

    clock.set(after)
    client = sign_in(world.member_officer)  # signed in when the pages are read, so the session is fresh
    assert_constant(client, url_for("buyer.referral_bids", referral_id=referral.id), add_bids,
                    shows=lambda index: f"Provider {index:02d}")


def test_a_losing_bidder_sees_its_own_scores_notes_and_that_a_reason_was_recorded(world, clock, sign_in, opened):
    awards.assess(world.member_officer, bid_of(opened, world.provider_b),
                  scores={"needs": 5, "location": 5, "stability": 5, "education": 4},
                  notes="Close to Kestrel's college; a settled team", now=clock.now())
    awards.assess(world.member_officer, bid_of(opened, world.provider_a),
                  scores={"needs": 2, "location": 1, "stability": 3, "education": 2},
                  notes="Zephyr notes: only a weekend vacancy", now=clock.now())
    award_approved(world, clock, opened, bid_of(opened, world.provider_a),
                   reason="Kestrel asked to stay near his sister", now=clock.now(), caution_acknowledged=True)
    lost = html.unescape(text_of(sign_in(world.provider_b).get(url_for("supplier.referral_outcome",
                                                                       referral_id=opened.id))))
    for shown in ("Your bid was not successful", "1 of 2 bids", "Meets the child's needs", "5 out of 5",
                  "Education", "4 out of 5", "Close to [removed] college; a settled team",
                  "The authority awarded a bid ranked below yours and recorded its reason"):
        assert shown in lost, shown
    for secret in ("Alpha Care", "1,500", "1,200", "Zephyr", "weekend vacancy", "2 out of 5", "1 out of 5",
                   "sister", *CHILD_WORDS, world.member_officer.name):
        assert secret not in lost, secret
    won = text_of(sign_in(world.provider_a).get(url_for("supplier.referral_outcome", referral_id=opened.id)))
    assert "Your bid has been awarded" in won and "1 out of 5" in won and "Zephyr notes: only a weekend vacancy" in won
    assert "Beta Homes" not in won and "settled team" not in won and "ranked below yours" not in won
