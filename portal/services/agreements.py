"""The individual placement agreement (IPA) agreed in the portal, and the changes of weekly price that version it.

The order of signing, and who may sign:

- the authority's commissioning officer issues a version (version 1 after the award; later ones for an
  amendment, or when a change of price is approved); its PDF, without the child's identity, is stored with its
  SHA-256 when issued;
- a user of the placement's provider holding the signatory role accepts it first: typed full name, position,
  and the SHA-256 of the PDF they read, which must be the stored one;
- then a budget holder of the authority who did not issue it countersigns; the version is then locked and in
  force, and the version in force before it is superseded (kept and downloadable);
- nobody signs a version twice, a version replaced before it was signed cannot be signed, and a locked version
  never changes (a flush changing one is refused: `_locked_versions_never_change`).

Only placements on the framework are agreed here: an off-framework provider has no users in the portal, so its
agreement is signed on paper from the authority's download.

A change of weekly price is recorded by the officer with its reason and the date it takes effect and needs the
budget holder's approval (approvals kind PRICE_CHANGE, by budget like the placement's cost); once approved it
becomes a PlacementPrice, and for a placement on the framework a new version needing both signatures.
`placement.weekly_cost` follows the price in force today (`sync_weekly_costs` for changes taking effect later).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import url_for
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.documents.placement_agreement import VersionTerms, agreement_version
from portal.errors import DomainError, InvalidTransition, NotFound, Problems
from portal.extensions import db
from portal.formatting import money
from portal.models import AgreementVersion, Approval, Placement, PlacementPrice, PriceChange, User, UserRole
from portal.models.agreement import (
    AMENDMENT,
    AWAITING_COUNTERSIGNATURE,
    AWAITING_PROVIDER,
    AWARD,
    IN_FORCE,
    PRICE_CHANGE,
    REASONS,
)
from portal.models.approval import APPROVED, PENDING, REFUSED
from portal.models.approval import PRICE_CHANGE as PRICE_CHANGE_APPROVAL
from portal.models.user import BUDGET_HOLDER, COMMISSIONING_OFFICER, PROVIDER_USER, SIGNATORY
from portal.services import approvals, audit, counting, mail, uploads
from portal.timezone import format_date
from portal.timezone import uk_today as today_at

MAX_TEXT = 2000
MAX_NAME = 120
MAX_WEEKLY = Decimal("100000.00")
PER_PAGE = 25


# Reading ----------------------------------------------------------------------------------------------------

def versions_of(placement: Placement) -> list[AgreementVersion]:
    """Every version of the placement's agreement, newest first (one query)."""
    return list(db.session.scalars(
        db.select(AgreementVersion).where(AgreementVersion.placement_id == placement.id)
        .options(selectinload(AgreementVersion.issued_by), selectinload(AgreementVersion.provider_signed_by),
                 selectinload(AgreementVersion.countersigned_by))
        .order_by(AgreementVersion.number.desc())))


def in_force(versions: list[AgreementVersion]) -> AgreementVersion | None:
    return next((version for version in versions if version.state == IN_FORCE), None)


def awaiting(versions: list[AgreementVersion]) -> AgreementVersion | None:
    return next((version for version in versions if version.state in (AWAITING_PROVIDER, AWAITING_COUNTERSIGNATURE)),
                None)


@dataclass
class AgreementSummary:
    """What the placement page shows of its agreement."""

    versions: list[AgreementVersion]
    in_force: AgreementVersion | None
    awaiting: AgreementVersion | None
    signable: bool  # agreed in the portal (on the framework)
    price_changes: list[PriceChange]

    @property
    def fully_signed(self) -> bool:
        return self.in_force is not None and self.awaiting is None


def summary(placement: Placement) -> AgreementSummary:
    versions = versions_of(placement)
    changes = list(db.session.scalars(
        db.select(PriceChange).where(PriceChange.placement_id == placement.id)
        .options(selectinload(PriceChange.approval)).order_by(PriceChange.requested_at.desc())))
    return AgreementSummary(versions, in_force(versions), awaiting(versions), placement.on_framework, changes)


def version_for_authority(user: User, version_id: int) -> AgreementVersion:
    """A version of the user's authority's agreement, for its officers and budget holders; NotFound otherwise."""
    version = db.session.get(AgreementVersion, version_id)
    if version is None or version.placement.authority_id != user.organisation_id \
            or not user.has_role(COMMISSIONING_OFFICER, BUDGET_HOLDER):
        raise NotFound()
    return version


def version_for_provider(user: User, version_id: int) -> AgreementVersion:
    version = db.session.get(AgreementVersion, version_id)
    if version is None or not user.has_role(PROVIDER_USER) \
            or version.placement.provider_id != user.organisation_id:
        raise NotFound()
    return version


def pdf_of(version: AgreementVersion) -> bytes:
    return version.pdf


def for_provider(user: User, page: int = 1):
    """The provider's agreement versions, those waiting for its signature first, then newest; paginated."""
    waiting_first = db.case((db.and_(AgreementVersion.provider_signed_at.is_(None),
                                     AgreementVersion.superseded_at.is_(None)), 0), else_=1)
    query = (db.select(AgreementVersion).join(Placement, Placement.id == AgreementVersion.placement_id)
             .where(Placement.provider_id == user.organisation_id)
             .options(selectinload(AgreementVersion.placement).selectinload(Placement.authority))
             .order_by(waiting_first, AgreementVersion.issued_at.desc(), AgreementVersion.id.desc()))
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def waiting_for_provider_count(provider_id: int) -> int:
    """How many versions wait for a signature of the provider's signatories."""
    return db.session.scalar(waiting_for_provider_counter(provider_id))


def waiting_for_provider_counter(provider_id: int):
    """The COUNT statement of waiting_for_provider_count, for the dashboard to run with its other counts."""
    return (db.select(db.func.count(AgreementVersion.id)).join(Placement, Placement.id == AgreementVersion.placement_id)
            .where(Placement.provider_id == provider_id, AgreementVersion.provider_signed_at.is_(None),
                   AgreementVersion.superseded_at.is_(None)))


def to_sign_count(user: User) -> int:
    """How many versions wait for the provider's signature (for its signatories' dashboard)."""
    if not user.has_role(SIGNATORY):
        return 0
    return waiting_for_provider_count(user.organisation_id)


# Issuing ----------------------------------------------------------------------------------------------------

def _officer_of(user: User, placement: Placement) -> None:
    if not user.has_role(COMMISSIONING_OFFICER) or user.organisation_id != placement.authority_id:
        raise NotFound()


def _prices(placement: Placement) -> list[PlacementPrice]:
    prices = sorted(placement.prices, key=lambda price: (price.effective_from, price.id or 0))
    if prices:
        return prices
    return [PlacementPrice(effective_from=placement.start_date, weekly_cost=placement.weekly_cost,
                           reason=REASONS[AWARD])]


def _pdf(placement: Placement, number: int, reason: str, amendment: str, officer: User, now: datetime) -> tuple:
    prices = _prices(placement)
    latest = prices[-1]
    terms = VersionTerms(number=number, reason=REASONS[reason], amendment=amendment, weekly_cost=latest.weekly_cost,
                         price_from=latest.effective_from, issued_by=officer.name,
                         prices=[(price.effective_from, price.weekly_cost, price.reason or "") for price in prices])
    return agreement_version(placement, terms, issued_at=now), latest


def can_issue(placement: Placement, today: date) -> bool:
    return placement.on_framework and placement.status(today) != "ended"


def _issue(officer: User, placement: Placement, *, reason: str, amendment: str, now: datetime,
           price_change: PriceChange | None = None) -> AgreementVersion:
    """Issue the next version (no commit): any version still unsigned is replaced by it."""
    earlier = versions_of(placement)
    for version in earlier:
        if version.state in (AWAITING_PROVIDER, AWAITING_COUNTERSIGNATURE):
            version.superseded_at = now
    number = (earlier[0].number + 1) if earlier else 1
    pdf, price = _pdf(placement, number, reason, amendment, officer, now)
    version = AgreementVersion(
        placement_id=placement.id, number=number, reason=reason, amendment=amendment,
        price_change_id=price_change.id if price_change else None, weekly_cost=price.weekly_cost,
        price_from=price.effective_from, pdf=pdf, sha256=uploads.sha256(pdf), size_bytes=len(pdf),
        issued_by_id=officer.id, issued_at=now, provider_signed_name="", provider_signed_position="")
    db.session.add(version)
    db.session.flush()
    audit.record(at=now, actor=officer, action="agreement.issued", entity=version,
                 summary=f"Version {number} of agreement {placement.agreement_reference} issued ({REASONS[reason]})",
                 before={"replaced_unsigned": [v.number for v in earlier if v.superseded_at == now]},
                 after={"number": number, "reason": reason, "weekly_cost": price.weekly_cost, "sha256": version.sha256,
                        "amendment_length": len(amendment)})
    for person in _signatories(placement.provider_id):
        mail.notify(person, at=now, link=url_for("supplier.agreement", version_id=version.id),
                    subject=f"Agreement to sign: {placement.agreement_reference}, version {number}",
                    body=f"{placement.authority.name} has issued version {number} of the individual placement "
                         f"agreement {placement.agreement_reference} ({REASONS[reason].lower()}). Read it and sign "
                         "it in the portal.")
    return version


def issue(officer: User, placement: Placement, *, amendment: str = "", now: datetime) -> AgreementVersion:
    """Issue version 1 (after the award) or an amendment (its text required) for both parties to sign."""
    _officer_of(officer, placement)
    if not placement.on_framework:
        raise DomainError("This provider is not on the portal: print the agreement and have it signed on paper.")
    if placement.status(today_at(now)) == "ended":
        raise DomainError("This placement has ended: no new version of its agreement can be issued.")
    amendment = (amendment or "").strip()
    has_versions = db.session.scalar(db.select(AgreementVersion.id).where(
        AgreementVersion.placement_id == placement.id).limit(1)) is not None
    if has_versions and not amendment:
        raise DomainError("Describe what the amendment changes", field="amendment")
    if len(amendment) > MAX_TEXT:
        raise DomainError(f"The amendment must be {MAX_TEXT} characters or fewer", field="amendment")
    waiting = awaiting(versions_of(placement)) if has_versions else None
    if waiting is not None and waiting.reason == AMENDMENT and waiting.amendment == amendment:
        return waiting  # the same amendment sent twice (a double click): it stands
    version = _issue(officer, placement, reason=AMENDMENT if has_versions else AWARD,
                     amendment=amendment if has_versions else "", now=now)
    _commit()
    return version


def _signatories(provider_id: int | None) -> list[User]:
    if provider_id is None:
        return []
    return list(db.session.scalars(db.select(User).where(
        User.organisation_id == provider_id, User.active,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == SIGNATORY))).order_by(User.id)))


def _budget_holders(authority_id: int, but: int) -> list[User]:
    return list(db.session.scalars(db.select(User).where(
        User.organisation_id == authority_id, User.active, User.id != but,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == BUDGET_HOLDER))).order_by(User.id)))


# Signing ----------------------------------------------------------------------------------------------------

def _same_document(version: AgreementVersion, sha256: str) -> None:
    if (sha256 or "").strip().lower() != version.sha256:
        raise DomainError("This is not the version you read: it has been replaced or changed. Read it again before "
                          "signing.")


def _open_to_sign(version: AgreementVersion, state: str) -> None:
    if version.state == state:
        return
    if version.superseded_at is not None:
        raise DomainError("This version was replaced by a later one: sign the latest version instead.")
    raise DomainError("This version has already been signed by your side.")


def sign_as_provider(user: User, version: AgreementVersion, *, name: str, position: str, sha256: str,
                     now: datetime) -> None:
    """The provider's signatory accepts the version: typed full name and position, and the SHA-256 of the PDF."""
    if not user.has_role(PROVIDER_USER) or version.placement.provider_id != user.organisation_id:
        raise NotFound()
    if not user.has_role(SIGNATORY):
        raise DomainError("Only a signatory of your organisation can sign agreements. Your user administrator can "
                          "name you one.")
    _open_to_sign(version, AWAITING_PROVIDER)
    name, position = (name or "").strip(), (position or "").strip()
    if not name:
        raise DomainError("Type your full name to sign", field="name")
    if not position:
        raise DomainError("Enter your position", field="position")
    if len(name) > MAX_NAME or len(position) > MAX_NAME:
        raise DomainError(f"Your name and position must each be {MAX_NAME} characters or fewer",
                          field="name" if len(name) > MAX_NAME else "position")
    _same_document(version, sha256)
    version.provider_signed_by_id, version.provider_signed_at = user.id, now
    version.provider_signed_name, version.provider_signed_position = name, position
    version.provider_signed_sha256 = version.sha256
    placement = version.placement
    audit.record(at=now, actor=user, action="agreement.provider_signed", entity=version,
                 summary=f"Version {version.number} of agreement {placement.agreement_reference} signed by "
                         f"{name} for {placement.provider_name}",
                 before={"state": AWAITING_PROVIDER},
                 after={"state": AWAITING_COUNTERSIGNATURE, "sha256": version.sha256})
    for person in _budget_holders(placement.authority_id, but=version.issued_by_id):
        mail.notify(person, at=now, link=url_for("buyer.agreement_countersign", version_id=version.id),
                    subject=f"Agreement to countersign: {placement.agreement_reference}, version {version.number}",
                    body=f"{placement.provider_name} has signed version {version.number} of the individual placement "
                         f"agreement {placement.agreement_reference}. It needs a budget holder's countersignature.")
    _commit()


def countersign(user: User, version: AgreementVersion, *, sha256: str, now: datetime) -> None:
    """A budget holder of the authority, not the issuer, countersigns: the version is locked and in force, and the
    one in force before it superseded."""
    placement = version.placement
    if user.organisation_id != placement.authority_id:
        raise NotFound()
    if not user.has_role(BUDGET_HOLDER):
        raise DomainError("Only a budget holder can countersign an agreement.")
    if user.id == version.issued_by_id:
        raise DomainError("You issued this version: another budget holder must countersign it.")
    _open_to_sign(version, AWAITING_COUNTERSIGNATURE)
    _same_document(version, sha256)
    earlier = [other for other in versions_of(placement) if other.state == IN_FORCE and other.id != version.id]
    version.countersigned_by_id, version.countersigned_at, version.countersigned_sha256 = user.id, now, version.sha256
    for other in earlier:
        other.superseded_at = now
    audit.record(at=now, actor=user, action="agreement.countersigned", entity=version,
                 summary=f"Version {version.number} of agreement {placement.agreement_reference} countersigned: in "
                         "force", before={"state": AWAITING_COUNTERSIGNATURE},
                 after={"state": IN_FORCE, "superseded": [other.number for other in earlier]})
    for person in {version.issued_by, *_signatories(placement.provider_id)}:
        link = url_for("supplier.agreement", version_id=version.id) if person.organisation_id != \
            placement.authority_id else url_for("buyer.placement", placement_id=placement.id)
        mail.notify(person, at=now, link=link,
                    subject=f"Agreement signed: {placement.agreement_reference}, version {version.number}",
                    body=f"Version {version.number} of the individual placement agreement "
                         f"{placement.agreement_reference} is signed by both parties and in force.")
    _commit()


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError("Someone signed or replaced this version at the same moment. Check it and try again.") \
            from None


# Nothing of a locked version changes but its being superseded later (and the row version that counts changes).
MAY_CHANGE_WHEN_LOCKED = {"superseded_at", "row_version"}


@event.listens_for(Session, "before_flush")
def _locked_versions_never_change(session, _context, _instances):
    for instance in session.dirty:
        if not isinstance(instance, AgreementVersion):
            continue
        state = inspect(instance)
        countersigned = state.attrs.countersigned_at.load_history()
        was_locked = (countersigned.deleted or countersigned.unchanged or [None])[0] is not None
        if not was_locked:
            continue
        changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
        if changed - MAY_CHANGE_WHEN_LOCKED:
            raise InvalidTransition(f"Version {instance.number} of this agreement is signed and locked: it cannot "
                                    "change.")
    for instance in session.deleted:
        if isinstance(instance, AgreementVersion) and instance.countersigned_at is not None:
            raise InvalidTransition("A signed version of an agreement cannot be deleted.")


# Changes of price ---------------------------------------------------------------------------------------------

def _weekly(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", "").lstrip("£"))
    except (InvalidOperation, ValueError):
        raise DomainError("Enter the new weekly price in pounds, like 1850.00", field="weekly_cost") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise DomainError("Enter the new weekly price in pounds and pence, like 1850.00", field="weekly_cost")
    if not Decimal("0") < amount <= MAX_WEEKLY:
        raise DomainError("The weekly price must be more than £0 and no more than £100,000", field="weekly_cost")
    return amount.quantize(Decimal("0.01"))


def _new_weekly(value, latest: Decimal) -> Decimal:
    amount = _weekly(value)
    if amount == latest:
        raise DomainError(f"The weekly price is already {money(amount)}", field="weekly_cost")
    return amount


def _effective(effective_from: date | None, latest_from: date, end_date: date | None) -> None:
    if effective_from is None:
        raise DomainError("Enter the date the new price takes effect", field="effective_from")
    if effective_from <= latest_from:
        raise DomainError(f"The new price must take effect after {format_date(latest_from)}, when the "
                          "latest price started", field="effective_from")
    if end_date is not None and effective_from >= end_date:
        raise DomainError(f"The placement ends on {format_date(end_date)}: the new price must take effect "
                          "before then", field="effective_from")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the change", field="reason")
    if len(reason) > MAX_TEXT:
        raise DomainError(f"The reason must be {MAX_TEXT} characters or fewer", field="reason")
    return reason


def pending_change(placement: Placement) -> PriceChange | None:
    return db.session.scalar(
        db.select(PriceChange).join(Approval, Approval.id == PriceChange.approval_id)
        .where(PriceChange.placement_id == placement.id, Approval.status == PENDING).limit(1))


def request_price_change(officer: User, placement: Placement, *, weekly_cost, effective_from: date | None,
                         reason: str, now: datetime) -> PriceChange:
    """Record a change of weekly price agreed with the provider and ask the budget holder to approve it."""
    _officer_of(officer, placement)
    prices = _prices(placement)
    problems = Problems()
    amount = problems.check(_new_weekly, weekly_cost, prices[-1].weekly_cost)
    problems.check(_effective, effective_from, prices[-1].effective_from, placement.end_date)
    reason = problems.check(_reason, reason)
    problems.raise_any()
    if pending_change(placement) is not None:
        raise DomainError("A change of price for this placement is already waiting for approval.")
    change = PriceChange(placement_id=placement.id, authority_id=placement.authority_id, weekly_cost=amount,
                         effective_from=effective_from, reason=reason, requested_by_id=officer.id, requested_at=now)
    change.placement = placement
    refusal = approvals.nobody_to_answer(officer, change, kind=PRICE_CHANGE_APPROVAL, weekly_cost=amount)
    if refusal:
        raise DomainError(refusal)
    db.session.add(change)
    db.session.flush()
    audit.record(at=now, actor=officer, action="price_change.requested", entity=change,
                 summary=f"Change of weekly price of {placement.agreement_reference} to {money(amount)} from "
                         f"{format_date(effective_from)} asked for",
                 after={"weekly_cost": amount, "effective_from": effective_from, "reason_length": len(reason)})
    approval = approvals.request(
        officer, change, kind=PRICE_CHANGE_APPROVAL, weekly_cost=amount, basis=f"price change {change.id}",
        summary=f"Change the weekly price of placement {placement.agreement_reference} with {placement.provider_name} "
                f"from {money(prices[-1].weekly_cost)} to {money(amount)}, from {format_date(effective_from)}.",
        now=now)
    change.approval_id = approval.id
    db.session.commit()
    return change


def price_change_answered(user: User, approval, now: datetime) -> None:
    """Called by approvals.answer before it commits: an approved change becomes the placement's price from its
    date and, on the framework, a new version of the agreement issued by the officer who asked."""
    change = db.session.get(PriceChange, approval.subject_id)
    if change is None or approval.status != APPROVED:
        return
    placement = change.placement
    price = PlacementPrice(effective_from=change.effective_from, weekly_cost=change.weekly_cost,
                           reason=change.reason, approval_id=approval.id, recorded_by_id=change.requested_by_id,
                           recorded_at=now)
    placement.prices.append(price)
    db.session.flush()
    change.price_id = price.id
    if change.effective_from <= today_at(now):
        placement.weekly_cost = change.weekly_cost
    audit.record(at=now, actor=user, action="price_change.approved", entity=change,
                 summary=f"Weekly price of {placement.agreement_reference} is {money(change.weekly_cost)} from "
                         f"{format_date(change.effective_from)}",
                 after={"price_id": price.id, "weekly_cost": change.weekly_cost})
    if placement.on_framework and placement.status(today_at(now)) != "ended":
        _issue(change.requested_by, placement, reason=PRICE_CHANGE, amendment="", now=now, price_change=change)


def price_in_force(placement: Placement, day: date) -> Decimal:
    """The weekly price on `day`: the latest price that started on or before it (the first before the start)."""
    prices = _prices(placement)
    return next((price.weekly_cost for price in reversed(prices) if price.effective_from <= day),
                prices[0].weekly_cost)


def sync_weekly_costs(now: datetime) -> list[str]:
    """Keep each placement's weekly cost equal to its price in force today, for changes taking effect later than
    their approval (the scheduler runs it)."""
    today = today_at(now)
    latest = (db.select(PlacementPrice.placement_id, db.func.max(PlacementPrice.effective_from).label("day"))
              .where(PlacementPrice.effective_from <= today).group_by(PlacementPrice.placement_id).subquery())
    rows = db.session.execute(
        db.select(Placement, PlacementPrice.weekly_cost)
        .join(latest, latest.c.placement_id == Placement.id)
        .join(PlacementPrice, db.and_(PlacementPrice.placement_id == Placement.id,
                                      PlacementPrice.effective_from == latest.c.day))
        .where(PlacementPrice.weekly_cost != Placement.weekly_cost)).all()
    for placement, weekly_cost in rows:
        audit.record(at=now, actor=None, action="placement.price_in_force", entity=placement,
                     summary=f"Weekly price of {placement.agreement_reference} now {money(weekly_cost)}",
                     before={"weekly_cost": placement.weekly_cost}, after={"weekly_cost": weekly_cost})
        placement.weekly_cost = weekly_cost
    db.session.commit()
    return [f"{len(rows)} placements' weekly price changed"] if rows else []


def change_state(change: PriceChange) -> str:
    if change.approval is None:
        return "Not asked"
    if change.approval.status == APPROVED:
        return "Approved"
    if change.approval.status == REFUSED:
        return "Refused"
    return change.approval.status_label


# Tasks ------------------------------------------------------------------------------------------------------

TASKS_SHOWN = 50  # each section of the Tasks page lists the first so many, and says how many there are


@dataclass
class AgreementTasks:
    to_issue: list[Placement]  # on the framework, not ended, no version yet
    unsigned: list[AgreementVersion]  # issued, waiting for a signature
    to_countersign: list[AgreementVersion]  # for a budget holder
    totals: dict[str, int] = field(default_factory=dict)  # each list's full count when it is cut at TASKS_SHOWN

    def total(self, name: str) -> int:
        return self.totals.get(name, len(getattr(self, name)))

    def __bool__(self) -> bool:
        return bool(self.to_issue or self.unsigned or self.to_countersign)


def _not_ended(today: date):
    return db.or_(Placement.end_date.is_(None), Placement.end_date > today)


def _waiting(authority_id: int):
    return (db.select(AgreementVersion).join(Placement, Placement.id == AgreementVersion.placement_id)
            .where(Placement.authority_id == authority_id, AgreementVersion.countersigned_at.is_(None),
                   AgreementVersion.superseded_at.is_(None))
            .options(selectinload(AgreementVersion.placement).selectinload(Placement.provider))
            .order_by(AgreementVersion.issued_at, AgreementVersion.id))


def _to_issue(authority_id: int, today: date):
    issued = db.select(AgreementVersion.placement_id)
    return db.select(Placement).where(Placement.authority_id == authority_id, Placement.on_framework,
                                      _not_ended(today), Placement.id.not_in(issued))


def _count(statement) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(statement.order_by(None).subquery()))


def task_count(user: User, now: datetime) -> int:
    """How many agreement tasks the Tasks page lists for the user, each counted once (an officer's unsigned
    versions include those a budget holder countersigns): one statement, for the navigation."""
    return sum(counting.counts(task_counters(user, now)))


def task_counters(user: User, now: datetime) -> list:
    """The COUNT statements of task_count, for the menu to run with its other counts."""
    if user.has_role(COMMISSIONING_OFFICER):
        return [counting.count_of(_to_issue(user.organisation_id, today_at(now))),
                counting.count_of(_waiting(user.organisation_id))]
    if user.has_role(BUDGET_HOLDER):
        return [counting.count_of(_countersignable(user))]
    return []


def _countersignable(user: User):
    return _waiting(user.organisation_id).where(AgreementVersion.provider_signed_at.is_not(None),
                                                AgreementVersion.issued_by_id != user.id)


def _first(statement, totals: dict, name: str) -> list:
    """The first TASKS_SHOWN rows; the full count in `totals` only when they fill the list (one query more)."""
    rows = list(db.session.scalars(statement.limit(TASKS_SHOWN)))
    if len(rows) == TASKS_SHOWN:
        totals[name] = _count(statement)
    return rows


def tasks_for(user: User, now: datetime) -> AgreementTasks:
    """Officers: placements whose agreement is not yet issued, and versions waiting for a signature. Budget
    holders: versions the provider has signed, for them to countersign (not those they issued). The first
    TASKS_SHOWN of each, with their count."""
    today = today_at(now)
    to_issue, unsigned, to_countersign, totals = [], [], [], {}
    if user.has_role(COMMISSIONING_OFFICER):
        to_issue = _first(_to_issue(user.organisation_id, today).options(selectinload(Placement.provider))
                          .order_by(Placement.start_date, Placement.id), totals, "to_issue")
        unsigned = _first(_waiting(user.organisation_id), totals, "unsigned")
    if user.has_role(BUDGET_HOLDER):
        to_countersign = _first(_countersignable(user), totals, "to_countersign")
    return AgreementTasks(to_issue, unsigned, to_countersign, totals)
