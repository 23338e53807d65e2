"""The audit trail and the outbox count their rows no further than a bound past the page shown, so their cost
does not grow with the trail: a longer list says "more than" and its pager goes on with "Next"."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import OutboxMessage
from portal.services import applications, audit, listing
from tests.portal.test_query_counts import counting

AHEAD = 10  # rows counted past the page, instead of the portal's 1,000, so a test needs few rows


@pytest.fixture
def short_bound(monkeypatch):
    monkeypatch.setattr(listing, "COUNT_AHEAD", AHEAD)


def _add_events(world, clock, count: int) -> None:
    for index in range(count):
        audit.record(at=clock.now() + timedelta(minutes=index), actor=world.admin, action="dps.updated",
                     entity=world.dps, summary=f"Change number {index:03d}")
    db.session.commit()


def _add_messages(world, clock, count: int) -> None:
    applications.start(world.provider_a, world.window, clock.now())  # so the provider is of the lead's DPS
    for index in range(count):
        db.session.add(OutboxMessage(to_address=world.provider_a.email, user_id=world.provider_a.id,
                                     subject=f"Notice {index:03d}", body="Body",
                                     created_at=clock.now() + timedelta(minutes=index)))
    db.session.commit()


def test_a_page_of_events_is_the_same_rows_as_before(world, clock):
    _add_events(world, clock, 12)
    query = audit.search(lead_id=world.lead.id, authority_ids=[world.lead.id, world.member.id], now=clock.now())

    page = listing.bounded_page(db.session, query, page=2, per_page=5)

    assert [event.summary for event in page.items] == [event.summary for event in
                                                       db.session.scalars(query.limit(5).offset(5))]
    total = len(db.session.scalars(query).all())
    assert (page.total, page.more, page.pages) == (total, False, listing.pages_for(total, 5))


def test_a_trail_longer_than_the_bound_says_more_than_and_shows_no_last_page(world, clock, short_bound):
    _add_events(world, clock, 60)
    query = audit.search(lead_id=world.lead.id, authority_ids=[world.lead.id, world.member.id], now=clock.now())

    page = listing.bounded_page(db.session, query, page=1, per_page=5)

    assert (page.total, page.more, page.has_next) == (5 + AHEAD, True, True)
    assert list(page.iter_pages()) == [1, 2, 3, None]


def test_a_page_past_the_end_shows_the_last(world, clock, short_bound):
    _add_events(world, clock, 12)
    query = audit.search(lead_id=world.lead.id, authority_ids=[world.lead.id, world.member.id], now=clock.now())

    page = listing.bounded_page(db.session, query, page=9, per_page=5)

    total = len(db.session.scalars(query).all())
    last = listing.pages_for(total, 5)
    assert (page.page, page.total, page.more) == (last, total, False)
    assert len(page.items) == total - 5 * (last - 1)


def test_the_audit_trail_says_more_than_and_goes_on_page_by_page(world, sign_in, clock, short_bound):
    _add_events(world, clock, 120)
    client = sign_in(world.admin)

    first = client.get("/admin/audit?action=dps.updated").get_data(as_text=True)
    assert f"More than {50 + AHEAD} events" in first
    assert "Change number 119" in first and "Change number 070" in first and "Change number 069" not in first

    second = client.get("/admin/audit?action=dps.updated&page=2").get_data(as_text=True)
    assert "Change number 069" in second and "Change number 020" in second
    assert "page=3" in second and "action=dps.updated" in second  # the pager keeps the filter

    last = client.get("/admin/audit?action=dps.updated&page=3").get_data(as_text=True)
    assert "More than" not in last and "Change number 000" in last


def test_the_outbox_says_more_than_past_the_bound(world, sign_in, clock, short_bound):
    _add_messages(world, clock, 40)
    client = sign_in(world.admin)

    first = client.get("/admin/outbox").get_data(as_text=True)
    assert f"More than {25 + AHEAD} e-mails" in first and "Notice 039" in first and "Notice 014" not in first

    second = client.get("/admin/outbox?page=2").get_data(as_text=True)
    assert "More than" not in second and "Notice 014" in second and "Notice 000" in second


@pytest.mark.parametrize("url", ["/admin/audit", "/admin/outbox?q=notice"])
def test_the_count_reads_no_more_than_the_bound(world, sign_in, clock, url):
    _add_events(world, clock, 3)
    _add_messages(world, clock, 3)
    client = sign_in(world.admin)
    client.get(url)

    with counting() as statements:
        assert client.get(url).status_code == 200

    table = "audit_event" if "audit" in url else "outbox_message"
    counts = [statement for statement in statements  # the list's count, not the menu's
              if "count(*)" in statement.lower() and f"FROM {table}" in statement]
    assert len(counts) == 1 and "LIMIT" in counts[0]
