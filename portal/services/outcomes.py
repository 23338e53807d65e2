"""Publishing a window's outcomes, and the tier awards that follow.

Publication is a deliberate step by the administrator once every submitted application of the
window is moderated. Admitted providers get their place on each lot; then every lot the window
touched is re-tiered over all its current members, with the DPS's weighting of the window's
version of the questions, and every figure of the workings is stored.
"""

from datetime import datetime
from decimal import Decimal

from flask import url_for
from sqlalchemy.orm import selectinload

from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    AgeCategory,
    Application,
    ApplicationLot,
    CategoryMembership,
    CategoryPrice,
    EntryWindow,
    Lot,
    LotMembership,
    LotOutcome,
    TierAward,
    User,
)
from portal.models.evaluation import ADMITTED, ADMITTED_WITH_CAUTION
from portal.scoring import EngineError, TierEntry, award_tiers, round_for_display
from portal.services import audit, evaluations, mail, standing

ACTIVE_MEMBERSHIP = ("admitted", "place_with_caution")


def publish(admin: User, window: EntryWindow, now: datetime) -> None:
    if window.dps.lead_authority_id != admin.organisation_id:
        raise DomainError("Only the lead authority publishes outcomes")
    if window.outcomes_published_at is not None:
        raise DomainError("The outcomes of this window have already been published")
    if window.is_open(now):
        raise DomainError(f"{window.label} is still open: publish its outcomes after it closes")
    applications = evaluations.window_applications(window)
    if not applications:
        raise DomainError("No application was submitted in this window")
    undecided = [a.provider.name for a in applications if a.moderated_at is None]
    if undecided:
        raise DomainError("Moderate every application before publishing. Still to moderate: " + ", ".join(undecided))

    touched_lots = set()
    for application in applications:
        _admit(application, now)
        touched_lots.update(outcome.lot_id for outcome in application.outcomes if outcome.is_admitted)
    window.outcomes_published_at, window.outcomes_published_by_id = now, admin.id
    db.session.flush()
    awards: dict[tuple[int, int], list[TierAward]] = {}
    for lot in db.session.scalars(db.select(Lot).where(Lot.id.in_(touched_lots)).order_by(Lot.number)):
        for award in recalculate_tiers(lot, window, now):
            awards.setdefault((award.lot_id, award.provider_id), []).append(award)
    for application in applications:
        _keep_published_awards(application, awards)
    for application in applications:
        for user in application.provider.users:
            if user.is_active:
                mail.notify(user, at=now, link=url_for("supplier.outcome", application_id=application.id),
                            subject=f"{window.dps.name}: the outcome of your application",
                            body="The outcome of your application, with your scores and feedback, is ready. "
                                 "You can download your letter from the portal.")
    audit.record(at=now, actor=admin, action="evaluation.published", entity=window,
                 summary=f"{window.dps.reference} {window.label}: outcomes published",
                 after={"applications": len(applications), "lots_retiered": sorted(touched_lots)})
    db.session.commit()


def _keep_published_awards(application: Application, awards: dict[tuple[int, int], list[TierAward]]) -> None:
    """The snapshot of each admitted lot's tier lines (one per category priced) at publication, which later
    re-tiering leaves alone."""
    for outcome in application.outcomes:
        if outcome.is_admitted:
            for award in awards.get((outcome.lot_id, application.provider_id), []):
                award.published_outcome = outcome


def _admit(application: Application, now: datetime) -> None:
    provider = application.provider
    for outcome in application.outcomes:
        if not outcome.is_admitted:
            continue
        status = "place_with_caution" if outcome.outcome == ADMITTED_WITH_CAUTION else "admitted"
        membership = db.session.scalar(db.select(LotMembership).where(
            LotMembership.lot_id == outcome.lot_id, LotMembership.provider_id == provider.id))
        if membership is None:
            db.session.add(LotMembership(lot_id=outcome.lot_id, provider_id=provider.id, status=status,
                                         admitted_at=now, window_id=application.window_id))
        else:
            membership.status, membership.window_id = status, application.window_id
        standing.contract_for(outcome.lot.dps_id, provider.id, now=now)  # its contract on the DPS
    admitted = {o.outcome for o in application.outcomes if o.is_admitted}
    if admitted and provider.provider_status in ("applicant", "admitted", "place_with_caution"):
        new_status = "admitted" if ADMITTED in admitted else "place_with_caution"
        if provider.provider_status == "admitted" and new_status == "place_with_caution":
            new_status = "admitted"  # caution on a new lot does not demote a provider already admitted
        if new_status != provider.provider_status:
            before = provider.provider_status
            provider.change_provider_status(new_status)
            audit.record(at=now, actor=None, action="provider.status_changed", entity=provider,
                         summary=f"{provider.name} is now {provider.status_label.lower()}",
                         before={"status": before}, after={"status": new_status})


def _latest_outcomes(lot_id: int, provider_ids: list[int]) -> dict[int, tuple[Decimal, dict[int, Decimal]]]:
    """Each provider's latest admitted outcome on the lot: its quality percentage and the application's weekly
    price for each age category it priced, by provider id, in one query of plain columns however many providers.
    A provider admitted before the portal kept outcomes has none."""
    rows = db.session.execute(
        db.select(Application.provider_id, Application.id, LotOutcome.quality_percent, CategoryPrice.category_id,
                  CategoryPrice.weekly_price)
        .join(Application, Application.id == LotOutcome.application_id)
        .join(ApplicationLot, (ApplicationLot.application_id == Application.id) & (ApplicationLot.lot_id == lot_id))
        .outerjoin(CategoryPrice, CategoryPrice.application_lot_id == ApplicationLot.id)
        .where(LotOutcome.lot_id == lot_id, Application.provider_id.in_(provider_ids),
               LotOutcome.outcome.in_((ADMITTED, ADMITTED_WITH_CAUTION)))
        .order_by(Application.provider_id, Application.moderated_at.desc(), Application.id.desc())).all()
    latest: dict[int, tuple[Decimal, dict[int, Decimal]]] = {}
    application_of: dict[int, int] = {}
    for provider_id, application_id, quality_percent, category_id, weekly_price in rows:
        if application_of.setdefault(provider_id, application_id) != application_id:
            continue  # an earlier application of the provider
        _quality, prices = latest.setdefault(provider_id, (quality_percent, {}))
        if category_id is not None:
            prices[category_id] = weekly_price
    return latest


def recalculate_tiers(lot: Lot, window: EntryWindow, now: datetime) -> list[TierAward]:
    """Rank every current member of the lot by weighted quality/cost score and assign tiers, in each age category
    on its own: the members who priced the category, on those prices, with the category's number of tiers.
    A fixed number of statements however many members (the awards and new places inserted in bulk)."""
    question_set = window.question_set
    members = db.session.scalars(
        db.select(LotMembership).where(LotMembership.lot_id == lot.id, LotMembership.status.in_(ACTIVE_MEMBERSHIP))
        .options(selectinload(LotMembership.provider), selectinload(LotMembership.categories))).all()
    figures = _latest_outcomes(lot.id, [membership.provider_id for membership in members])
    db.session.execute(db.update(TierAward).where(TierAward.lot_id == lot.id, TierAward.current.is_(True))
                       .values(current=False))
    award_rows = []
    tiers_in: dict[int, dict[int, int | None]] = {provider_id: {} for provider_id in figures}
    for category in lot.categories:
        entries = []
        for membership in members:
            if membership.provider_id not in figures:
                continue
            quality_percent, prices = figures[membership.provider_id]
            price = prices.get(category.id)
            if price is None:
                continue  # the provider does not offer this category
            entries.append(TierEntry(provider_id=membership.provider_id, provider_name=membership.provider.name,
                                     quality_percent=Decimal(quality_percent), weekly_price=Decimal(price)))
        try:
            rows = award_tiers(entries, quality_weight=question_set.quality_weight,
                               cost_weight=question_set.cost_weight, tiers=category.tiers)
        except EngineError as error:
            raise DomainError(f"{category.full_label}: {error}") from None
        for row in rows:
            award_rows.append(_award_row(row, lot_id=lot.id, category_id=category.id, window_id=window.id,
                                         quality_weight=question_set.quality_weight,
                                         cost_weight=question_set.cost_weight, now=now))
            tiers_in[row.provider_id][category.id] = row.tier
        audit.record(at=now, actor=None, action="evaluation.tiers_awarded", entity=lot,
                     summary=f"{category.full_label} re-tiered: {len(rows)} providers",
                     after={"category": category.age_band,
                            **{str(row.provider_id): {"rank": row.rank, "tier": row.tier,
                                                      "total": round_for_display(row.total)} for row in rows}})
    _move_places([membership for membership in members if membership.provider_id in tiers_in], tiers_in)
    return _insert_awards(lot.id, award_rows)


def _award_row(row, *, lot_id: int, category_id: int, window_id: int, quality_weight: int, cost_weight: int,
               now: datetime) -> dict:
    """A current line of a tier table, from the engine's row, as the values of an INSERT."""
    return {"lot_id": lot_id, "category_id": category_id, "provider_id": row.provider_id, "window_id": window_id,
            "calculated_at": now, "current": True, "quality_weight": quality_weight, "cost_weight": cost_weight,
            "quality_percent": row.quality_percent, "quality_component": row.quality_component,
            "weekly_price": row.weekly_price, "lowest_price": row.lowest_price,
            "cost_component": row.cost_component, "total": round_for_display(row.total), "rank": row.rank,
            "tier": row.tier, "tied_with": ", ".join(row.tied_with)}


def _insert_awards(lot_id: int, award_rows: list[dict]) -> list[TierAward]:
    """Insert the lot's new current awards in one statement and read them back, in the order given."""
    if not award_rows:
        return []
    db.session.execute(TierAward.__table__.insert(), award_rows)
    inserted = {(award.category_id, award.provider_id): award for award in db.session.scalars(
        db.select(TierAward).where(TierAward.lot_id == lot_id, TierAward.current.is_(True)))}
    return [inserted[(row["category_id"], row["provider_id"])] for row in award_rows]


def _move_places(members: list[LotMembership], tiers_in: dict[int, dict[int, int | None]]) -> None:
    """Give each ranked member its tier in every category it was ranked in, and take it out of the categories it
    no longer prices; the new places are inserted in one statement."""
    new_places = []
    for membership in members:
        tiers = tiers_in[membership.provider_id]
        for place in list(membership.categories):
            if place.category_id not in tiers:
                membership.categories.remove(place)
            elif place.tier != tiers[place.category_id]:
                place.tier = tiers[place.category_id]
        held = {place.category_id for place in membership.categories}
        new_places += [{"membership_id": membership.id, "category_id": category_id, "tier": tier}
                       for category_id, tier in tiers.items() if category_id not in held]
    if new_places:
        db.session.flush()  # the removals first: a place may come back in the same category
        db.session.execute(CategoryMembership.__table__.insert(), new_places)
        for membership in members:
            db.session.expire(membership, ["categories"])


def retier_category(admin: User, category: AgeCategory, now: datetime) -> str | None:
    """Re-tier one age category at once after its number of tiers changed, on the scores its current tier table
    stores (each provider's quality and weekly price, with the weighting of the window that tiered it), by the
    same engine; every provider's place in the category moves with it, in the caller's transaction. A provider
    holding a place without a line in the table (admitted before the portal kept outcomes) has no score to rank
    on: it keeps its tier when that still exists, else takes the last tier (tier 1 when there were none).
    Returns what happened, for the administrator ("Lot 1, ages 5 to 10 re-tiered into 1 tier: 4 providers
    moved"), or None when nobody holds a place in the category. A fixed number of statements however many
    providers."""
    current = tier_table(category)
    places = db.session.scalars(
        db.select(CategoryMembership).where(CategoryMembership.category_id == category.id)
        .options(selectinload(CategoryMembership.membership))).all()
    if not current and not places:
        return None
    tiers = category.tiers
    moved = 0
    rows = []
    if current:
        entries = [TierEntry(provider_id=award.provider_id, provider_name=award.provider.name,
                             quality_percent=Decimal(award.quality_percent), weekly_price=Decimal(award.weekly_price))
                   for award in current]
        first = current[0]
        try:
            rows = award_tiers(entries, quality_weight=first.quality_weight, cost_weight=first.cost_weight,
                               tiers=tiers)
        except EngineError as error:
            raise DomainError(f"{category.full_label}: {error}") from None
        db.session.execute(db.update(TierAward).where(TierAward.category_id == category.id,
                                                      TierAward.current.is_(True)).values(current=False))
        for award in current:
            db.session.expire(award, ["current"])
        db.session.execute(TierAward.__table__.insert(), [
            _award_row(row, lot_id=category.lot_id, category_id=category.id, window_id=first.window_id,
                       quality_weight=first.quality_weight, cost_weight=first.cost_weight, now=now)
            for row in rows])
    new_tiers = {row.provider_id: row.tier for row in rows}
    for place in places:
        provider_id = place.membership.provider_id
        if provider_id in new_tiers:
            tier = new_tiers[provider_id]
        elif not tiers:
            tier = None
        else:
            tier = min(place.tier, tiers) if place.tier else tiers
        if tier != place.tier:
            place.tier = tier
            moved += 1
    tier_words = f"{tiers} tier{'s' if tiers != 1 else ''}" if tiers else "no tiers"
    message = f"{category.full_label} re-tiered into {tier_words}: {moved} provider{'s' if moved != 1 else ''} moved"
    audit.record(at=now, actor=admin, action="evaluation.tiers_awarded", entity=category.lot, summary=message,
                 after={"category": category.age_band, "tiers": tiers,
                        **{str(row.provider_id): {"rank": row.rank, "tier": row.tier,
                                                  "total": round_for_display(row.total)} for row in rows}})
    return message


def tier_table(category: AgeCategory) -> list[TierAward]:
    """The current tier table of one age category, best first."""
    return db.session.scalars(
        db.select(TierAward).where(TierAward.category_id == category.id, TierAward.current.is_(True))
        .options(selectinload(TierAward.provider))
        .order_by(TierAward.rank, TierAward.id)).all()


def tier_tables(lot: Lot) -> list[tuple[AgeCategory, list[TierAward]]]:
    """The current tier table of each age category of the lot, youngest first, in one query."""
    awards = db.session.scalars(
        db.select(TierAward).where(TierAward.lot_id == lot.id, TierAward.current.is_(True))
        .options(selectinload(TierAward.provider))
        .order_by(TierAward.rank, TierAward.id)).all()
    return [(category, [award for award in awards if award.category_id == category.id])
            for category in lot.categories]


def published_tier_lines(application: Application) -> dict[int, dict[int, TierAward]]:
    """The provider's line in each category's tier table as it was when this application's outcome was published,
    by lot id and category id: what its outcome letter says, however the lot has been re-tiered since."""
    return {outcome.lot_id: {award.category_id: award for award in outcome.published_awards}
            for outcome in application.outcomes if outcome.published_awards}


def retiered_since(published: TierAward | None, current: TierAward | None) -> bool:
    """Whether the provider's tier or rank in the category has changed since the outcome was published."""
    if published is None or current is None:
        return False
    return (published.tier, published.rank) != (current.tier, current.rank)


def own_tier_lines(application: Application) -> dict[int, dict[int, TierAward]]:
    """The provider's current line in each category's tier table, by lot id and category id."""
    lines: dict[int, dict[int, TierAward]] = {}
    for award in db.session.scalars(
            db.select(TierAward).where(TierAward.provider_id == application.provider_id, TierAward.current.is_(True),
                                       TierAward.lot_id.in_([al.lot_id for al in application.lots]))):
        lines.setdefault(award.lot_id, {})[award.category_id] = award
    return lines


def published_for_provider(user: User, application: Application) -> bool:
    """Providers see their own evaluation once, and only once, the window's outcomes are published."""
    return (application.provider_id == user.organisation_id and application.moderated_at is not None
            and application.window.outcomes_published_at is not None)
