"""The lists that grow with a national consortium (a lot's thousands of providers, a window's thousands of
applications) show a page of rows per table: the statements a page runs stay the same however many rows there are,
the pager moves through every row in order, and its links keep the filters and the other tables' pages."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Clarification, LotMembership, TierAward
from portal.services import evaluations, lot_lists
from tests.factories import admit, complete_application, draft_referral, published_referral
from tests.portal.test_query_counts import _divide, _places, add_provider, grown, statements_for

PER_PAGE = 4
FEW, MANY = 3, 15  # one page; four pages


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    """Pages of four rows, so a few rows make several pages."""
    monkeypatch.setattr(lot_lists, "ROWS_PER_PAGE", PER_PAGE)
    monkeypatch.setattr(evaluations, "WINDOW_ROWS_PER_PAGE", PER_PAGE)


def assert_constant_when_paged(client, url: str, add_rows) -> None:
    add_rows(0, FEW)
    few = statements_for(client, url)
    add_rows(FEW, MANY)
    many = statements_for(client, url)
    assert len(many) == len(few), (
        f"{url}: {len(few)} statements on one page, {len(many)} with several. Repeated with more rows:\n"
        + "\n".join(f"{count}x {statement}" for statement, count in grown(few, many)))


def text(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page: str, anchor: str) -> str:
    """The table with the id `anchor` and what follows it up to the next table (its pager)."""
    start = page.index(f'id="{anchor}"')
    following = page.find("<table", start + 1)
    return page[start:following if following != -1 else len(page)]


def pager_links(part: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'class="govuk-link govuk-pagination__link" href="([^"]+)"',
                                                        part)]


# The tier page -------------------------------------------------------------------------------------------------

def add_tier_lines(world, clock, start: int, stop: int) -> None:
    """Providers ranked start + 1 to stop in every category of every lot."""
    for index in range(start, stop):
        provider = add_provider(world, index).organisation
        for category in [category for lot in world.lots for category in lot.categories]:
            db.session.add(TierAward(lot=category.lot, category=category, provider=provider, window_id=world.window.id,
                                     calculated_at=clock.now(), quality_weight=60, cost_weight=40,
                                     quality_percent=Decimal(80), quality_component=Decimal(48),
                                     weekly_price=Decimal(1000 + index), lowest_price=Decimal(1000),
                                     cost_component=Decimal(40), total=Decimal(88) - index, rank=index + 1,
                                     tier=1 + index % 3, tied_with="2" if index == 1 else ""))
    db.session.commit()


def test_the_tier_page_runs_the_same_statements_with_one_page_or_many(world, sign_in, clock):
    _divide(world, world.lots[0], clock)
    assert_constant_when_paged(sign_in(world.evaluator), f"/evaluation/windows/{world.window.id}/tiers",
                               lambda start, stop: add_tier_lines(world, clock, start, stop))


def test_each_tier_table_pages_on_its_own_and_its_links_keep_the_other_tables_pages(world, sign_in, clock):
    _divide(world, world.lots[0], clock)
    young, older = world.lots[0].categories
    add_tier_lines(world, clock, 0, 10)
    url = f"/evaluation/windows/{world.window.id}/tiers"
    page = text(sign_in(world.evaluator).get(f"{url}?page-{young.id}=2&page-{older.id}=3"))

    young_table = section(page, f"tiers-{young.id}")
    assert [f"Provider {i:02d}" for i in range(4, 8)] == re.findall(r"Provider \d\d", young_table)
    assert "Ranks 5 to 8 of the 10 providers in" in young_table
    links = pager_links(young_table)
    assert f"{url}?page-{young.id}=1&page-{older.id}=3#tiers-{young.id}" in links
    assert f"{url}?page-{young.id}=3&page-{older.id}=3#tiers-{young.id}" in links

    older_table = section(page, f"tiers-{older.id}")
    assert ["Provider 08", "Provider 09"] == re.findall(r"Provider \d\d", older_table)  # the last page: 2 rows
    assert f"{url}?page-{young.id}=2&page-{older.id}=2#tiers-{older.id}" in pager_links(older_table)

    first = text(sign_in(world.evaluator).get(url))
    assert re.findall(r"Provider \d\d", section(first, f"tiers-{young.id}")) == [f"Provider {i:02d}" for i in range(4)]
    # Provider 01 is tied, shown with the same tag the GOV.UK macro makes.
    assert '<strong class="govuk-tag govuk-tag--orange">Tied with 2</strong>' in first


def test_a_page_past_the_end_shows_the_last_page_and_a_short_table_has_no_pager(world, sign_in, clock):
    add_tier_lines(world, clock, 0, 6)
    lot = world.lots[1]
    category = lot.categories[0]
    url = f"/evaluation/windows/{world.window.id}/tiers"
    page = text(sign_in(world.evaluator).get(f"{url}?page-{category.id}=40"))
    assert re.findall(r"Provider \d\d", section(page, f"tiers-{category.id}")) == ["Provider 04", "Provider 05"]
    db.session.execute(db.delete(TierAward).where(TierAward.rank > 3))
    db.session.commit()
    page = text(sign_in(world.evaluator).get(url))
    assert "govuk-pagination" not in page


# The officer's DPS page -----------------------------------------------------------------------------------------

def add_members(world, clock, start: int, stop: int) -> None:
    """Providers on the first lots, their best tier 1 + index % 3."""
    for index in range(start, stop):
        provider = add_provider(world, index).organisation
        provider.ofsted_rating = "Good"
        for lot in world.lots[: 1 + index % 3]:
            db.session.add(LotMembership(lot=lot, provider=provider, window=world.window, admitted_at=clock.now(),
                                         categories=_places(lot, 1 + index % 3), status="admitted"))
    db.session.commit()


def test_the_dps_page_runs_the_same_statements_with_one_page_or_many(world, sign_in, clock):
    _divide(world, world.lots[0], clock)
    assert_constant_when_paged(sign_in(world.member_officer), f"/authority/dps/{world.dps.id}",
                               lambda start, stop: add_members(world, clock, start, stop))


def test_the_dps_page_lists_each_lot_best_tier_first_a_page_at_a_time(world, sign_in, clock):
    add_members(world, clock, 0, 9)
    first, second = world.lots[0], world.lots[1]
    url = f"/authority/dps/{world.dps.id}"
    officer = sign_in(world.member_officer)
    shown = []
    for number in (1, 2, 3):
        page = text(officer.get(f"{url}?page-{first.id}={number}&page-{second.id}=2"))
        shown += re.findall(r"Provider \d\d", section(page, f"lot-{first.id}"))
    # Tier 1 (0, 3, 6), then tier 2 (1, 4, 7), then tier 3 (2, 5, 8): every provider once, in that order.
    assert shown == [f"Provider {i:02d}" for i in (0, 3, 6, 1, 4, 7, 2, 5, 8)]
    assert "Providers 9 to 9 of 9 on" in section(page, f"lot-{first.id}")
    first_links = pager_links(section(page, f"lot-{first.id}"))
    assert f"{url}?page-{first.id}=2&page-{second.id}=2#lot-{first.id}" in first_links
    # The second lot (6 providers) is on its page 2, with its own pager keeping the first lot's page.
    assert re.findall(r"Provider \d\d", section(page, f"lot-{second.id}")) == ["Provider 05", "Provider 08"]
    second_links = pager_links(section(page, f"lot-{second.id}"))
    assert f"{url}?page-{first.id}=3&page-{second.id}=1#lot-{second.id}" in second_links


# The evaluation window page ------------------------------------------------------------------------------------

def add_applications(world, clock, start: int, stop: int) -> list:
    return [complete_application(add_provider(world, index), world.window, clock, lots=[world.lots[index % 3]],
                                 submit=True) for index in range(start, stop)]


def test_the_window_page_runs_the_same_statements_with_one_page_or_many(world, sign_in, clock):
    def add(start, stop):
        for application in add_applications(world, clock, start, stop):
            db.session.add(Clarification(application=application, asked_by_id=world.evaluator.id,
                                         question="Who is the manager?", asked_at=clock.now()))
        db.session.commit()

    assert_constant_when_paged(sign_in(world.evaluator), f"/evaluation/windows/{world.window.id}", add)


def test_the_window_page_puts_the_most_overdue_first_across_its_pages_and_keeps_the_state_chosen(world, sign_in,
                                                                                                  clock):
    submitted = add_applications(world, clock, 0, 6)
    clock.set(world.window.closes_at + timedelta(days=1))
    # Provider 00's question stays open: its clock stands still while the others run on past the deadline.
    db.session.add(Clarification(application=submitted[0], asked_by_id=world.evaluator.id,
                                 question="Who is the manager?", asked_at=clock.now()))
    db.session.commit()
    clock.set(world.window.closes_at + timedelta(days=30))
    url = f"/evaluation/windows/{world.window.id}"
    evaluator = sign_in(world.evaluator)

    first, second = text(evaluator.get(url)), text(evaluator.get(f"{url}?page=2"))
    listed = re.findall(r"Provider \d\d", section(first, "applications")) + \
        re.findall(r"Provider \d\d", section(second, "applications"))
    assert listed == [f"Provider {i:02d}" for i in (1, 2, 3, 4, 5, 0)]
    assert "To allocate: 6" in first  # the count of each state is of the whole window, not of the page
    assert first.count('<strong class="govuk-tag govuk-tag--red">Overdue</strong>') == PER_PAGE
    assert second.count('<strong class="govuk-tag govuk-tag--green">On time</strong>') == 1  # Provider 00

    chosen = text(evaluator.get(f"{url}?state=To+allocate&page=2"))
    assert re.findall(r"Provider \d\d", section(chosen, "applications")) == ["Provider 05", "Provider 00"]
    assert f"{url}?state=To+allocate&page=1" in pager_links(chosen) or \
        f"{url}?state=To%20allocate&page=1" in pager_links(chosen)
    assert "No applications in this state." in text(evaluator.get(f"{url}?state=Moderated"))


# Declaring a conflict of interest --------------------------------------------------------------------------------

def test_declaring_a_conflict_offers_the_providers_found_by_a_search_never_the_whole_register(world, sign_in):
    for index in range(evaluations.PROVIDER_CHOICES + 5):
        add_provider(world, index)
    evaluator = sign_in(world.evaluator)
    assert "Provider 00" not in text(evaluator.get("/evaluation/conflicts"))  # a search box, no list

    page = text(evaluator.get("/evaluation/conflicts?q=provider"))
    offered = re.findall(r'<option value="\d+">(Provider \d\d)', page)
    assert offered == [f"Provider {i:02d}" for i in range(evaluations.PROVIDER_CHOICES)]
    assert "more match, so type more of the name to find others" in page

    page = text(evaluator.get("/evaluation/conflicts?q=SC900021"))  # by Ofsted URN
    assert re.findall(r'<option value="\d+">(Provider \d\d)', page) == ["Provider 21"]
    assert "more match" not in page
    assert "No provider matches ‘Nobody’." in text(evaluator.get("/evaluation/conflicts?q=Nobody"))

    chosen = re.search(r'<option value="(\d+)">Provider 21', page).group(1)
    response = evaluator.post("/evaluation/conflicts?q=SC900021", data={"provider_id": chosen, "note": ""},
                              follow_redirects=True)
    assert "Conflict of interest with Provider 21 declared" in text(response)


# The providers a publication would invite ----------------------------------------------------------------------

def test_the_providers_a_referral_would_go_to_are_shown_a_page_at_a_time(world, sign_in, clock, monkeypatch):
    import buyer.referrals

    monkeypatch.setattr(buyer.referrals, "INVITEES_PER_PAGE", PER_PAGE)
    referral = draft_referral(world, clock)
    for index in range(6):
        admit(add_provider(world, index), world.lots[0], tier=1, clock=clock)
    url = f"/authority/referrals/{referral.id}/publish"
    officer = sign_in(world.member_officer)

    first, second = text(officer.get(url)), text(officer.get(f"{url}?page=2"))
    assert "6 providers will be invited" in first
    shown = re.findall(r"Provider \d\d", section(first, "invitees")) + \
        re.findall(r"Provider \d\d", section(second, "invitees"))
    assert sorted(shown) == [f"Provider {i:02d}" for i in range(6)]  # each once, over two pages
    assert f"{url}?page=1#invitees" in pager_links(second)


def test_the_providers_invited_are_shown_on_the_referral_a_page_at_a_time(world, sign_in, clock, monkeypatch):
    import buyer.referrals

    monkeypatch.setattr(buyer.referrals, "INVITED_PER_PAGE", PER_PAGE)
    for index in range(6):
        admit(add_provider(world, index), world.lots[0], tier=1, clock=clock)
    referral = published_referral(world, clock)
    url = f"/authority/referrals/{referral.id}"
    officer = sign_in(world.member_officer)

    first, second = text(officer.get(url)), text(officer.get(f"{url}?page=2"))
    shown = re.findall(r"Provider \d\d", section(first, "invited")) + \
        re.findall(r"Provider \d\d", section(second, "invited"))
    assert shown == [f"Provider {i:02d}" for i in range(6)]  # in the order invited, each once
    assert f"{url}?page=2#invited" in pager_links(first)


def test_the_publish_page_runs_the_same_statements_with_one_page_or_many(world, sign_in, clock, monkeypatch):
    import buyer.referrals

    monkeypatch.setattr(buyer.referrals, "INVITEES_PER_PAGE", PER_PAGE)
    referral = draft_referral(world, clock)

    def add(start, stop):
        for index in range(start, stop):
            admit(add_provider(world, index), world.lots[0], tier=1, caution=index % 2 == 0, clock=clock)

    assert_constant_when_paged(sign_in(world.member_officer), f"/authority/referrals/{referral.id}/publish", add)
