"""Nothing that identifies the child (or the referring officer) reaches a provider, and no bid's content reaches
the authority before the deadline.

A referral is seeded with canary identifiers (the factory's child: Kestrel Quennell-Abara, born 14 March 2010,
case number CN-48213-Q; and the officer's name); every provider-facing page, e-mail, notification and download is
searched for them. Then every authority page of the referral is searched, before the deadline, for the bid's price
and a phrase of its text."""

import html
from datetime import timedelta

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import Bid, Notification, OutboxMessage, User
from portal.models.bid import CRITERIA
from tests.factories import admit, award_approved, child_details, published_referral
from tests.supplier.test_bid_routes import CANARY, bid_form

DATES_OF_BIRTH = ("14/03/2010", "14/3/2010", "14 March 2010", "14 Mar 2010", "2010-03-14", "14.03.2010",
                  "March 14, 2010", "14-03-2010")
OWN_PAGES = ("supplier.referral", "supplier.bid", "supplier.bid_receipt", "supplier.decline_referral")
# The pages these sweeps are about, by endpoint: a page renamed or gone fails the sweep instead of escaping it.
PROVIDER_OUTCOME_PAGE = "supplier.referral_outcome"
AUTHORITY_REFERRAL_PAGES = ("buyer.referral", "buyer.referral_check", "buyer.referral_bids", "buyer.referral_bids_csv",
                            "buyer.assess_bid", "buyer.referral_award")
PRICES = ("1,234.56", "1234.56", "1,384.56", "1384.56")


def canaries(world) -> list[str]:
    child = child_details()
    assert (child["first_names"], child["surname"], child["case_number"]) == ("Kestrel", "Quennell-Abara",
                                                                               "CN-48213-Q")
    return ["Kestrel", "Quennell-Abara", "Quennell", "Abara", "CN-48213-Q", "48213", *DATES_OF_BIRTH,
            world.member_officer.name, world.member_officer.email]


def assert_no_canary(text: str, found_in: str, world) -> None:
    text = html.unescape(text)
    for canary in canaries(world):
        assert canary.lower() not in text.lower(), f"{canary!r} in {found_in}"


@pytest.fixture
def referral(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    return published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=10))


def require_pages(app, endpoints) -> None:
    """Fail, never skip, when a page the sweep must search is not registered (renamed, or its module not loaded)."""
    missing = [endpoint for endpoint in endpoints if endpoint not in app.view_functions]
    assert not missing, f"pages the anonymity sweep must search are not registered: {missing}"


def test_a_missing_page_fails_the_sweep_rather_than_skipping_it(app):
    require_pages(app, (*OWN_PAGES, PROVIDER_OUTCOME_PAGE, *AUTHORITY_REFERRAL_PAGES))
    with pytest.raises(AssertionError, match="supplier.referral_result"):
        require_pages(app, ("supplier.referral", "supplier.referral_result"))


def provider_urls(app, referral_id: int) -> list[str]:
    """Every GET page of the supplier area about a referral (the outcome page and downloads too, once they exist),
    and the list."""
    urls = [url_for("supplier.referral_list")]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("supplier.") and "GET" in rule.methods and rule.arguments == {"referral_id"}:
            urls.append(url_for(rule.endpoint, referral_id=referral_id))
    return urls


def messages_to_providers(world) -> list[tuple[str, str]]:
    db.session.expire_all()
    provider_user_ids = db.session.scalars(db.select(User.id).where(User.organisation_id.in_(
        [world.provider_a.organisation_id, world.provider_b.organisation_id]))).all()
    sent = [(m.subject, m.body) for m in db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.user_id.in_(provider_user_ids)))]
    shown = [(n.subject, n.body) for n in db.session.scalars(db.select(Notification).where(
        Notification.user_id.in_(provider_user_ids)))]
    return sent + shown


def sweep_provider_side(app, world, referral, sign_in) -> int:
    pages = 0
    own = {url_for(endpoint, referral_id=referral.id) for endpoint in OWN_PAGES} | {url_for("supplier.referral_list")}
    for user in (world.provider_a, world.colleague_a, world.provider_b):
        client = sign_in(user)
        for url in provider_urls(app, referral.id):
            response = client.get(url, follow_redirects=True)
            # Pages of other modules (the outcome page) may not apply to every provider or every moment.
            assert response.status_code == 200 or (response.status_code == 404 and url not in own), url
            assert_no_canary(response.get_data(as_text=True), f"{url} as {user.email}", world)
            pages += 1
    for subject, body in messages_to_providers(world):
        assert_no_canary(f"{subject}\n{body}", f"the message {subject!r}", world)
    return pages


def test_no_provider_page_or_message_identifies_the_child(app, world, clock, referral, sign_in):
    client = sign_in(world.provider_a)
    assert client.post(f"/provider/referrals/{referral.id}/bid", data=bid_form()).status_code == 302
    assert sign_in(world.provider_b).post(f"/provider/referrals/{referral.id}/decline",
                                          data={"reason": "other", "detail": "No room"}).status_code == 302
    assert messages_to_providers(world), "the invitation and the receipt were e-mailed"
    # The bid form showing mistakes, too.
    response = client.post(f"/provider/referrals/{referral.id}/bid", data=bid_form(core_weekly_fee="x"))
    assert response.status_code == 400
    assert_no_canary(response.get_data(as_text=True), "the bid form with mistakes", world)
    assert sweep_provider_side(app, world, referral, sign_in) == 3 * len(provider_urls(app, referral.id))


def test_after_the_award_no_provider_page_or_message_identifies_the_child(app, world, clock, referral, sign_in):
    require_pages(app, (PROVIDER_OUTCOME_PAGE,))
    from portal.services import awards

    sign_in(world.provider_a).post(f"/provider/referrals/{referral.id}/bid", data=bid_form())
    sign_in(world.provider_b).post(f"/provider/referrals/{referral.id}/bid",
                                   data=bid_form(core_weekly_fee="1500"))
    clock.set(referral.rounds[0].deadline + timedelta(hours=1))
    bids_in = db.session.scalars(db.select(Bid).where(Bid.referral_id == referral.id).order_by(Bid.id)).all()
    for bid in bids_in:
        awards.assess(world.member_officer, bid, scores=dict.fromkeys(CRITERIA, 4), notes="Good", now=clock.now())
    award_approved(world, clock, referral, bids_in[0], reason="", now=clock.now())
    assert sweep_provider_side(app, world, referral, sign_in) == 3 * len(provider_urls(app, referral.id))


# Sealing: the authority's pages before and after the deadline ---------------------------------------------------

def authority_urls(app, referral, bid_id: int) -> list[str]:
    """Every GET page (and download) of the authority area about the referral or its bid."""
    ids = {"referral_id": referral.id, "bid_id": bid_id}
    return [url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("buyer.") and "GET" in rule.methods and rule.arguments
            and rule.arguments <= set(ids)]


def authority_text(client, url: str) -> str:
    response = client.get(url, follow_redirects=True)
    assert response.request.path != "/sign-in", f"signed out at {url}"
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def test_bids_are_sealed_on_every_authority_page_until_the_deadline(app, world, clock, referral, sign_in):
    sign_in(world.provider_a).post(f"/provider/referrals/{referral.id}/bid", data=bid_form())
    bid_id = db.session.scalar(db.select(Bid.id).where(Bid.referral_id == referral.id))
    require_pages(app, AUTHORITY_REFERRAL_PAGES)
    urls = authority_urls(app, referral, bid_id)
    officer = sign_in(world.member_officer)
    for url in urls:
        text = authority_text(officer, url)
        for secret in (*PRICES, CANARY, "Two experienced foster carers", "1:1 support at school"):
            assert secret not in text, f"{secret!r} on {url} before the deadline"

    clock.set(referral.rounds[0].deadline)
    officer = sign_in(world.member_officer)  # days later: a new session
    shown = " ".join(authority_text(officer, url) for url in urls)
    assert "1,234.56" in shown or "1,384.56" in shown, "no authority page shows the bids after the deadline"
