"""The officer's long lists, searched and sorted through the pages: referrals and placements. A search or a sort is
kept by the pager's links and by the filter form, and a sort asked for that the list does not have is ignored."""

import html
import re

import pytest

from tests.buyer.test_off_framework_routes import add_off_framework_providers, add_placements
from tests.buyer.test_off_framework_service import exhausted_referral
from tests.factories import draft_referral


def text_of(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def first_cells(page: str) -> list[str]:
    """The text of the first cell of each body row of the page's table."""
    rows = re.findall(r'<tbody class="govuk-table__body">(.*?)</tbody>', page, re.S)[0]
    return [re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">(.*?)</td>', rows,
                                   re.S)]


def header(page: str, label: str) -> str:
    return re.search(rf'<th [^>]*aria-sort="[^"]*"[^>]*>\s*<a [^>]*>{re.escape(label)}<', page).group(0)


def pager_links(page: str) -> list[str]:
    nav = re.search(r'<nav class="govuk-pagination".*?</nav>', page, re.S).group(0)
    return re.findall(r'href="([^"]+)"', nav)


# Referrals --------------------------------------------------------------------------------------------------

@pytest.fixture
def referral_list(world, clock, sign_in):
    """27 drafts of the member authority, T-DPS-R0001 to T-DPS-R0027, a minute apart; one of another authority."""
    for _ in range(27):
        draft_referral(world, clock)
        clock.advance(minutes=1)
    from portal.services import referrals
    from tests.factories import child_details, referral_fields
    referrals.create(world.lead_officer, lot=world.lots[0], fields=referral_fields(), child=child_details(),
                     now=clock.now())
    return sign_in(world.member_officer)


def test_referrals_are_searched_by_reference(referral_list):
    page = text_of(referral_list.get("/authority/referrals?q=r001"))
    assert first_cells(page) == [f"T-DPS-R{number:04d}" for number in range(19, 9, -1)]
    assert "10 referrals matching ‘r001’, newest first" in page
    assert 'value="r001"' in page  # the box keeps what was typed
    # The other authority's referral (T-DPS-R0028) is never found.
    assert "No referrals match ‘R0028’." in text_of(referral_list.get("/authority/referrals?q=R0028"))


def test_a_wildcard_in_the_search_matches_only_itself(referral_list):
    assert "No referrals match ‘%’." in text_of(referral_list.get("/authority/referrals?q=%25"))
    assert "No referrals match ‘T_DPS’." in text_of(referral_list.get("/authority/referrals?q=T_DPS"))


def test_referrals_sort_by_reference_either_way_with_the_header_saying_so(referral_list):
    ascending = text_of(referral_list.get("/authority/referrals?sort=reference&order=asc"))
    assert first_cells(ascending)[:3] == ["T-DPS-R0001", "T-DPS-R0002", "T-DPS-R0003"]
    assert 'aria-sort="ascending"' in header(ascending, "Reference")
    assert 'aria-sort="none"' in header(ascending, "Lot")
    assert "order=desc" in header(ascending, "Reference")  # following it again turns the sort round
    descending = text_of(referral_list.get("/authority/referrals?sort=reference&order=desc"))
    assert first_cells(descending)[:2] == ["T-DPS-R0027", "T-DPS-R0026"]
    assert 'aria-sort="descending"' in header(descending, "Reference")


def test_the_pager_and_the_filter_form_keep_the_search_and_the_sort(referral_list):
    page = text_of(referral_list.get("/authority/referrals?q=T-DPS&sort=reference&order=asc&status=draft"))
    assert first_cells(page)[0] == "T-DPS-R0001" and len(first_cells(page)) == 25
    for link in pager_links(page):
        assert all(part in link for part in ("q=T-DPS", "sort=reference", "order=asc", "status=draft")), link
    second = text_of(referral_list.get(next(link for link in pager_links(page) if "page=2" in link)))
    assert first_cells(second) == ["T-DPS-R0026", "T-DPS-R0027"]
    assert '<input type="hidden" name="sort" value="reference">' in page
    # Choosing a sort starts again at page 1, keeping the search.
    sort_link = re.search(r'href="([^"]+)"', header(second, "Lot")).group(1)
    assert "page=" not in sort_link and "q=T-DPS" in sort_link


def test_an_unknown_sort_shows_the_list_newest_first(referral_list):
    page = text_of(referral_list.get("/authority/referrals?sort=created_by_id&order=sideways"))
    assert first_cells(page)[0] == "T-DPS-R0027"
    assert "27 referrals, newest first" in page


def test_referrals_sort_by_urgency_most_urgent_first(world, clock, sign_in):
    later = draft_referral(world, clock, needed_by="more_than_5_days")
    today = draft_referral(world, clock, needed_by="today", required_start=clock.now().date())
    soon = draft_referral(world, clock, needed_by="within_5_days")
    page = text_of(sign_in(world.member_officer).get("/authority/referrals?sort=needed_by"))
    assert first_cells(page) == [today.reference, soon.reference, later.reference]


# Placements -------------------------------------------------------------------------------------------------

@pytest.fixture
def placement_list(world, clock, sign_in):
    """30 placements IPA-QC-000 to IPA-QC-029: odd ones on framework with Alpha Care, even ones off it with Listed
    provider 00; the weekly cost rises with the number."""
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    add_placements(world, clock, template, 0, 30)
    return sign_in(world.member_officer)


def test_placements_are_searched_by_agreement_referral_or_provider(placement_list):
    assert first_cells(text_of(placement_list.get("/authority/placements?q=ipa-qc-02")))[0].startswith("IPA-QC-029")
    by_referral = text_of(placement_list.get("/authority/placements?q=QC-007"))
    assert [cell.split()[0] for cell in first_cells(by_referral)] == ["IPA-QC-007"]
    by_provider = first_cells(text_of(placement_list.get("/authority/placements?q=alpha%20care")))
    assert len(by_provider) == 15 and all(int(cell.split()[0][-3:]) % 2 == 1 for cell in by_provider)
    assert "No placements match ‘Beta’." in text_of(placement_list.get("/authority/placements?q=Beta"))


def test_placements_sort_by_weekly_cost_and_the_pager_keeps_it(placement_list):
    page = text_of(placement_list.get("/authority/placements?sort=cost&order=asc"))
    assert [cell.split()[0] for cell in first_cells(page)[:2]] == ["IPA-QC-000", "IPA-QC-001"]
    assert 'aria-sort="ascending"' in header(page, "Weekly cost")
    assert all("sort=cost" in link and "order=asc" in link for link in pager_links(page))
    # Costs start dearest first when the column is first chosen.
    default = text_of(placement_list.get("/authority/placements"))
    assert "order=desc" in header(default, "Weekly cost")
    dearest = text_of(placement_list.get("/authority/placements?sort=cost"))
    assert first_cells(dearest)[0].startswith("IPA-QC-029")


def test_placements_sort_by_provider_name(placement_list):
    page = text_of(placement_list.get("/authority/placements?sort=provider&order=desc&framework=off"))
    assert 'aria-sort="descending"' in header(page, "Provider")
    assert len(first_cells(page)) == 15
    assert "framework=off" in re.search(r'href="([^"]+)"', header(page, "Agreement")).group(1)


def test_the_export_follows_the_search_and_sort(placement_list):
    page = text_of(placement_list.get("/authority/placements?q=alpha&sort=cost&order=asc"))
    export = re.search(r'href="(/authority/placements\.csv[^"]*)"', page).group(1)
    rows = text_of(placement_list.get(export)).splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == [f"IPA-QC-{n:03d}" for n in range(1, 30, 2)]
