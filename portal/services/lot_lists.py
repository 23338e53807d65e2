"""The long lists of a DPS's lots, a page at a time: the providers admitted to each lot (the officer's DPS page) and
each age category's tier table (the tier page). A lot may hold thousands of providers, so each table shows one page
of rows, and the statements a page runs depend on the number of lots and categories, never on the providers.

The complete tier tables, for the evaluation report, are `outcomes.tier_tables`."""

from sqlalchemy import func
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import AgeCategory, CategoryMembership, Lot, LotMembership, Organisation, TierAward
from portal.services.listing import Page, page_within

ROWS_PER_PAGE = 50


def admitted_pages(lots: list[Lot], asked: dict[int, int | None],
                   per_page: int | None = None) -> dict[int, Page]:
    """A page of each lot's providers (those that have not left), best tier first, by lot id; `asked` holds the page
    asked for of each lot. Each page's items are memberships with their provider and places loaded."""
    per_page = per_page or ROWS_PER_PAGE
    totals = dict(db.session.execute(
        db.select(LotMembership.lot_id, func.count(LotMembership.id))
        .where(LotMembership.lot_id.in_([lot.id for lot in lots]), LotMembership.status != "left")
        .group_by(LotMembership.lot_id)).all())
    best_tier = func.coalesce(func.min(CategoryMembership.tier), 99)  # as LotMembership.best_tier
    ids_by_lot = {}
    for lot in lots:
        total = totals.get(lot.id, 0)
        number = page_within(asked.get(lot.id), total, per_page)
        ids_by_lot[lot.id] = (number, total, db.session.scalars(
            db.select(LotMembership.id)
            .outerjoin(CategoryMembership, CategoryMembership.membership_id == LotMembership.id)
            .where(LotMembership.lot_id == lot.id, LotMembership.status != "left").group_by(LotMembership.id)
            .order_by(best_tier, LotMembership.id).limit(per_page).offset((number - 1) * per_page)).all()
            if total else [])
    loaded = {membership.id: membership for membership in db.session.scalars(
        db.select(LotMembership).where(LotMembership.id.in_([i for _, _, ids in ids_by_lot.values() for i in ids]))
        .options(selectinload(LotMembership.provider),
                 selectinload(LotMembership.categories).selectinload(CategoryMembership.category)))}
    return {lot_id: Page([loaded[i] for i in ids], page=number, per_page=per_page, total=total)
            for lot_id, (number, total, ids) in ids_by_lot.items()}


def tier_table_pages(categories: list[AgeCategory], asked: dict[int, int | None],
                     per_page: int | None = None) -> dict[int, Page]:
    """A page of each category's current tier table, in rank order, by category id; `asked` holds the page asked
    for of each category. Each row holds only what the tier page shows: the award's figures and the provider's
    name (`provider_name`)."""
    per_page = per_page or ROWS_PER_PAGE
    totals = dict(db.session.execute(
        db.select(TierAward.category_id, func.count(TierAward.id))
        .where(TierAward.category_id.in_([category.id for category in categories]), TierAward.current.is_(True))
        .group_by(TierAward.category_id)).all())
    pages = {}
    for category in categories:
        total = totals.get(category.id, 0)
        number = page_within(asked.get(category.id), total, per_page)
        rows = db.session.execute(
            db.select(TierAward.rank, TierAward.tier, TierAward.tied_with, TierAward.quality_percent,
                      TierAward.quality_component, TierAward.weekly_price, TierAward.lowest_price,
                      TierAward.cost_component, TierAward.total, TierAward.quality_weight, TierAward.cost_weight,
                      TierAward.calculated_at, Organisation.name.label("provider_name"))
            .join(Organisation, Organisation.id == TierAward.provider_id)
            .where(TierAward.category_id == category.id, TierAward.current.is_(True))
            .order_by(TierAward.rank, TierAward.id).limit(per_page).offset((number - 1) * per_page)).all() \
            if total else []
        pages[category.id] = Page(rows, page=number, per_page=per_page, total=total)
    return pages
