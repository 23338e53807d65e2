"""Who may reach the officer's referral pages (the matrix of tests/portal/test_access_matrix.py, for the routes of
buyer/referrals.py).

The records: a draft, an open and a closed referral of the member authority (world.member_officer's). Only that
authority's commissioning officers reach them; the outsider (an officer of an authority outside the consortium)
gets 404, as does the lead authority's officer (a separate test: the lead is in the same consortium); providers,
evaluators and administrators get 403, as the buyer area needs the commissioning officer role.

Each POST is sent empty, so each is refused as incomplete (400) and changes nothing: the exhaustion is refused
because tier 2 has not been approached yet."""

from datetime import timedelta

import pytest
from flask import url_for

from portal.errors import NotFound
from portal.models.user import BUDGET_HOLDER, CONTRACT_MANAGER, USER_ADMINISTRATOR
from portal.services import approvals, referrals
from tests.factories import admit, authority_user, draft_referral, published_referral
from tests.portal.test_access_matrix import NOT_FOUND, OK, matrix_mismatches, matrix_users, row

OFFICERS = row(officer=OK, outsider=OK)
OWN_AUTHORITY = row(officer=OK, outsider=NOT_FOUND)

EXPECTED = {
    ("buyer.referral_list", "GET"): OFFICERS,
    ("buyer.referral_new", "GET"): OFFICERS,
    ("buyer.referral_new", "POST"): OFFICERS,
    ("buyer.referral", "GET"): OWN_AUTHORITY,
    ("buyer.referral_edit", "GET"): OWN_AUTHORITY,
    ("buyer.referral_edit", "POST"): OWN_AUTHORITY,
    ("buyer.referral_check", "GET"): OWN_AUTHORITY,
    ("buyer.referral_funding", "POST"): OWN_AUTHORITY,
    ("buyer.referral_publish", "GET"): OWN_AUTHORITY,
    ("buyer.referral_publish", "POST"): OWN_AUTHORITY,
    ("buyer.referral_reopen", "GET"): OWN_AUTHORITY,
    ("buyer.referral_reopen", "POST"): OWN_AUTHORITY,
    ("buyer.referral_exhaust", "POST"): OWN_AUTHORITY,
    ("buyer.referral_withdraw", "GET"): OWN_AUTHORITY,
    ("buyer.referral_withdraw", "POST"): OWN_AUTHORITY,
}

# Which referral each page is opened with: the state the page is for.
DRAFT_PAGES = {"buyer.referral_edit", "buyer.referral_check", "buyer.referral_funding", "buyer.referral_publish"}
OPEN_PAGES = {"buyer.referral_withdraw"}
LISTS = {"buyer.referral_list", "buyer.referral_new"}


@pytest.fixture
def records(world, clock):
    admit(world.provider_a, world.lots[0], tier=1, clock=clock)
    admit(world.provider_b, world.lots[0], tier=2, clock=clock)
    draft = draft_referral(world, clock)
    closed = published_referral(world, clock, deadline=clock.now() + timedelta(hours=1))
    open_ = published_referral(world, clock, deadline=clock.now() + timedelta(days=10))
    clock.advance(hours=2)
    assert (draft.status(clock.now()), open_.status(clock.now()), closed.status(clock.now())) == (
        "draft", "open", "closed")
    return {"draft": draft.id, "open": open_.id, "closed": closed.id}


def url_of(endpoint: str, records: dict) -> str:
    if endpoint in LISTS:
        return url_for(endpoint)
    state = "draft" if endpoint in DRAFT_PAGES else "open" if endpoint in OPEN_PAGES else "closed"
    return url_for(endpoint, referral_id=records[state])


def test_referral_access_matrix(app, world, records, sign_in):
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(endpoint, records), lambda endpoint: {})
    assert not mismatches, "\n".join(mismatches)


def test_the_empty_posts_changed_nothing(app, world, records, sign_in, clock):
    from portal.extensions import db
    from portal.models import Referral

    matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in, lambda endpoint: url_of(endpoint, records),
                      lambda endpoint: {})
    states = {name: db.session.get(Referral, referral_id) for name, referral_id in records.items()}
    for referral in states.values():
        db.session.refresh(referral)
    assert {name: referral.status(clock.now()) for name, referral in states.items()} == {
        "draft": "draft", "open": "open", "closed": "closed"}
    assert len(states["closed"].rounds) == 1
    # an empty funding form asks at the indicative price: only the member's officer could
    assert {approval.requested_by_id for approval in approvals.of_subject(states["draft"])} <= {
        world.member_officer.id}
    assert db.session.scalar(db.select(db.func.count(Referral.id))) == 3


def test_the_lead_authoritys_officer_sees_none_of_the_members_referrals(world, records, sign_in):
    client = sign_in(world.lead_officer)
    for endpoint, method in EXPECTED:
        if endpoint in LISTS:
            continue
        for referral_id in records.values():
            response = client.open(url_for(endpoint, referral_id=referral_id), method=method, data={"reason": "x"})
            assert response.status_code == 404, (endpoint, method, referral_id)
    listing = client.get(url_for("buyer.referral_list")).get_data(as_text=True)
    assert "T-DPS-R000" not in listing and "0 referrals" in listing


# The list runs the same statements however many referrals it shows ------------------------------------------

def test_the_referrals_list_runs_a_fixed_number_of_queries(world, clock, sign_in):
    from portal.services import bids, referrals
    from portal.services.bids import BidInput
    from tests.portal.test_query_counts import assert_constant

    admit(world.provider_a, world.lots[0], clock=clock)

    def add(start, stop):
        for index in range(start, stop):
            if index % 2:
                referral = draft_referral(world, clock, lot=world.lots[index % 2])
            else:
                referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=5))
                bids.submit(world.provider_a, referrals.invitation_for(world.provider_a, referral.id), BidInput(
                    core_weekly_fee="1200", additional_costs=[], proposed_start=clock.now().date() + timedelta(days=7),
                    home_area="E08000008", home_description="A home", how_needs_met="With care"), clock.now())

    assert_constant(sign_in(world.member_officer), "/authority/referrals", add,
                    shows=lambda index: f"T-DPS-R{index + 1:04d}")


def test_the_list_of_referrals_is_refused_to_all_but_its_readers(world, records, clock):
    """The service, not only the blueprint's gate, decides who reads the authority's referrals: a contract manager,
    a user administrator or a provider is refused the list and its counts; a budget holder reads it, makes none."""
    for number, role in enumerate((CONTRACT_MANAGER, USER_ADMINISTRATOR)):
        user = authority_user(world.member, f"Not A Reader {number}", f"{role}@member.example.org", [role], clock)
        with pytest.raises(NotFound):
            referrals.for_authority(user, now=clock.now())
        with pytest.raises(NotFound):
            referrals.status_counts(user, clock.now())
    with pytest.raises(NotFound):
        referrals.for_authority(world.provider_a, now=clock.now())
    holder = authority_user(world.member, "Reader Budget", "reader-budget@member.example.org", [BUDGET_HOLDER], clock)
    assert referrals.for_authority(holder, now=clock.now()).total == 3
    assert referrals.may_create(world.member_officer) and not referrals.may_create(holder)
