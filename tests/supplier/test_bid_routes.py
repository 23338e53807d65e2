"""The provider's referral pages: the list, the anonymised referral, the bid form, the receipt, withdrawing and
declining. Every bad input gets a message the provider sees, with what was typed kept and nothing stored."""

import html
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Bid, BidInvitation, BidReceipt
from portal.services import bids, referrals
from portal.timezone import format_datetime
from tests.factories import admit, published_referral
from tests.portal.test_auth_routes import assert_form_not_sent, csrf_sign_in, csrf_token_of

CANARY = "Marigold-Lantern-7731 therapeutic parenting"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def bid_form(**overrides) -> dict:
    """The bid form as a browser sends it: every row's boxes, the empty ones too."""
    data = {"core_weekly_fee": "1234.56", "proposed_start": ["20", "11", "2026"], "home_area": "E08000008",
            "home_description": "Two experienced foster carers", "how_needs_met": f"Through {CANARY}"}
    for index in range(5):
        data.update({f"costs-{index}-description": "", f"costs-{index}-weekly_amount": "",
                     f"costs-{index}-timescale": "", f"costs-{index}-review_date": ["", "", ""]})
    data.update({"costs-0-description": "1:1 support at school", "costs-0-weekly_amount": "150.00",
                 "costs-0-timescale": "First 12 weeks", "costs-0-review_date": ["1", "2", "2027"]})
    data.update(overrides)
    return data


@pytest.fixture
def referral(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    return published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(hours=1))


def base(referral) -> str:
    return f"/provider/referrals/{referral.id}"


def deadline_of(referral):
    return referral.rounds[0].deadline


def stored(referral) -> list[Bid]:
    db.session.expire_all()
    return db.session.scalars(db.select(Bid).where(Bid.referral_id == referral.id)).all()


def receipts() -> int:
    return db.session.scalar(db.select(db.func.count(BidReceipt.id)))


# The list and the referral ---------------------------------------------------------------------------------------

def test_the_list_shows_each_referral_and_what_the_provider_did(world, clock, referral, sign_in):
    client = sign_in(world.provider_a)
    page = text_of(client.get("/provider/referrals"))
    assert referral.reference in page and world.lots[0].label in page
    assert format_datetime(deadline_of(referral)) in page and "Not responded" in page
    client.post(f"{base(referral)}/bid", data=bid_form())
    assert "Bid sent" in text_of(client.get("/provider/referrals"))
    # Beta was not invited: the list says so.
    other = text_of(sign_in(world.provider_b).get("/provider/referrals"))
    assert referral.reference not in other and "You have not been invited" in other


def test_the_referral_page_offers_bid_and_decline_while_open(world, referral, sign_in):
    page = text_of(sign_in(world.provider_a).get(base(referral)))
    assert referral.reference in page and format_datetime(deadline_of(referral)) in page
    assert f'href="{base(referral)}/bid"' in page and f'href="{base(referral)}/decline"' in page
    assert "Withdraw" not in page


def test_after_bidding_the_page_shows_the_bid_with_revise_and_withdraw(world, referral, sign_in):
    client = sign_in(world.provider_a)
    client.post(f"{base(referral)}/bid", data=bid_form())
    page = text_of(client.get(base(referral)))
    [bid] = stored(referral)
    assert "Revise your bid" in page and f'action="{base(referral)}/withdraw"' in page
    assert f'href="{base(referral)}/decline"' not in page
    assert "£1,384.56" in page and bid.content_sha256 in page


def test_once_the_deadline_has_passed_nothing_can_be_done(world, clock, referral, sign_in):
    clock.set(deadline_of(referral))
    client = sign_in(world.provider_a)
    page = text_of(client.get(base(referral)))
    assert f"The deadline for bids was {format_datetime(deadline_of(referral))}" in page
    assert f'href="{base(referral)}/bid"' not in page and f'href="{base(referral)}/decline"' not in page
    form_page = text_of(client.get(f"{base(referral)}/bid"))
    assert "bids can no longer be sent or changed" in form_page and 'name="core_weekly_fee"' not in form_page


# Sending a bid ---------------------------------------------------------------------------------------------------

def test_sending_a_bid_leads_to_its_receipt(world, clock, referral, sign_in):
    client = sign_in(world.provider_a)
    assert client.get(f"{base(referral)}/bid").status_code == 200
    response = client.post(f"{base(referral)}/bid", data=bid_form())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base(referral)}/receipt")
    [bid] = stored(referral)
    assert bid.weekly_price == Decimal("1384.56") and bid.revision == 1
    page = text_of(client.get(f"{base(referral)}/receipt"))
    for shown in ("Bid sent", bid.content_sha256, format_datetime(clock.now()), "£1,234.56", "£150.00",
                  "1:1 support at school", "First 12 weeks", "1 February 2027", "£1,384.56"):
        assert shown in page, shown


def test_the_receipt_page_before_any_bid_leads_back_to_the_referral(world, referral, sign_in):
    response = sign_in(world.provider_a).get(f"{base(referral)}/receipt")
    assert response.status_code == 302 and response.headers["Location"].endswith(base(referral))


def test_the_form_is_filled_in_for_a_revision(world, referral, sign_in):
    client = sign_in(world.provider_a)
    client.post(f"{base(referral)}/bid", data=bid_form())
    page = client.get(f"{base(referral)}/bid").get_data(as_text=True)
    assert 'value="1234.56"' in page and 'value="1:1 support at school"' in page
    assert '<option value="E08000008" selected>Tameside</option>' in page
    assert "Send revised bid" in page


def test_sending_the_same_form_twice_revises_the_one_bid(world, referral, sign_in):
    client = sign_in(world.provider_a)
    assert client.post(f"{base(referral)}/bid", data=bid_form()).status_code == 302
    assert client.post(f"{base(referral)}/bid", data=bid_form()).status_code == 302
    [bid] = stored(referral)
    assert bid.revision == 2 and receipts() == 2
    assert "Bid revised" in text_of(client.get(f"{base(referral)}/receipt"))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"core_weekly_fee": ""}, "Enter the core weekly fee"),
    ({"core_weekly_fee": "12.345"}, "with no more than 2 decimal places"),
    ({"core_weekly_fee": "-40"}, "The core weekly fee must be more than £0"),
    ({"core_weekly_fee": "250000"}, "The core weekly fee must be £100,000 or less"),
    ({"proposed_start": ["", "", ""]}, "Enter the date the placement could start"),
    ({"proposed_start": ["31", "2", "2027"]}, "Enter a real date, with the day, month and year as numbers"),
    ({"proposed_start": ["1", "11", "2026"]}, "The proposed start date must be today or in the future"),
    ({"home_area": "OL6 7AB"}, "Choose the area of the home or carers from the list"),
    ({"home_area": "E10000017"}, "Choose the district the home is in, not the county"),  # Lancashire
    ({"how_needs_met": ""}, "Say how you will meet the child's needs"),
    ({"costs-0-timescale": ""}, "Enter the timescale of additional cost 1, like First 12 weeks"),
    ({"costs-0-review_date": ["", "", ""]}, "Enter the review date of additional cost 1"),
    ({"costs-0-review_date": ["1", "11", "2026"]},
     "The review date of additional cost 1 must be after the proposed start date"),
    ({"costs-2-description": "Taxis", "costs-2-weekly_amount": "ten"},
     "Enter the weekly amount of additional cost 3 in pounds and pence, like 1,450.00"),
    ({"core_weekly_fee": "1e3"}, "Enter the core weekly fee in pounds and pence, like 1,450.00"),
    ({"core_weekly_fee": "NaN"}, "Enter the core weekly fee in pounds and pence, like 1,450.00"),
])
def test_bad_input_is_shown_with_what_was_typed_and_nothing_is_stored(world, referral, sign_in, overrides, message):
    response = sign_in(world.provider_a).post(f"{base(referral)}/bid", data=bid_form(**overrides))
    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page and message in page
    assert "Two experienced foster carers" in page  # what was typed is kept
    assert CANARY in page or "how_needs_met" in overrides
    assert stored(referral) == [] and receipts() == 0


def test_a_date_that_cannot_be_read_is_shown_with_the_other_mistakes(world, referral, sign_in):
    response = sign_in(world.provider_a).post(f"{base(referral)}/bid", data=bid_form(
        proposed_start=["31", "2", "2027"], home_area="", core_weekly_fee="abc"))
    page = text_of(response)
    assert response.status_code == 400
    assert "Enter a real date" in page and "Choose the area of the home or carers from the list" in page
    assert "Enter the core weekly fee in pounds and pence, like 1,450.00" in page and 'value="abc"' in page
    assert 'href="#proposed_start"' in page and 'href="#home_area"' in page
    assert stored(referral) == []


def test_a_late_bid_shows_the_deadline_and_keeps_what_was_typed(world, clock, referral, sign_in):
    client = sign_in(world.provider_a)
    assert client.get(f"{base(referral)}/bid").status_code == 200
    clock.set(deadline_of(referral))  # the provider was still typing
    response = client.post(f"{base(referral)}/bid", data=bid_form(core_weekly_fee="1999.99"))
    assert response.status_code == 400
    page = text_of(response)
    assert f"The deadline for bids was {format_datetime(deadline_of(referral))}; your bid was not sent" in page
    assert page.count("your bid was not sent") == 1  # in the error summary, once
    assert 'value="1999.99"' in page and CANARY in page
    assert stored(referral) == [] and receipts() == 0


def test_a_late_revision_keeps_the_bid_as_it_was(world, clock, referral, sign_in):
    client = sign_in(world.provider_a)
    client.post(f"{base(referral)}/bid", data=bid_form())
    clock.set(deadline_of(referral) + timedelta(seconds=5))
    response = client.post(f"{base(referral)}/bid", data=bid_form(core_weekly_fee="1"))
    assert response.status_code == 400 and "your bid was not sent" in text_of(response)
    [bid] = stored(referral)
    assert bid.revision == 1 and bid.core_weekly_fee == Decimal("1234.56")


# Someone else's referral -----------------------------------------------------------------------------------------

def test_a_referral_the_provider_was_not_invited_to_is_not_found(world, referral, sign_in):
    client = sign_in(world.provider_b)
    for url in (base(referral), f"{base(referral)}/bid", f"{base(referral)}/receipt", f"{base(referral)}/decline"):
        assert client.get(url).status_code == 404, url
    for url in (f"{base(referral)}/bid", f"{base(referral)}/withdraw", f"{base(referral)}/decline"):
        assert client.post(url, data=bid_form() | {"reason": "no_vacancy"}).status_code == 404, url
    assert stored(referral) == []
    assert not db.session.scalar(db.select(BidInvitation.declined_at).where(BidInvitation.referral_id == referral.id))
    assert sign_in(world.provider_a).get("/provider/referrals/999999").status_code == 404


# Withdrawing -----------------------------------------------------------------------------------------------------

def test_withdrawing_a_bid(world, referral, sign_in):
    client = sign_in(world.provider_a)
    client.post(f"{base(referral)}/bid", data=bid_form())
    response = client.post(f"{base(referral)}/withdraw")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base(referral)}/receipt")
    [bid] = stored(referral)
    assert bid.status == "withdrawn" and receipts() == 2
    page = text_of(client.get(f"{base(referral)}/receipt"))
    assert "Bid withdrawn" in page and "You can send a new bid until" in page
    # Withdrawing again says so and changes nothing.
    client.post(f"{base(referral)}/withdraw")
    assert "already been withdrawn" in text_of(client.get(base(referral))) and receipts() == 2
    assert "Withdrawn" in text_of(client.get("/provider/referrals"))


def test_withdrawing_without_a_bid_or_after_the_deadline_says_why(world, clock, referral, sign_in):
    client = sign_in(world.provider_a)
    response = client.post(f"{base(referral)}/withdraw")
    assert response.status_code == 302
    assert "You have not sent a bid for this referral" in text_of(client.get(base(referral)))
    client.post(f"{base(referral)}/bid", data=bid_form())
    clock.set(deadline_of(referral))
    client.post(f"{base(referral)}/withdraw")
    assert "your bid can no longer be withdrawn" in text_of(client.get(base(referral)))
    assert stored(referral)[0].status == "submitted"


# Declining -------------------------------------------------------------------------------------------------------

def test_declining_a_referral(world, referral, sign_in):
    client = sign_in(world.provider_a)
    page = text_of(client.get(f"{base(referral)}/decline"))
    for label in ("No vacancy", "Cannot meet the needs", "Location", "Other"):
        assert label in page
    response = client.post(f"{base(referral)}/decline", data={"reason": "location", "detail": ""})
    assert response.status_code == 302
    page = text_of(client.get(base(referral)))
    assert "You have declined this referral" in page and "Location" in page
    assert f'href="{base(referral)}/bid"' not in page
    assert "Declined" in text_of(client.get("/provider/referrals"))
    assert client.post(f"{base(referral)}/bid", data=bid_form()).status_code == 400
    assert stored(referral) == []


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Choose why you cannot bid"),
    ({"reason": "other", "detail": " "}, "Say why you cannot bid"),
    ({"reason": "made_up"}, "Choose why you cannot bid"),
])
def test_declining_without_a_reason_or_detail_is_refused(world, referral, sign_in, data, message):
    response = sign_in(world.provider_a).post(f"{base(referral)}/decline", data=data)
    assert response.status_code == 400 and message in text_of(response)
    db.session.expire_all()
    assert not referrals.invitation_for(world.provider_a, referral.id).has_declined


def test_declining_after_bidding_asks_for_the_bid_to_be_withdrawn(world, referral, sign_in):
    client = sign_in(world.provider_a)
    client.post(f"{base(referral)}/bid", data=bid_form())
    assert "withdraw your bid first" in text_of(client.get(f"{base(referral)}/decline"))
    response = client.post(f"{base(referral)}/decline", data={"reason": "no_vacancy"})
    assert response.status_code == 400 and "withdraw it first" in text_of(response)


# CSRF, navigation ------------------------------------------------------------------------------------------------

def test_a_bid_without_the_forms_csrf_token_is_refused(csrf_app, world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(hours=1))
    client = csrf_sign_in(csrf_app, world.provider_a)
    assert_form_not_sent(client.post(f"{base(referral)}/bid", data=bid_form()))
    assert_form_not_sent(client.post(f"{base(referral)}/bid", data=bid_form(csrf_token="forged")))
    assert_form_not_sent(client.post(f"{base(referral)}/decline", data={"reason": "no_vacancy"}))
    assert stored(referral) == []
    token = csrf_token_of(client.get(f"{base(referral)}/bid"))
    assert client.post(f"{base(referral)}/bid", data=bid_form(csrf_token=token)).status_code == 302
    assert_form_not_sent(client.post(f"{base(referral)}/withdraw"))
    assert stored(referral)[0].status == "submitted"


def test_providers_find_referrals_in_the_menu_and_on_their_dashboard(world, referral, sign_in):
    client = sign_in(world.provider_a)
    dashboard = client.get("/provider/").get_data(as_text=True)
    assert 'href="/provider/referrals"' in dashboard
    assert "Referrals" in dashboard
    assert bids.received_count(referral) == 0


# The list's queries ----------------------------------------------------------------------------------------------

def test_the_list_runs_the_same_queries_however_many_referrals(world, clock, sign_in):
    from tests.portal.test_query_counts import assert_constant

    admit(world.provider_a, world.lots[0], clock=clock)
    references = {}

    def add(start, stop):
        for index in range(start, stop):
            referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=3))
            references[index] = referral.reference
            invitation = referrals.invitation_for(world.provider_a, referral.id)
            if index % 3 == 1:
                bids.submit(world.provider_a, invitation, bids.BidInput(
                    core_weekly_fee="1000", proposed_start=clock.now().date(), home_area="E08000002",
                    home_description="A home", how_needs_met="Well"), clock.now())
            elif index % 3 == 2:
                bids.decline(world.provider_a, invitation, reason="no_vacancy", detail="", now=clock.now())

    assert_constant(sign_in(world.provider_a), "/provider/referrals", add, shows=lambda index: references[index])


def test_the_home_area_offers_districts_and_nations_but_no_county(world, referral, sign_in):
    page = text_of(sign_in(world.provider_a).get(f"{base(referral)}/bid"))
    assert '<option value="E07000118">Chorley (Lancashire)</option>' in page
    assert '<option value="W92000004">Wales</option>' in page
    assert 'value="E10000017"' not in page  # Lancashire
