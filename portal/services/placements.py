"""The authority's placements through their life: the list with its status and filters, each placement's
history, spend (cost to date), and the provider's view of its own placements.

Spend follows the placement's prices: each weekly price counts from its `effective_from` until the next price,
as weekly price / 7 for each day the child lived there (from the start up to the end date, or up to and
including today). `cost_to_date` works it out for one placement already loaded; `spend_by_provider` and
`authority_spend` add it up in SQL (one statement each, however many placements and prices).

Providers see their own placements anonymised as referrals are: references, lot, start, status and weekly price,
never the child's name, case number or date of birth."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.orm import selectinload

from portal import areas
from portal.errors import DomainError, NotFound
from portal.extensions import MAX_PAGE, db
from portal.formatting import money
from portal.models import Lot, OffFrameworkProvider, Organisation, Placement, PlacementPrice, Referral, User
from portal.models.placement import STATUSES
from portal.models.placement_life import ENDING_REASONS, NOTICE_BY
from portal.models.user import COMMISSIONING_OFFICER, PROVIDER_USER
from portal.services import audit, awards, listing, off_framework
from portal.services.off_framework import FRAMEWORK_FILTERS
from portal.timezone import format_date, to_local
from portal.timezone import uk_today as uk_today  # the pages read it from here too

PER_PAGE = 25
AREA_FILTERS = {"in": "In our area", "out": "Outside our area"}
PENNY = Decimal("0.01")
FAR = date(9999, 12, 31)


# Spend ------------------------------------------------------------------------------------------------------

def _prices(placement: Placement) -> list[tuple[date, Decimal]]:
    prices = [(price.effective_from, price.weekly_cost) for price in placement.prices]
    return prices or [(placement.start_date, placement.weekly_cost)]


def cost_to_date(placement: Placement, today: date) -> Decimal:
    """What the placement has cost up to and including `today` (or up to its end date), following its prices."""
    stop = today + timedelta(days=1)
    if placement.end_date is not None:
        stop = min(stop, placement.end_date)
    prices = _prices(placement)
    total = Decimal("0")
    for index, (effective_from, weekly) in enumerate(prices):
        until = prices[index + 1][0] if index + 1 < len(prices) else FAR
        days = (min(until, stop) - max(effective_from, placement.start_date)).days
        if days > 0:
            total += Decimal(weekly) * days
    return (total / 7).quantize(PENNY, rounding=ROUND_HALF_UP)


def weekly_price_on(placement: Placement, day: date) -> Decimal:
    """The weekly price in force on `day` (the first price before the start)."""
    prices = _prices(placement)
    return next((weekly for effective_from, weekly in reversed(prices) if effective_from <= day), prices[0][1])


def _days(later, earlier):
    if db.engine.dialect.name == "postgresql":
        return later - earlier
    return db.cast(db.func.julianday(later) - db.func.julianday(earlier), db.Integer)


def _earlier(first, second):
    return db.case((first < second, first), else_=second)


def _weekly_days(today: date):
    """An expression of weekly price x days lived at that price, one row per price of each placement."""
    until = db.func.lead(PlacementPrice.effective_from).over(
        partition_by=PlacementPrice.placement_id, order_by=(PlacementPrice.effective_from, PlacementPrice.id))
    segment = db.select(PlacementPrice.placement_id, PlacementPrice.weekly_cost,
                        PlacementPrice.effective_from.label("effective_from"), until.label("until")).subquery()
    start = db.case((segment.c.effective_from > Placement.start_date, segment.c.effective_from),
                    else_=Placement.start_date)
    stop = _earlier(_earlier(db.func.coalesce(segment.c.until, FAR), db.func.coalesce(Placement.end_date, FAR)),
                    db.literal(today + timedelta(days=1), db.Date))
    days = _days(stop, start)
    amount = db.case((days > 0, segment.c.weekly_cost * days), else_=0)
    return segment, amount


def _pounds(weekly_days) -> Decimal:
    return (Decimal(str(weekly_days or 0)) / 7).quantize(PENNY, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ProviderSpend:
    name: str
    on_framework: bool
    placements: int
    cost_to_date: Decimal


def spend_by_provider(user: User, today: date, *, page: int = 1, per_page: int = PER_PAGE):
    """The authority's cost to date by provider, the largest first: a Pagination of ProviderSpend."""
    authority_id = _authority_id(user)
    segment, amount = _weekly_days(today)
    name = db.func.coalesce(Organisation.name, OffFrameworkProvider.name)
    total = db.func.sum(amount)
    query = (db.select(name.label("name"), Placement.on_framework, db.func.count(db.distinct(Placement.id)),
                       total.label("total"))
             .select_from(Placement).outerjoin(segment, segment.c.placement_id == Placement.id)
             .outerjoin(Organisation, Organisation.id == Placement.provider_id)
             .outerjoin(OffFrameworkProvider, OffFrameworkProvider.id == Placement.off_framework_provider_id)
             .where(Placement.authority_id == authority_id)
             .group_by(Placement.on_framework, Placement.provider_id, Placement.off_framework_provider_id,
                       Organisation.name, OffFrameworkProvider.name)
             .order_by(db.func.coalesce(total, 0).desc(), name))
    result = RowPagination(select=query, session=db.session, page=max(1, min(page, MAX_PAGE)), per_page=per_page,
                           error_out=False)
    result.items = [ProviderSpend(row[0], bool(row[1]), row[2], _pounds(row[3])) for row in result.items]
    return result


class RowPagination(SelectPagination):
    """A Pagination of rows (a grouped select), not of records."""

    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


@dataclass(frozen=True)
class AuthoritySpend:
    placements: int
    cost_to_date: Decimal
    on_framework: Decimal
    off_framework: Decimal


def authority_spend(user: User, today: date) -> AuthoritySpend:
    """The authority's cost to date over all its placements, and on and off the framework (one statement)."""
    segment, amount = _weekly_days(today)
    row = db.session.execute(
        db.select(db.func.count(db.distinct(Placement.id)), db.func.sum(amount),
                  db.func.sum(db.case((Placement.on_framework.is_(True), amount), else_=0)))
        .select_from(Placement).outerjoin(segment, segment.c.placement_id == Placement.id)
        .where(Placement.authority_id == _authority_id(user))).one()
    total, on = _pounds(row[1]), _pounds(row[2])
    return AuthoritySpend(placements=row[0], cost_to_date=total, on_framework=on, off_framework=total - on)


# The authority's list ---------------------------------------------------------------------------------------

def _authority_id(user: User) -> int:
    if not user.has_role(COMMISSIONING_OFFICER) or not user.organisation.is_authority:
        raise NotFound()
    return user.organisation_id


@dataclass(frozen=True)
class Filters:
    """The list's filters, each None for all: a lot's id, a provider key (`provider_key`), "on"/"off" the
    framework, "in"/"out" of the authority's area, a status of STATUSES."""

    lot: int | None = None
    provider: str | None = None
    framework: str | None = None
    area: str | None = None
    status: str | None = None
    search: str = ""

    @classmethod
    def read(cls, args) -> "Filters":
        def choice(name, allowed):
            value = args.get(name) or None
            return value if value in allowed else None

        lot = _record_id(args.get("lot"))
        provider = args.get("provider") or None
        if provider is not None and not (provider[:2] in ("f-", "o-") and _record_id(provider[2:])):
            provider = None
        return cls(lot=lot, provider=provider, framework=choice("framework", FRAMEWORK_FILTERS),
                   area=choice("area", AREA_FILTERS), status=choice("status", STATUSES),
                   search=args.get("q", "") or "")

    def as_args(self) -> dict:
        return {name: value for name, value in (("lot", self.lot), ("provider", self.provider),
                                                 ("framework", self.framework), ("area", self.area),
                                                 ("status", self.status), ("q", self.search or None)) if value}


def _record_id(text: str | None) -> int | None:
    """An id typed in the address, or None for anything that is not one (or too big for the database)."""
    text = text or ""
    return int(text) if text.isascii() and text.isdecimal() and int(text) < 2**31 else None


def provider_key(placement_or_row) -> str:
    if placement_or_row.on_framework:
        return f"f-{placement_or_row.provider_id}"
    return f"o-{placement_or_row.off_framework_provider_id}"


def _query(user: User, filters: Filters, sorting: listing.Sorting | None, today: date):
    query = off_framework._placements_query(user, filters.framework, filters.search, sorting).options(
        selectinload(Placement.prices), selectinload(Placement.lot))
    if filters.lot is not None:
        query = query.where(Placement.lot_id == filters.lot)
    if filters.provider is not None:
        column = Placement.provider_id if filters.provider.startswith("f-") else Placement.off_framework_provider_id
        query = query.where(Placement.on_framework.is_(filters.provider.startswith("f-")),
                            column == int(filters.provider[2:]))
    if filters.area is not None:
        query = query.where(Placement.in_home_area.is_(filters.area == "in"))
    if filters.status is not None:
        query = query.where(Placement.status_clause(filters.status, today))
    return query


def list_for(user: User, filters: Filters, *, today: date, sorting: listing.Sorting | None = None, page: int = 1,
             per_page: int = PER_PAGE):
    """The authority's placements, filtered; a Pagination (each with its prices, for the cost to date)."""
    return db.paginate(_query(user, filters, sorting, today), page=page, per_page=per_page, error_out=False)


def all_for(user: User, filters: Filters, *, today: date, sorting: listing.Sorting | None = None) -> list[Placement]:
    """Every placement the list would show, for the export."""
    return list(db.session.scalars(_query(user, filters, sorting, today)))


def filter_choices(user: User) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """The lots and the providers of the authority's placements, for the filters (two queries)."""
    authority_id = _authority_id(user)
    lots = db.session.scalars(db.select(Lot).where(Lot.id.in_(
        db.select(Placement.lot_id).where(Placement.authority_id == authority_id))).order_by(Lot.dps_id, Lot.number))
    providers = db.session.execute(
        db.select(Placement.on_framework, Placement.provider_id, Placement.off_framework_provider_id,
                  db.func.coalesce(Organisation.name, OffFrameworkProvider.name))
        .outerjoin(Organisation, Organisation.id == Placement.provider_id)
        .outerjoin(OffFrameworkProvider, OffFrameworkProvider.id == Placement.off_framework_provider_id)
        .where(Placement.authority_id == authority_id).distinct())
    provider_options = sorted(((provider_key(row), row[3] + ("" if row.on_framework else " (off framework)"))
                               for row in providers), key=lambda option: option[1].lower())
    return [(lot.id, f"{lot.dps.reference} {lot.label}") for lot in lots], provider_options


# One placement's history ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    day: date
    text: str
    placement: Placement | None = None  # a placement the event leads to (the next one)


def history(placement: Placement, today: date | None = None) -> list[Event]:
    """What happened to the placement, in order: the award, each price change, the notice, the end, the next. A
    change or an end after `today` is told as to come."""
    def coming(day: date) -> bool:
        return today is not None and day > today

    events = [Event(to_local(placement.created_at).date(),
                    f"Placed with {placement.provider_name} from {format_date(placement.start_date)}")]
    for price in placement.prices[1:]:
        verb = "changes" if coming(price.effective_from) else "changed"
        events.append(Event(price.effective_from, f"Weekly price {verb} to {money(price.weekly_cost)}"
                            + (f": {price.reason}" if price.reason else "")))
    if placement.notice_given_on is not None:
        by = NOTICE_BY.get(placement.notice_given_by, "Someone").lower()
        events.append(Event(placement.notice_given_on, f"Written notice given by {by} to end on "
                            f"{format_date(placement.end_date)}" if placement.end_date else
                            f"Written notice given by {by}"))
    if placement.end_date is not None:
        kind = {True: "Planned ending", False: "Unplanned ending", None: "Ending"}[placement.ending_planned]
        reason = ENDING_REASONS.get(placement.ending_reason or "", "")
        kind = f"{kind} to come (the last night is the day before)" if coming(placement.end_date) else kind
        events.append(Event(placement.end_date, f"{kind}" + (f": {reason}" if reason else "")
                            + (" (provider's short notice: a breach of the agreement)"
                               if placement.short_notice_breach else "")))
    if placement.next_placement is not None:
        following = placement.next_placement
        events.append(Event(following.start_date, f"Moved to {following.provider_name}", following))
    return sorted(events, key=lambda event: event.day)


# The provider's placements ----------------------------------------------------------------------------------

def _provider_id(user: User) -> int:
    if not user.has_role(PROVIDER_USER) or not user.organisation.is_provider:
        raise NotFound()
    return user.organisation_id


def for_provider(user: User, *, page: int = 1, per_page: int = PER_PAGE):
    """The provider's own placements, the latest start first: a Pagination."""
    query = (db.select(Placement).where(Placement.provider_id == _provider_id(user))
             .options(selectinload(Placement.referral), selectinload(Placement.lot).selectinload(Lot.categories),
                      selectinload(Placement.prices))
             .order_by(Placement.start_date.desc(), Placement.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def current_count_for_provider(user: User, today: date) -> int:
    """How many of the provider's placements have not ended (starting, live or ending): for its dashboard."""
    return db.session.scalar(current_counter_for_provider(user, today))


def current_counter_for_provider(user: User, today: date):
    """The COUNT statement of current_count_for_provider, for the dashboard to run with its other counts."""
    return db.select(db.func.count(Placement.id)).where(
        Placement.provider_id == _provider_id(user), db.not_(Placement.status_clause("ended", today)))


def get_for_provider(user: User, placement_id: int) -> Placement:
    placement = db.session.get(Placement, placement_id)
    if placement is None or placement.provider_id is None or placement.provider_id != _provider_id(user):
        raise NotFound()
    return placement


def referral_reference(placement: Placement) -> str:
    return db.session.scalar(db.select(Referral.reference).where(Referral.id == placement.referral_id))


def place_flags(placement: Placement) -> tuple[bool | None, bool | None]:
    """"In the authority's own area" and "in the preferred location" as an officer reads them: what was recorded,
    or None (not known) while an area the rule needs is to be confirmed, as the bids side by side say."""
    known = awards.place_flags(placement.location_area_code, placement.referral)
    recorded = (placement.in_home_area, placement.location_was_preferred)
    return tuple(None if flag is None else value for flag, value in zip(known, recorded, strict=True))


# A placement's area to be confirmed -------------------------------------------------------------------------

def confirm_area(officer: User, placement: Placement, *, area_code: str, now) -> Placement:
    """The officer names the area of a home typed before areas were data that matched none: the district,
    unitary or borough (never a county). "In the authority's own area" and "in the preferred location" are then
    worked out by the areas rule, where the authority's area and the referral's preferred areas are known."""
    if not (officer.has_role(COMMISSIONING_OFFICER) and officer.organisation_id == placement.authority_id):
        raise NotFound()
    if placement.location_area_code is not None:
        raise DomainError(f"The area of this placement is already known: {placement.location_area}",
                          field="area_code")
    area = areas.get(area_code)
    if area is None:
        raise DomainError("Choose the area of the home from the list", field="area_code")
    if not area.is_lowest_tier:
        raise DomainError(areas.COUNTY_MESSAGE, field="area_code")
    before = {"location_area": placement.location_area, "location_area_code": None,
              "in_home_area": placement.in_home_area, "location_was_preferred": placement.location_was_preferred}
    in_home_area, preferred = awards.place_flags(area.code, placement.referral)
    placement.location_area, placement.location_area_code = area.name, area.code
    if in_home_area is not None:
        placement.in_home_area = in_home_area
    if preferred is not None:
        placement.location_was_preferred = preferred
    audit.record(at=now, actor=officer, action="placement.area_confirmed", entity=placement,
                 summary=f"{placement.agreement_reference}: the home's area confirmed as {area.name}", before=before,
                 after={"location_area": area.name, "location_area_code": area.code,
                        "in_home_area": placement.in_home_area,
                        "location_was_preferred": placement.location_was_preferred})
    db.session.commit()
    return placement
