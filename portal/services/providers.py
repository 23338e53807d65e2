"""The provider register: what the lead authority records about each provider."""

from datetime import date, datetime

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Organisation, User
from portal.models.organisation import OFSTED_RATINGS
from portal.services import audit


def record_ofsted_rating(admin: User, provider: Organisation, *, rating: str, rating_date: date,
                         now: datetime) -> None:
    """Record the provider's latest Ofsted judgement, as published."""
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
