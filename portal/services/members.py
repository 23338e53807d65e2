"""A DPS's member authorities, chosen from the upper-tier (children's services) authorities, each once; a member
leaving the DPS; an authority's area confirmed; and the extensions of the DPS's term taken up."""

from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from portal import areas
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import Dps, DpsExtension, DpsMember, Organisation, Placement, User
from portal.models.organisation import AUTHORITY
from portal.services import audit
from portal.timezone import format_date, to_local

MAX_REASON = 2000
MAX_COUNCIL_NAME = 200


def _today(now: datetime) -> date:
    return to_local(now).date()


def authority_for_area(code: str, now: datetime, actor: User | None = None, name: str = "") -> Organisation:
    """The authority that is the area's council: found by its area; else an authority whose area is still to be
    confirmed and whose name means that area ("Oldham MBC" for Oldham), confirmed as its council now (so no second
    council is made); else created for it, named `name` if given, else as areas.council_name suggests."""
    area = areas.get(code)
    if area is None or not area.is_upper_tier:
        raise DomainError("Choose the authority from the list", field="area_code")
    authority = db.session.scalar(db.select(Organisation).where(Organisation.kind == AUTHORITY,
                                                                Organisation.area_code == area.code))
    if authority is None:
        authority = _unconfirmed_named_for(area)
        if authority is not None:
            before = {"area_code": None, "local_authority_area": authority.local_authority_area}
            authority.area_code, authority.local_authority_area = area.code, area.name
            audit.record(at=now, actor=actor, action="organisation.area_confirmed", entity=authority,
                         summary=f"{authority.name} confirmed as the authority for {area.name} (its name matches)",
                         before=before, after={"area_code": area.code, "local_authority_area": area.name})
            _home_area_flags_follow(authority, actor, now)
            db.session.flush()
    if authority is None:
        authority = Organisation(name=_new_council_name(area, name), kind=AUTHORITY, area_code=area.code,
                                 local_authority_area=area.name, created_at=now)
        db.session.add(authority)
        db.session.flush()
    return authority


def _home_area_flags_follow(authority: Organisation, actor: User | None, now: datetime) -> None:
    """With the authority's area now known, "in the authority's own area" is worked out again by the areas rule for
    its placements whose home's area is known: those made while its area was to be confirmed had it recorded as
    not. Each change is audited; the placements are read in one query and written in one batch."""
    placements = db.session.scalars(
        db.select(Placement).options(load_only(Placement.id, Placement.agreement_reference,
                                               Placement.location_area_code, Placement.in_home_area))
        .where(Placement.authority_id == authority.id, Placement.location_area_code.is_not(None))
        .order_by(Placement.id)).all()
    events = []
    for placement in placements:
        answer = areas.within(placement.location_area_code, authority.area_code)
        if answer != placement.in_home_area:
            events.append({"at": now, "actor": actor, "action": "placement.home_area_worked_out", "entity": placement,
                           "summary": f"{placement.agreement_reference}: in {authority.name}'s own area worked out "
                                      f"again now its area is known: {'yes' if answer else 'no'}",
                           "before": {"in_home_area": placement.in_home_area}, "after": {"in_home_area": answer}})
            placement.in_home_area = answer
    audit.record_many(events)


def tidy_name(name: str) -> str:
    return " ".join((name or "").split())


def _new_council_name(area: areas.Area, name: str) -> str:
    """The name a new council is given: the one typed, else the suggested one; never another authority's."""
    name = tidy_name(name) or areas.council_name(area)
    if len(name) > MAX_COUNCIL_NAME:
        raise DomainError(f"The council's name must be {MAX_COUNCIL_NAME} characters or fewer", field="council_name")
    taken = db.session.scalar(db.select(Organisation.name).where(
        Organisation.kind == AUTHORITY, db.func.lower(Organisation.name) == name.lower()))
    if taken:
        raise DomainError(f"Another authority is already called {taken}: enter this council's own name",
                          field="council_name")
    return name


def _unconfirmed_named_for(area: areas.Area) -> Organisation | None:
    """The oldest authority with no area whose name (or the area it was typed with) means this area."""
    unconfirmed = db.session.scalars(db.select(Organisation).where(
        Organisation.kind == AUTHORITY, Organisation.area_code.is_(None)).order_by(Organisation.id)).all()
    for organisation in unconfirmed:
        for text in (organisation.name, organisation.local_authority_area or ""):
            matched = areas.match_name(text) if text else None
            if matched is not None and matched.code == area.code:
                return organisation
    return None


def add(admin: User, dps: Dps, *, area_code: str, now: datetime, council_name: str = "") -> DpsMember:
    """Add the authority of an upper-tier area as a member; a former member that rejoins is a member again. A council
    the portal does not know yet is made, named `council_name` if given (else as areas.council_name suggests); for
    one it knows, a name typed must be the one it has (an authority is not renamed here)."""
    authority = authority_for_area(area_code or "", now, admin, name=council_name)
    typed = tidy_name(council_name)
    if typed and typed != authority.name:
        raise DomainError(f"The portal already knows this council as {authority.name}: leave the council's name "
                          "blank to add it", field="council_name")
    if authority.id == dps.lead_authority_id:
        raise DomainError("The lead authority is already part of this DPS", field="area_code")
    member = next((member for member in dps.members if member.authority_id == authority.id), None)
    if member is not None and member.is_current:
        raise DomainError(f"{authority.name} is already a member", field="area_code")
    if member is not None:
        before = {"left_on": member.left_on, "left_reason": member.left_reason}
        member.left_on, member.left_by_id, member.left_reason = None, None, ""
        member.joined_on = _today(now)
        audit.record(at=now, actor=admin, action="dps.member_rejoined", entity=member,
                     summary=f"{authority.name} rejoined {dps.reference}", before=before,
                     after={"joined_on": member.joined_on})
    else:
        member = DpsMember(dps=dps, authority=authority, joined_on=_today(now))
        db.session.add(member)
        db.session.flush()
        audit.record(at=now, actor=admin, action="dps.member_added", entity=member,
                     summary=f"{authority.name} joined {dps.reference}",
                     after={"authority": authority.name, "area_code": authority.area_code})
    db.session.commit()
    return member


def member_of(dps: Dps, member_id: int) -> DpsMember:
    member = db.session.get(DpsMember, member_id)
    if member is None or member.dps_id != dps.id:
        raise NotFound()
    return member


def leave(admin: User, member: DpsMember, *, left_on: date | None, reason: str, now: datetime) -> None:
    """The member leaves the DPS: its referrals and placements stay (as those of a former member) and its officers
    still see them, but it can start no new referral on the DPS."""
    reason = (reason or "").strip()
    if not member.is_current:
        raise DomainError(f"{member.authority.name} left this DPS on {format_date(member.left_on)}",
                          field="left_on")
    if not isinstance(left_on, date):
        raise DomainError("Enter the date the authority left as a real date", field="left_on")
    if left_on > _today(now):
        raise DomainError("The date the authority left cannot be in the future", field="left_on")
    if left_on < member.joined_on:
        raise DomainError(f"The authority joined on {format_date(member.joined_on)}: enter that date or later",
                          field="left_on")
    if not reason:
        raise DomainError("Give the reason the authority is leaving", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"Use {MAX_REASON} characters or fewer for the reason", field="reason")
    member.left_on, member.left_by_id, member.left_reason = left_on, admin.id, reason
    audit.record(at=now, actor=admin, action="dps.member_left", entity=member,
                 summary=f"{member.authority.name} left {member.dps.reference} on {format_date(left_on)}",
                 before={"left_on": None}, after={"left_on": left_on, "reason": reason})
    db.session.commit()


def unconfirmed_authorities(dps: Dps) -> list[Organisation]:
    """The DPS's authorities (lead and members, current or former) whose area is still to be confirmed."""
    authorities = [dps.lead_authority, *(member.authority for member in dps.members)]
    return sorted((org for org in authorities if org.area_code is None), key=lambda org: org.name)


def confirm_area(admin: User, dps: Dps, authority_id: int, *, area_code: str, now: datetime) -> Organisation:
    """The administrator says which upper-tier area an authority of the DPS is the council of."""
    authority = next((org for org in unconfirmed_authorities(dps) if org.id == authority_id), None)
    if authority is None:
        raise NotFound()
    area = areas.get(area_code)
    if area is None or not area.is_upper_tier:
        raise DomainError("Choose the authority's area from the list", field=f"area-{authority_id}")
    other = db.session.scalar(db.select(Organisation).where(Organisation.kind == AUTHORITY,
                                                            Organisation.area_code == area.code))
    if other is not None:
        raise DomainError(f"{other.name} is already the authority for {area.name}", field=f"area-{authority_id}")
    before = {"area_code": None, "local_authority_area": authority.local_authority_area}
    authority.area_code, authority.local_authority_area = area.code, area.name
    audit.record(at=now, actor=admin, action="organisation.area_confirmed", entity=authority,
                 summary=f"{authority.name} confirmed as the authority for {area.name}", before=before,
                 after={"area_code": area.code, "local_authority_area": area.name})
    _home_area_flags_follow(authority, admin, now)
    try:
        db.session.commit()
    except IntegrityError:  # another administrator confirmed the same area at the same moment
        db.session.rollback()
        raise DomainError(f"Another authority is already the authority for {area.name}",
                          field=f"area-{authority_id}") from None
    return authority


def record_extension(admin: User, dps: Dps, *, number: int | None, taken_on: date | None,
                     now: datetime) -> DpsExtension:
    """The next possible extension of the term is taken up: the current end date moves on by its years. `number` is
    the extension the administrator's form was for, so a form sent twice (or a stale one) takes up nothing more."""
    taken = dps.extensions_taken
    if isinstance(number, int) and 1 <= number <= taken:
        raise DomainError(f"Extension {number} has already been recorded: the term now ends on "
                          f"{format_date(dps.end_date)}. Nothing was changed", field="taken_on")
    if number != taken + 1 and dps.next_extension is not None:
        raise DomainError("This page is out of date: go back to the DPS and record the extension again",
                          field="taken_on")
    years = dps.next_extension
    if years is None:
        message = ("This DPS has no extensions of its term" if not dps.extensions
                   else "Every possible extension of this DPS's term has been taken up")
        raise DomainError(message, field="taken_on")
    if not isinstance(taken_on, date):
        raise DomainError("Enter the date the extension was taken up as a real date", field="taken_on")
    if taken_on > _today(now):
        raise DomainError("The date the extension was taken up cannot be in the future", field="taken_on")
    if taken_on > dps.end_date:
        raise DomainError(f"The term ended on {format_date(dps.end_date)}: an extension is taken up before the end",
                          field="taken_on")
    if taken_on < dps.start_date:
        raise DomainError(f"The DPS starts on {format_date(dps.start_date)}: enter that date or later",
                          field="taken_on")
    before_end = dps.end_date
    extension = DpsExtension(dps=dps, number=taken + 1, years=years, taken_on=taken_on,
                             recorded_by_id=admin.id, recorded_at=now)
    db.session.add(extension)
    db.session.flush()
    db.session.refresh(dps, ["extension_records"])
    audit.record(at=now, actor=admin, action="dps.extension_taken", entity=dps,
                 summary=f"{dps.reference}: extension {extension.number} of {years} year{'s' if years != 1 else ''} "
                         f"taken up; the term now ends on {format_date(dps.end_date)}",
                 before={"end_date": before_end}, after={"end_date": dps.end_date, "taken_on": taken_on})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError("Another administrator recorded this extension at the same moment", field="taken_on") \
            from None
    return extension


def is_current_member(dps: Dps, organisation_id: int) -> bool:
    """The authority leads the DPS or is a member that has not left."""
    return dps.lead_authority_id == organisation_id or any(
        member.authority_id == organisation_id and member.is_current for member in dps.members)
