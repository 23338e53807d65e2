"""Who may see which referral, and the lists of an authority's referrals."""

from datetime import datetime

from sqlalchemy.orm import load_only, selectinload

from portal.errors import NotFound
from portal.extensions import db
from portal.models import (
    Bid,
    BidInvitation,
    Child,
    Dps,
    DpsMember,
    Lot,
    Referral,
    ReferralRound,
    User,
)
from portal.models.bid import SUBMITTED as BID_SUBMITTED
from portal.models.referral import (
    AWARDED,
    CLOSED,
    DRAFT,
    EXHAUSTED,
    NEEDED_BY,
    OPEN,
    STATUS_LABELS,
    WITHDRAWN,
)
from portal.models.user import (
    ASSISTANT_DIRECTOR,
    BUDGET_HOLDER,
    COMMISSIONING_OFFICER,
    HEAD_OF_SERVICE,
    PROVIDER_USER,
)
from portal.services import listing

READERS = (COMMISSIONING_OFFICER, BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR)


def reads_referrals(user: User) -> bool:
    """Whether the user reads their authority's referrals: its officers and those who decide its approvals."""
    return not user.organisation.is_provider and user.has_role(*READERS)


def may_create(user: User) -> bool:
    """Whether the user makes referrals for their authority: its commissioning officers."""
    return not user.organisation.is_provider and user.has_role(COMMISSIONING_OFFICER)


def is_officer_of(user: User, referral: Referral) -> bool:
    return user.has_role(COMMISSIONING_OFFICER) and user.organisation_id == referral.authority_id


def get_for_authority(user: User, referral_id: int) -> Referral:
    """A referral of the user's own authority; NotFound for anyone else, whatever id they type."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or not is_officer_of(user, referral):
        raise NotFound()
    return referral


def get_for_reader(user: User, referral_id: int) -> Referral:
    """A referral of the user's own authority, for its officers and for those who decide its approvals (budget
    holders, heads of service, assistant directors), who read it but change nothing; NotFound for anyone else."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.authority_id != user.organisation_id or not user.has_role(*READERS):
        raise NotFound()
    return referral


def invitation_for(user: User, referral_id: int) -> BidInvitation:
    """The invitation of the user's provider to bid for the referral; NotFound if it was not invited."""
    if not user.has_role(PROVIDER_USER):
        raise NotFound()
    invitation = db.session.scalar(db.select(BidInvitation).where(
        BidInvitation.referral_id == referral_id, BidInvitation.provider_id == user.organisation_id))
    if invitation is None:
        raise NotFound()
    return invitation


def dpss_for(user: User):
    """The DPSs an officer may refer to: those the authority leads or is a member of (and has not left), with
    their lots."""
    org_id = user.organisation_id
    return db.session.scalars(
        db.select(Dps).where(db.or_(Dps.lead_authority_id == org_id,
                                    Dps.id.in_(db.select(DpsMember.dps_id).where(DpsMember.authority_id == org_id,
                                                                                 DpsMember.left_on.is_(None)))))
        .options(selectinload(Dps.lots)).order_by(Dps.name)).all()


def lot_for(user: User, lot_id: int) -> Lot:
    """A lot of a DPS the officer may refer to; NotFound otherwise."""
    lot = db.session.get(Lot, lot_id)
    if lot is None or not user.has_role(COMMISSIONING_OFFICER) or not _may_refer_to(user, lot):
        raise NotFound()
    return lot


def _status_clause(status: str, now: datetime):
    latest_deadline = (db.select(db.func.max(ReferralRound.deadline))
                       .where(ReferralRound.referral_id == Referral.id).scalar_subquery())
    live = db.and_(Referral.withdrawn_at.is_(None), Referral.awarded_at.is_(None), Referral.exhausted_at.is_(None))
    return {
        WITHDRAWN: Referral.withdrawn_at.is_not(None),
        AWARDED: db.and_(Referral.withdrawn_at.is_(None), Referral.awarded_at.is_not(None)),
        EXHAUSTED: db.and_(Referral.withdrawn_at.is_(None), Referral.awarded_at.is_(None),
                           Referral.exhausted_at.is_not(None)),
        DRAFT: db.and_(live, Referral.published_at.is_(None)),
        OPEN: db.and_(live, Referral.published_at.is_not(None), latest_deadline > now),
        CLOSED: db.and_(live, Referral.published_at.is_not(None),
                        db.or_(latest_deadline <= now, latest_deadline.is_(None))),
    }[status]


_current_deadline = (db.select(db.func.max(ReferralRound.deadline)).where(ReferralRound.referral_id == Referral.id)
                     .correlate(Referral).scalar_subquery())
# The officer's list sorts by these keys only; "needed by" runs from the most urgent.
REFERRAL_SORTS = listing.SortKeys({
    "reference": [Referral.reference],
    "child": [db.func.lower(Child.first_names), db.func.lower(Child.surname)],
    "lot": [Lot.number, Lot.name],
    "needed_by": [db.case({code: rank for rank, code in enumerate(NEEDED_BY)}, value=Referral.needed_by, else_=99)],
    "deadline": [_current_deadline],
    "created": [Referral.created_at],
}, default="created", default_descending=True, tie_breaker=[Referral.id], newest_first=["deadline", "created"],
    blanks_last=["deadline"])


# What the officer's list shows of each referral (its status comes from the dates and its rounds): the rest of
# the row, the child's needs in long text, is not read for a list.
LISTED_COLUMNS = (Referral.id, Referral.reference, Referral.lot_id, Referral.category_id, Referral.child_id,
                  Referral.needed_by, Referral.published_at, Referral.awarded_at, Referral.exhausted_at,
                  Referral.withdrawn_at, Referral.created_at)


# The officer's list counts the referrals it finds up to this, and says "more than" beyond it: the count of every
# referral an authority ever made would grow with the years and cost more than the page itself.
COUNTED_AT_MOST = 1000


def for_authority(user: User, *, now: datetime, status: str | None = None, search: str = "",
                  sorting: listing.Sorting | None = None, page: int = 1, per_page: int = 25):
    """The authority's referrals, newest first unless sorted otherwise (REFERRAL_SORTS), optionally of one status
    and searched by reference, lot, or the child's name or case number; a page whose total is counted no further
    than COUNTED_AT_MOST rows past it (`more` when the list goes on beyond `total`). NotFound for anyone but its
    READERS."""
    if not reads_referrals(user):
        raise NotFound()
    sorting = sorting or REFERRAL_SORTS.choose(None, None)
    query = (db.select(Referral).where(Referral.authority_id == user.organisation_id)
             .join(Lot, Lot.id == Referral.lot_id).outerjoin(Child, Child.id == Referral.child_id)
             .options(load_only(*LISTED_COLUMNS, raiseload=True),
                      selectinload(Referral.child).load_only(Child.first_names, Child.surname, raiseload=True),
                      selectinload(Referral.lot).selectinload(Lot.categories), selectinload(Referral.rounds))
             .order_by(*REFERRAL_SORTS.order_by(sorting)))
    if status in STATUS_LABELS:
        query = query.where(_status_clause(status, now))
    search = listing.cleaned(search)
    if search:
        query = query.where(listing.matching(search, [Referral.reference, Lot.name, Child.first_names,
                                                      Child.surname, Child.known_as, Child.case_number]))
    return listing.bounded_page(db.session, query, page=page, per_page=per_page, ahead=COUNTED_AT_MOST)


def status_counts(user: User, now: datetime) -> dict[str, int]:
    """How many of the authority's referrals are drafts, open and closed awaiting a decision."""
    if not reads_referrals(user):
        raise NotFound()
    base = db.select(db.func.count(Referral.id)).where(Referral.authority_id == user.organisation_id)
    return {status: db.session.scalar(base.where(_status_clause(status, now))) for status in (DRAFT, OPEN, CLOSED)}


def invitations_of(referral: Referral) -> list[BidInvitation]:
    """The referral's invitations in the order sent, with their providers."""
    return db.session.scalars(db.select(BidInvitation).where(BidInvitation.referral_id == referral.id)
                              .options(selectinload(BidInvitation.provider))
                              .order_by(BidInvitation.id)).all()


def received_counts(referral_ids: list[int]) -> dict[int, int]:
    """How many bids (not withdrawn) each referral has received: a count only, allowed before the deadline."""
    if not referral_ids:
        return {}
    rows = db.session.execute(
        db.select(Bid.referral_id, db.func.count(Bid.id))
        .where(Bid.referral_id.in_(referral_ids), Bid.status == BID_SUBMITTED)
        .group_by(Bid.referral_id))
    return {referral_id: count for referral_id, count in rows}


def _may_refer_to(officer: User, lot: Lot) -> bool:
    """The officer's authority leads the lot's DPS or is a member that has not left it."""
    dps = lot.dps
    return dps.lead_authority_id == officer.organisation_id or any(
        member.authority_id == officer.organisation_id and member.left_on is None for member in dps.members)
