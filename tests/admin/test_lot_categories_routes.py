"""The lot form's age categories, and the provider's prices page per category, through the pages."""

import json
from decimal import Decimal

from portal.extensions import db
from portal.models import Application, AuditEvent, Lot
from tests.factories import complete_application


def rows(*categories) -> dict:
    data = {}
    for number, (low, high, tiers) in enumerate(categories, start=1):
        data.update({f"category-{number}-age_from": low, f"category-{number}-age_to": high,
                     f"category-{number}-tiers": tiers})
    return data


def flat(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def test_the_administrator_adds_a_lot_in_three_age_categories(world, sign_in):
    admin = sign_in(world.admin)
    form = admin.get(f"/admin/dps/{world.dps.id}/lots/new").get_data(as_text=True)
    assert "Age category 1" in form and 'name="category-6-tiers"' in form
    response = admin.post(f"/admin/dps/{world.dps.id}/lots/new", data={
        "name": "Standard fostering", "description": "", **rows(("0", "4", "3"), ("5", "10", "3"), ("11", "17", "3"))})
    assert response.status_code == 302
    lot = db.session.scalar(db.select(Lot).where(Lot.name == "Standard fostering"))
    assert [(c.age_from, c.age_to, c.tiers) for c in lot.categories] == [(0, 4, 3), (5, 10, 3), (11, 17, 3)]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "lot.created",
                                                          AuditEvent.entity_id == lot.id))
    assert json.loads(event.after)["categories"] == [{"ages": "0 to 4", "tiers": 3}, {"ages": "5 to 10", "tiers": 3},
                                         {"ages": "11 to 17", "tiers": 3}]
    page = flat(admin.get(f"/admin/dps/{world.dps.id}"))
    assert "Ages 0 to 4: 3 tiers</li><li>Ages 5 to 10: 3 tiers</li><li>Ages 11 to 17: 3 tiers" in page
    assert "Not divided: 3 tiers" in page  # the test DPS's own lots


def test_a_gap_between_categories_is_shown_against_the_row_and_nothing_is_saved(world, sign_in):
    admin = sign_in(world.admin)
    response = admin.post(f"/admin/dps/{world.dps.id}/lots/new", data={
        "name": "Standard fostering", "description": "", **rows(("0", "4", "3"), ("6", "10", "3"))})
    assert response.status_code == 400
    page = flat(response)
    message = "No category covers age 5: the categories must follow on without a gap"
    assert f'<a href="#category-2-age_from">{message}</a>' in page
    assert ('id="category-2-age_from-error" class="govuk-error-message"> <span class="govuk-visually-hidden">Error:'
            f'</span> {message}') in page
    assert 'value="6"' in page  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count(Lot.id)).where(Lot.name == "Standard fostering")) == 0


def test_a_figure_that_is_not_a_whole_number_is_refused(world, sign_in):
    response = sign_in(world.admin).post(f"/admin/dps/{world.dps.id}/lots/new", data={
        "name": "Standard fostering", "description": "", **rows(("0", "four", "3"))})
    assert response.status_code == 400
    assert "Enter the oldest age of age category 1 as a whole number, like 5" in flat(response)


def test_changing_a_priced_categorys_ages_is_refused_with_the_reason(world, sign_in, clock):
    lot = world.lots[0]
    complete_application(world.provider_a, world.window, clock, lots=[lot])
    response = sign_in(world.admin).post(f"/admin/dps/{world.dps.id}/lots/{lot.id}", data={
        "name": lot.name, "description": "", **rows(("16", "17", "3"), ("18", "18", "2"))})
    assert response.status_code == 400
    assert ("Ages 16 to 18 cannot be changed or removed because providers have priced it." in flat(response))
    db.session.expire_all()
    assert [(c.age_from, c.age_to) for c in db.session.get(Lot, lot.id).categories] == [(16, 18)]


def test_another_authoritys_lot_is_not_found(world, sign_in):
    response = sign_in(world.outside_admin).get(f"/admin/dps/{world.dps.id}/lots/{world.lots[0].id}")
    assert response.status_code == 404


def test_the_provider_prices_each_category_it_offers(world, sign_in, clock):
    from tests.evaluation.test_age_categories import divide

    lot = divide(world, clock)
    application = complete_application(world.provider_a, world.window, clock, lots=[lot])
    young, middle, older = lot.categories
    provider = sign_in(world.provider_a)
    url = f"/provider/applications/{application.id}/prices"
    page = flat(provider.get(url))
    assert f"<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">{lot.label}</legend>" in page
    assert f'for="price-{middle.id}"> Ages 5 to 10 </label>' in page
    response = provider.post(url, data={f"price-{young.id}": "", f"price-{middle.id}": "1,150.50",
                                        f"price-{older.id}": "12x"})
    assert response.status_code == 400
    assert (f"Lot {lot.number}, ages 11 to 17: Enter the weekly price in pounds and pence, like 1,450.00"
            in flat(response))
    db.session.expire_all()
    al = db.session.get(Application, application.id).lots[0]
    # The valid price is saved, the blank one removes the price (not offered), the bad one keeps the old price.
    assert [(c.age_band, p) for c, p in al.priced_categories] == [
        ("0 to 4", None), ("5 to 10", Decimal("1150.50")), ("11 to 17", Decimal("1250.00"))]
    check = flat(provider.get(f"/provider/applications/{application.id}/submit"))
    assert ("Ages 0 to 4: Not offered<br>Ages 5 to 10: £1,150.50 per week<br>Ages 11 to 17: £1,250.00 per week"
            in check)


def test_a_missing_name_and_a_gap_are_shown_together_and_what_was_typed_is_kept(world, sign_in):
    lots = len(world.dps.lots)
    response = sign_in(world.admin).post(f"/admin/dps/{world.dps.id}/lots/new", data={
        "name": "", "description": "Short breaks", **rows(("0", "4", "3"), ("6", "10", "3"))})
    assert response.status_code == 400
    page = flat(response)
    assert "Enter the lot&#39;s name" in page or "Enter the lot's name" in page
    assert '<a href="#category-2-age_from">No category covers age 5: the categories must follow on without a gap</a>' \
        in page
    assert "Short breaks" in page and 'value="6"' in page
    assert db.session.scalar(db.select(db.func.count(Lot.id)).where(Lot.dps_id == world.dps.id)) == lots


def test_more_categories_than_allowed_are_refused_not_dropped(world, sign_in):
    seven = [(str(age), str(age), "1") for age in range(10, 17)]
    response = sign_in(world.admin).post(f"/admin/dps/{world.dps.id}/lots/new", data={
        "name": "Short breaks", "description": "", **rows(*seven)})
    assert response.status_code == 400
    page = flat(response)
    message = "A lot has at most 6 age categories: you gave 7. Join some ages into one category"
    assert f'<a href="#category-7-age_from">{message}</a>' in page
    assert 'name="category-7-age_from"' in page and 'value="16"' in page  # the seventh row typed is shown again
    assert db.session.scalar(db.select(db.func.count(Lot.id)).where(Lot.name == "Short breaks")) == 0


def test_tiers_out_of_range_are_refused_with_the_range(world, sign_in):
    response = sign_in(world.admin).post(f"/admin/dps/{world.dps.id}/lots/new", data={
        "name": "Short breaks", "description": "", **rows(("0", "4", "3"), ("5", "10", "9"))})
    assert response.status_code == 400
    assert ('<a href="#category-2-tiers">Age category 2 (5 to 10): enter a number of tiers from 0 (no tiers) to 5</a>'
            in flat(response))
    assert 'value="9"' in flat(response)


def test_a_divided_lot_with_no_price_at_all_is_refused_on_the_prices_page(world, sign_in, clock):
    from tests.evaluation.test_age_categories import divide

    lot = divide(world, clock)
    application = complete_application(world.provider_a, world.window, clock, lots=[lot])
    url = f"/provider/applications/{application.id}/prices"
    response = sign_in(world.provider_a).post(url, data={f"price-{c.id}": "" for c in lot.categories})
    assert response.status_code == 400
    message = f"{lot.label}: enter a weekly price for at least one age category you offer, or remove the lot from " \
              "your application"
    assert f'<a href="#price-{lot.categories[0].id}">{message}</a>' in flat(response)
    db.session.expire_all()
    assert [price for _, price in db.session.get(Application, application.id).lots[0].priced_categories] == [
        Decimal("1250.00")] * 3
