"""Children: the authority's private record of each child it refers, keyed by its own case number.

A referral's form carries the child's identity; `attach` gives the referral its child from it. A case number
that a child of the same authority already has links the referral to that child (its recorded identity is kept:
a mistyped case number must never rename another child); otherwise the referral's own child takes the details,
or a new child does when its child is shared with other referrals and the case number changes. A draft that keeps
its child's case number corrects that child's record (the same child for all its referrals).

Only the authority's commissioning officers read a child (`get_for_authority`, `list_for`): NotFound for
anyone else, whatever the id."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import selectinload

from portal.errors import NotFound
from portal.extensions import db
from portal.models import Child, Placement, Referral, User
from portal.models.user import COMMISSIONING_OFFICER
from portal.services import listing

PER_PAGE = 25


def _recorded_with(authority_id: int, case_number: str) -> Child | None:
    return db.session.scalar(db.select(Child).where(Child.authority_id == authority_id,
                                                    Child.case_number == case_number))


def _shared(child: Child, referral: Referral) -> bool:
    return db.session.scalar(db.select(db.func.count(Referral.id)).where(
        Referral.child_id == child.id, Referral.id != referral.id)) > 0 if child.id is not None else False


def attach(referral: Referral, details: dict, now: datetime) -> bool:
    """Give the referral its child from the identity typed on its form (`details`: first_names, surname,
    known_as, date_of_birth, case_number). True when the case number linked it to a child already recorded."""
    case_number = (details.get("case_number") or "").strip() or None
    current = referral.child
    if case_number is not None and (current is None or current.case_number != case_number):
        existing = _recorded_with(referral.authority_id, case_number)
        if existing is not None:
            referral.child = existing
            if current is not None and current.id is not None and not _shared(current, referral):
                db.session.delete(current)
            return True
    if current is None or (current.case_number != case_number and _shared(current, referral)):
        referral.child = Child(authority_id=referral.authority_id, created_at=now)
    child = referral.child
    for name in ("first_names", "surname", "known_as", "date_of_birth"):
        setattr(child, name, details.get(name) if name == "date_of_birth" else details.get(name) or "")
    child.case_number = case_number
    child.updated_at = now
    return False


# Reading ----------------------------------------------------------------------------------------------------

def _authority_id(user: User) -> int:
    if not user.has_role(COMMISSIONING_OFFICER) or not user.organisation.is_authority:
        raise NotFound()
    return user.organisation_id


def get_for_authority(user: User, child_id: int) -> Child:
    child = db.session.get(Child, child_id)
    if child is None or child.authority_id != _authority_id(user):
        raise NotFound()
    return child


CHILD_SORTS = listing.SortKeys({
    "name": [db.func.lower(Child.surname), db.func.lower(Child.first_names)],
    "case_number": [Child.case_number],
    "updated": [Child.updated_at],
}, default="name", default_descending=False, tie_breaker=[Child.id], newest_first=["updated"],
    blanks_last=["case_number"])


def list_for(user: User, *, search: str = "", sorting: listing.Sorting | None = None, page: int = 1,
             per_page: int = PER_PAGE):
    """The authority's children by surname, searched by name or case number; a Pagination."""
    sorting = sorting or CHILD_SORTS.choose(None, None)
    query = (db.select(Child).where(Child.authority_id == _authority_id(user))
             .order_by(*CHILD_SORTS.order_by(sorting)))
    search = listing.cleaned(search)
    if search:
        query = query.where(listing.matching(search, [Child.first_names, Child.surname, Child.known_as,
                                                      Child.case_number]))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def counts_of(children: list[Child]) -> dict[int, tuple[int, int]]:
    """How many referrals and placements each child has: (referrals, placements), two aggregate queries."""
    ids = [child.id for child in children]
    if not ids:
        return {}
    referrals = dict(db.session.execute(db.select(Referral.child_id, db.func.count(Referral.id))
                                        .where(Referral.child_id.in_(ids)).group_by(Referral.child_id)).all())
    placements = dict(db.session.execute(
        db.select(Referral.child_id, db.func.count(Placement.id)).join(Placement, Placement.referral_id == Referral.id)
        .where(Referral.child_id.in_(ids)).group_by(Referral.child_id)).all())
    return {child_id: (referrals.get(child_id, 0), placements.get(child_id, 0)) for child_id in ids}


@dataclass(frozen=True)
class History:
    referrals: list[Referral]
    placements: list[Placement]  # in the order they started, each with its ending's next placement


def history(child: Child) -> History:
    referrals = list(db.session.scalars(
        db.select(Referral).where(Referral.child_id == child.id).options(selectinload(Referral.lot))
        .order_by(Referral.created_at, Referral.id)))
    placements = list(db.session.scalars(
        db.select(Placement).join(Referral, Referral.id == Placement.referral_id).where(Referral.child_id == child.id)
        .options(selectinload(Placement.provider), selectinload(Placement.off_framework_provider),
                 selectinload(Placement.next_placement), selectinload(Placement.referral))
        .order_by(Placement.start_date, Placement.id)))
    return History(referrals=referrals, placements=placements)


def placements_of(child: Child) -> list[Placement]:
    """The child's placements in the order they started (for choosing the one that follows an ending)."""
    return history(child).placements
