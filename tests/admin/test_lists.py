"""The administrator's long lists, searched and sorted through the pages: the provider register, the outbox and the
audit trail. A search or a sort is kept by the pager's links, and a sort the list does not have is ignored."""

import html
import re
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import OutboxMessage
from portal.services import applications, audit
from tests.buyer.test_lists import first_cells, header, pager_links
from tests.portal.test_query_counts import add_provider


def text_of(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def admin(world, sign_in):
    return sign_in(world.admin)


# The provider register --------------------------------------------------------------------------------------

@pytest.fixture
def register(world, admin):
    """The world's providers (Alpha Care, Beta Homes...), and Provider 00 to Provider 29 (Ofsted SC900000 to
    SC900029, Area 0 to Area 29)."""
    for index in range(30):
        add_provider(world, index)
    return admin


def test_the_register_is_searched_by_name_urn_or_area(register):
    assert first_cells(text_of(register.get("/admin/providers?q=provider 1")))[0] == "Provider 10"
    assert len(first_cells(text_of(register.get("/admin/providers?q=provider 1")))) == 10
    assert first_cells(text_of(register.get("/admin/providers?q=SC900007"))) == ["Provider 07"]
    assert first_cells(text_of(register.get("/admin/providers?q=area 29"))) == ["Provider 29"]
    page = text_of(register.get("/admin/providers?q=homes"))
    assert first_cells(page) == ["Beta Homes"] and "1 provider matching ‘homes’" in page
    assert "No providers match." in text_of(register.get("/admin/providers?q=%25"))


def test_the_register_sorts_by_name_either_way_and_the_pager_keeps_it(register):
    default = text_of(register.get("/admin/providers"))
    names = first_cells(default)
    assert names[0] == "Alpha Care" and names.index("Beta Homes") + 1 == names.index("Provider 00")
    assert 'aria-sort="ascending"' in header(default, "Provider")
    page = text_of(register.get("/admin/providers?q=provider&sort=name&order=desc&status=applicant"))
    assert first_cells(page)[:2] == ["Provider 29", "Provider 28"]
    assert 'aria-sort="descending"' in header(page, "Provider")
    for link in pager_links(page):
        assert all(part in link for part in ("q=provider", "sort=name", "order=desc", "status=applicant")), link
    second = text_of(register.get(next(link for link in pager_links(page) if "page=2" in link)))
    assert first_cells(second) == ["Provider 04", "Provider 03", "Provider 02", "Provider 01", "Provider 00"]


def test_the_register_sorts_by_ofsted_urn_and_ignores_an_unknown_sort(register):
    page = text_of(register.get("/admin/providers?sort=ofsted&order=desc"))
    assert first_cells(page)[0] == "Provider 29"
    assert first_cells(text_of(register.get("/admin/providers?sort=password_hash")))[0] == "Alpha Care"


# The outbox -------------------------------------------------------------------------------------------------

@pytest.fixture
def outbox(world, admin, clock):
    """30 messages to Alpha Care (a provider of the lead's DPS), subjects "Notice 00" to "Notice 29", a minute
    apart, and one to the member authority's officer."""
    applications.start(world.provider_a, world.window, clock.now())
    for index in range(30):
        db.session.add(OutboxMessage(to_address=world.provider_a.email, user_id=world.provider_a.id,
                                     subject=f"Notice {index:02d}", body="Body",
                                     created_at=clock.now() + timedelta(minutes=index)))
    db.session.add(OutboxMessage(to_address=world.member_officer.email, user_id=world.member_officer.id,
                                 subject="About a referral", body="Body", created_at=clock.now()))
    db.session.commit()
    return admin


def subjects(page: str) -> list[str]:
    return re.findall(r'<h2 class="govuk-summary-card__title">(.*?)</h2>', page)


def test_the_outbox_is_searched_by_recipient_or_subject(outbox, world):
    by_recipient = text_of(outbox.get(f"/admin/outbox?q={world.member_officer.email.upper()}"))
    assert subjects(by_recipient) == ["About a referral"] and "1 e-mail matching" in by_recipient
    assert subjects(text_of(outbox.get("/admin/outbox?q=notice 2")))[0] == "Notice 29"
    assert len(subjects(text_of(outbox.get("/admin/outbox?q=notice 2")))) == 10
    assert "No e-mails match ‘_otice’." in text_of(outbox.get("/admin/outbox?q=_otice"))


def test_the_outbox_sorts_and_the_pager_keeps_the_search_and_the_sort(outbox):
    assert subjects(text_of(outbox.get("/admin/outbox")))[0] == "Notice 29"  # newest first
    page = text_of(outbox.get("/admin/outbox?q=notice&sort=written-asc"))
    assert subjects(page)[:2] == ["Notice 00", "Notice 01"]
    assert '<option value="written-asc" selected>' in page
    for link in pager_links(page):
        assert "q=notice" in link and "sort=written-asc" in link, link
    by_subject = text_of(outbox.get("/admin/outbox?sort=subject-asc"))
    assert subjects(by_subject)[0] == "About a referral"
    assert subjects(text_of(outbox.get("/admin/outbox?sort=body-asc")))[0] == "Notice 29"  # not a sort: ignored


# The audit trail --------------------------------------------------------------------------------------------

@pytest.fixture
def trail(world, admin, clock):
    """55 changes to the DPS by the administrator, and one by the system, on top of what building the world
    recorded."""
    for index in range(55):
        audit.record(at=clock.now() + timedelta(minutes=index), actor=world.admin, action="dps.updated",
                     entity=world.dps, summary=f"Change number {index:02d}")
    audit.record(at=clock.now() + timedelta(hours=2), actor=None, action="dps.updated", entity=world.dps,
                 summary="A 100% automatic change")
    db.session.commit()
    return admin


def summaries(page: str) -> list[str]:
    return re.findall(r'<span class="govuk-body-s">(.*?)</span></td>', page)


def test_the_trail_is_searched_by_its_summary_or_who_did_it(trail):
    page = text_of(trail.get("/admin/audit?q=change number 1"))
    assert summaries(page)[0] == "Change number 19" and len(summaries(page)) == 10
    assert summaries(text_of(trail.get("/admin/audit?q=100%25"))) == ["A 100% automatic change"]
    assert summaries(text_of(trail.get("/admin/audit?q=1_0"))) == []
    # The actor filter takes its words literally too.
    assert "No events match." in text_of(trail.get("/admin/audit?actor=%25"))


def test_the_trail_sorts_oldest_first_and_the_pager_keeps_it(trail, world):
    page = text_of(trail.get("/admin/audit?q=change number&sort=when&order=asc&action=dps.updated"))
    assert summaries(page)[:2] == ["Change number 00", "Change number 01"]
    assert 'aria-sort="ascending"' in header(page, "When")
    for link in pager_links(page):
        assert all(part in link for part in ("q=change", "sort=when", "order=asc", "action=dps.updated")), link
    second = text_of(trail.get(next(link for link in pager_links(page) if "page=2" in link)))
    assert summaries(second) == [f"Change number {index}" for index in range(50, 55)]


def whos(page: str) -> list[str]:
    return re.findall(r'<td class="govuk-table__cell">[^<]*</td>\s*<td class="govuk-table__cell">([^<]*)</td>', page)


def test_the_trail_sorts_by_who_and_ignores_an_unknown_sort(trail, world):
    by_who = text_of(trail.get("/admin/audit?action=dps.updated&sort=who&order=desc"))
    assert 'aria-sort="descending"' in header(by_who, "Who")
    shown = whos(by_who)
    assert shown == sorted(shown, key=str.lower, reverse=True) and len(set(shown)) == 2
    assert summaries(text_of(trail.get("/admin/audit?sort=before")))[0] == "A 100% automatic change"
