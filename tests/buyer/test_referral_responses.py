"""The sealed rule for the invited providers' responses (services.referrals.responses): before a round's deadline the
officer learns counts only, never who bid or who declined; after it, each provider's response."""

import re
from datetime import timedelta

from flask import url_for

from portal.extensions import db
from portal.models import AuditEvent
from portal.services import audit, bids, referrals
from tests.buyer.test_awards_service import bid_input, send
from tests.factories import admit, published_referral
from tests.portal.test_auth_routes import text_of as html_of


def text_of(response) -> str:
    """The page's words as a reader sees them: no markup, one space between words."""
    return " ".join(re.sub(r"<[^>]+>", " ", html_of(response)).split())


def _two_invited_one_bid_one_declined(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=2))
    send(world.provider_a, referral, clock, bid_input("1000.00"))
    bids.decline(world.provider_b, referrals.invitation_for(world.provider_b, referral.id), reason="other",
                 detail="Our only vacancy went yesterday", now=clock.now())
    return referral


def test_before_the_deadline_the_referral_page_gives_counts_and_names_only(world, clock, sign_in):
    referral = _two_invited_one_bid_one_declined(world, clock)
    page = text_of(sign_in(world.member_officer).get(url_for("buyer.referral", referral_id=referral.id)))
    assert "Alpha Care" in page and "Beta Homes" in page
    assert "Bids received 1" in page and "Declined 1" in page and "No response yet 0" in page
    assert "Declined:" not in page and "Not declined" not in page and "Our only vacancy" not in page
    assert "Other" not in page.split("Providers invited")[1]
    assert page.count("Sealed until") == 2


def test_after_the_deadline_each_providers_response_is_shown(world, clock, sign_in):
    referral = _two_invited_one_bid_one_declined(world, clock)
    clock.advance(days=2)
    page = text_of(sign_in(world.member_officer).get(url_for("buyer.referral", referral_id=referral.id)))
    table = page.split("Providers invited")[1]
    assert "Alpha Care" in table and "Bid" in table
    assert "Declined: Other (Our only vacancy went yesterday)" in table
    assert "Sealed" not in table


def test_the_rule_lives_in_the_domain_and_follows_each_rounds_deadline(world, clock):
    referral = _two_invited_one_bid_one_declined(world, clock)
    before = referrals.responses_for_officer(referral, clock.now())
    assert (before.bids, before.declines, before.no_response) == (1, 1, 0)
    assert all(provider.response is None and provider.decline_detail == "" for provider in before.providers)
    at_deadline = referrals.responses_for_officer(referral, referral.rounds[0].deadline)
    assert {provider.name: provider.response for provider in at_deadline.providers} == {
        "Alpha Care": referrals.responses.BID, "Beta Homes": referrals.responses.DECLINED}


def test_a_referral_withdrawn_before_its_deadline_keeps_its_responses_sealed(world, clock, sign_in):
    referral = _two_invited_one_bid_one_declined(world, clock)
    referrals.withdraw(world.member_officer, referral, "The child went home", clock.now())
    clock.advance(days=3)
    page = text_of(sign_in(world.member_officer).get(url_for("buyer.referral", referral_id=referral.id)))
    assert "Declined:" not in page and "Our only vacancy" not in page
    assert all(provider.response is None for provider in referrals.responses_for_officer(referral, clock.now())
               .providers)


def test_the_csv_bids_page_and_audit_trail_keep_the_responses_sealed(world, clock, sign_in):
    referral = _two_invited_one_bid_one_declined(world, clock)
    officer = sign_in(world.member_officer)
    assert officer.get(url_for("buyer.referral_bids_csv", referral_id=referral.id)).status_code == 404
    bids_page = text_of(officer.get(url_for("buyer.referral_bids", referral_id=referral.id)))
    assert "Alpha Care" not in bids_page and "Beta Homes" not in bids_page
    trail = db.session.scalars(audit.search(lead_id=world.lead.id, authority_ids=[world.lead.id, world.member.id],
                                            now=clock.now())).all()
    assert not [event for event in trail if event.action.startswith("bid.")]
    clock.advance(days=2)
    trail = db.session.scalars(audit.search(lead_id=world.lead.id, authority_ids=[world.lead.id, world.member.id],
                                            now=clock.now())).all()
    assert {event.action for event in trail if event.action.startswith("bid.")} == {"bid.submitted", "bid.declined"}
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) > 0
