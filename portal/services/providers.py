"""The provider register: what the lead authority records about each provider."""

from datetime import date, datetime

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Application, Dps, EntryWindow, Lot, LotMembership, Organisation, User
from portal.models.organisation import OFSTED_RATINGS
from portal.services import audit


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
