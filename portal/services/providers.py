"""The provider register: what the lead authority records about each provider."""

from datetime import date, datetime

from sqlalchemy.orm import selectinload

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Application, CategoryMembership, Dps, EntryWindow, Lot, LotMembership, Organisation, User
from portal.models.organisation import OFSTED_RATINGS, PROVIDER, PROVIDER_STATUSES
from portal.services import audit, listing, standing_effects

# The register sorts by these keys only.
REGISTER_SORTS = listing.SortKeys({
    "name": [db.func.lower(Organisation.name)],
    "ofsted": [Organisation.ofsted_urn],
    "area": [db.func.lower(Organisation.local_authority_area)],
    "standing": [Organisation.provider_status],
}, default="name", default_descending=False, tie_breaker=[Organisation.id], blanks_last=["ofsted"])


# Standing on a DPS, for the register's filter (portal.services.standing works it out).
DPS_STANDINGS = {"good": "In good standing", "suspended": "Suspended", "terminated": "Terminated"}


def register(*, status: str | None = None, search: str = "", sorting: listing.Sorting | None = None, page: int = 1,
             per_page: int = 25, dps_standing: str | None = None, dps_ids=()):
    """The provider register, by name unless sorted otherwise (REGISTER_SORTS), optionally of one status on the
    register, or of one standing (DPS_STANDINGS) on at least one of the DPSs `dps_ids`, and searched by name, Ofsted
    URN or area; a Pagination."""
    sorting = sorting or REGISTER_SORTS.choose(None, None)
    query = (db.select(Organisation).where(Organisation.kind == PROVIDER)
             .options(selectinload(Organisation.users)).order_by(*REGISTER_SORTS.order_by(sorting)))
    if status in PROVIDER_STATUSES:
        query = query.where(Organisation.provider_status == status)
    if dps_standing in DPS_STANDINGS and dps_ids:
        query = query.where(standing_effects.standing_clause(dps_standing, list(dps_ids)))
    search = listing.cleaned(search)
    if search:
        query = query.where(listing.matching(search, [Organisation.name, Organisation.ofsted_urn,
                                                      Organisation.local_authority_area]))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def lots_held(provider_ids: list[int]) -> dict[int, list[LotMembership]]:
    """Each provider's places on lots, with the lot and its DPS, in one query."""
    held: dict[int, list[LotMembership]] = {}
    for membership in db.session.scalars(
        db.select(LotMembership).where(LotMembership.provider_id.in_(provider_ids))
        .options(selectinload(LotMembership.lot).selectinload(Lot.dps),
                 selectinload(LotMembership.lot).selectinload(Lot.categories),
                 selectinload(LotMembership.categories).selectinload(CategoryMembership.category))
    ).all():
        held.setdefault(membership.provider_id, []).append(membership)
    return held


def linked_provider_ids(lead_id: int):
    """The providers that applied to, or hold a place on a lot of, a DPS the authority leads: a subquery of
    their ids, for `.in_()`."""
    led = db.select(Dps.id).where(Dps.lead_authority_id == lead_id)
    applied = (db.select(Application.provider_id).join(EntryWindow, EntryWindow.id == Application.window_id)
               .where(EntryWindow.dps_id.in_(led)))
    placed = (db.select(LotMembership.provider_id).join(Lot, Lot.id == LotMembership.lot_id)
              .where(Lot.dps_id.in_(led)))
    return db.union(applied, placed)


def is_linked(provider: Organisation, lead_id: int) -> bool:
    return db.session.scalar(db.select(Organisation.id).where(
        Organisation.id == provider.id, Organisation.id.in_(linked_provider_ids(lead_id)))) is not None


def record_ofsted_rating(admin: User, provider: Organisation, *, rating: str, rating_date: date,
                         now: datetime) -> None:
    """Record the provider's latest Ofsted judgement, as published."""
    if not is_linked(provider, admin.organisation_id):
        raise DomainError("You can record Ofsted ratings only for providers that applied to, or hold a place on, "
                          "a DPS your authority leads")
    if not provider.ofsted_urn:
        raise DomainError("This provider has no Ofsted URN, so it has no Ofsted rating to record")
    if rating not in OFSTED_RATINGS:
        raise DomainError("Choose the Ofsted rating", field="rating")
    if rating_date > now.date():
        raise DomainError("The date of the judgement cannot be in the future", field="rating_date")
    before = {"ofsted_rating": provider.ofsted_rating, "ofsted_rating_date": provider.ofsted_rating_date}
    provider.ofsted_rating = rating
    provider.ofsted_rating_date = rating_date
    audit.record(at=now, actor=admin, action="provider.ofsted_recorded", entity=provider,
                 summary=f"Ofsted rating of {provider.name} recorded: {rating}", before=before,
                 after={"ofsted_rating": rating, "ofsted_rating_date": rating_date})
    db.session.commit()
