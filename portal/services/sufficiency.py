"""Sufficiency notices: an authority tells the providers admitted to a DPS where it needs carers or homes (the lot,
the area, the ages, how many, until when). Every provider holding a place on any lot of that DPS sees the current
notices; the authority's officers change or withdraw their own.

A notice is shown until its `needed_until` day inclusive, unless withdrawn: a query condition, no job."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import areas
from portal.errors import NotFound
from portal.extensions import db
from portal.models import Lot, LotMembership, Organisation, User
from portal.models.market import SufficiencyNotice
from portal.services import audit
from portal.services.bids import MEMBERSHIP_STATUSES
from portal.services.vacancies import MarketInvalid, checked_ages, checked_last_day, checked_text, member_dps_ids
from portal.timezone import uk_today

MAX_NOTE = 1000
MAX_PLACES = 99


@dataclass
class NoticeInput:
    lot_id: int | None = None
    area_code: str = ""
    age_from: int | None = None
    age_to: int | None = None
    places: int | None = None
    note: str = ""
    needed_until: date | None = None


def lots_for_authority(user: User) -> list[Lot]:
    """The lots of the DPSs the officer's authority belongs to: where it may publish notices."""
    return list(db.session.scalars(
        db.select(Lot).where(Lot.dps_id.in_(member_dps_ids(user.organisation_id)))
        .options(selectinload(Lot.dps)).order_by(Lot.dps_id, Lot.number)))


def _validated(user: User, data: NoticeInput, today: date) -> dict:
    problems: dict[str, str] = {}
    lot = next((item for item in lots_for_authority(user) if item.id == data.lot_id), None)
    if lot is None:
        problems["lot_id"] = "Choose a lot of an arrangement your authority belongs to"
    area = areas.get(data.area_code)
    if area is None:
        problems["area_code"] = "Choose the area from the list"
    checked_ages(problems, data.age_from, data.age_to, lot)
    if data.places is None:
        problems["places"] = "Enter how many carers or homes you need, as a whole number"
    elif not 1 <= data.places <= MAX_PLACES:
        problems["places"] = f"Enter a number from 1 to {MAX_PLACES}"
    note = checked_text(problems, "note", data.note, limit=MAX_NOTE)
    checked_last_day(problems, "needed_until", data.needed_until, today, what="of the need")
    if problems:
        raise MarketInvalid(problems)
    return {"lot_id": lot.id, "area_code": area.code, "age_from": data.age_from, "age_to": data.age_to,
            "places": data.places, "note": note, "needed_until": data.needed_until}


def _facts(notice: SufficiencyNotice) -> dict:
    return {"lot_id": notice.lot_id, "area_code": notice.area_code, "ages": notice.age_band, "places": notice.places,
            "needed_until": notice.needed_until.isoformat(), "note_length": len(notice.note)}


def publish(user: User, data: NoticeInput, now: datetime) -> SufficiencyNotice:
    values = _validated(user, data, uk_today(now))
    notice = SufficiencyNotice(authority_id=user.organisation_id, created_by_id=user.id, created_at=now,
                               updated_at=now, **values)
    db.session.add(notice)
    db.session.flush()
    audit.record(at=now, actor=user, action="sufficiency.published", entity=notice,
                 summary=f"Sufficiency notice published: {notice.places} in {notice.area_label}",
                 after=_facts(notice))
    db.session.commit()
    return notice


def update(user: User, notice: SufficiencyNotice, data: NoticeInput, now: datetime) -> SufficiencyNotice:
    _require_own(user, notice)
    if notice.withdrawn_at is not None:
        raise MarketInvalid({"lot_id": "This notice was withdrawn: publish a new one instead"})
    values = _validated(user, data, uk_today(now))
    before = _facts(notice)
    for name, value in values.items():
        setattr(notice, name, value)
    notice.updated_at = now
    audit.record(at=now, actor=user, action="sufficiency.changed", entity=notice,
                 summary=f"Sufficiency notice changed: {notice.places} in {notice.area_label}", before=before,
                 after=_facts(notice))
    db.session.commit()
    return notice


def withdraw(user: User, notice: SufficiencyNotice, now: datetime) -> None:
    """Withdraw a notice; withdrawing it again changes nothing."""
    _require_own(user, notice)
    if notice.withdrawn_at is not None:
        return
    notice.withdrawn_at = notice.updated_at = now
    audit.record(at=now, actor=user, action="sufficiency.withdrawn", entity=notice,
                 summary=f"Sufficiency notice withdrawn: {notice.area_label}", before=_facts(notice))
    db.session.commit()


def _require_own(user: User, notice: SufficiencyNotice) -> None:
    if notice.authority_id != user.organisation_id:
        raise NotFound()


def get_own(user: User, notice_id: int) -> SufficiencyNotice:
    notice = db.session.get(SufficiencyNotice, notice_id)
    if notice is None:
        raise NotFound()
    _require_own(user, notice)
    return notice


def current(today: date):
    return sa.and_(SufficiencyNotice.withdrawn_at.is_(None), SufficiencyNotice.needed_until >= today)


def own_page(user: User, today: date, *, page: int, per_page: int):
    """The authority's notices, current ones first, newest first."""
    return db.paginate(
        db.select(SufficiencyNotice).where(SufficiencyNotice.authority_id == user.organisation_id)
        .options(selectinload(SufficiencyNotice.lot))
        .order_by(sa.case((current(today), 0), else_=1), SufficiencyNotice.created_at.desc(),
                  SufficiencyNotice.id.desc()),
        page=page, per_page=per_page, error_out=False)


def _for_provider(provider: Organisation, today: date):
    """The current notices on the DPSs where the provider holds an active place on any lot."""
    admitted_dpss = (db.select(Lot.dps_id).join(LotMembership, LotMembership.lot_id == Lot.id)
                     .where(LotMembership.provider_id == provider.id, LotMembership.status.in_(MEMBERSHIP_STATUSES)))
    on_those = db.select(Lot.id).where(Lot.dps_id.in_(admitted_dpss))
    return sa.and_(current(today), SufficiencyNotice.lot_id.in_(on_those))


def for_provider(provider: Organisation, today: date, *, page: int, per_page: int):
    """What the provider sees: the current notices of its DPSs, those needed soonest first."""
    return db.paginate(
        db.select(SufficiencyNotice).where(_for_provider(provider, today))
        .options(selectinload(SufficiencyNotice.lot).selectinload(Lot.dps),
                 selectinload(SufficiencyNotice.authority))
        .order_by(SufficiencyNotice.needed_until, SufficiencyNotice.id),
        page=page, per_page=per_page, error_out=False)


def count_for_provider(provider: Organisation, today: date) -> int:
    return db.session.scalar(counter_for_provider(provider, today))


def counter_for_provider(provider: Organisation, today: date):
    """The COUNT statement of count_for_provider, for the dashboard to run with its other counts."""
    return db.select(sa.func.count(SufficiencyNotice.id)).where(_for_provider(provider, today))
