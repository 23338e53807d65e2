"""Off-framework placements: each authority's own list of providers on no framework, and placing a child
with one of them once the consortium's framework has been exhausted for that referral.

Rules kept here:
- Only the authority's commissioning officers see and change its list; anyone else is told it does not exist.
- An off-framework search needs the referral EXHAUSTED (every tier approached, no award) and its own funding
  approval (an Approval answered by a budget holder); a placement needs that search approved, the head of
  service's agreement to placing with that provider and a budget holder's approval of its weekly cost (both
  Approvals, asked for together by `ask_placement_approvals`), a provider from the authority's own list with at least
  two references taken up and the evidence asked of it received (its statement of purpose, children's guide
  and pricing schedule, and its current Ofsted report where it is registered with Ofsted), and, for a
  provider marked "place with caution", the officer's confirmation that they have read the caution note.
- A quality-assurance (QA) visit is due within 72 hours of an emergency placement starting, otherwise before
  the placement starts; outstanding visits are the officers' tasks.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import areas
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import money
from portal.models import (
    OffFrameworkDocument,
    OffFrameworkProvider,
    OffFrameworkReferee,
    Organisation,
    Placement,
    PlacementCost,
    Referral,
    User,
)
from portal.models.approval import (
    OFF_FRAMEWORK_SEARCH,
    PENDING,
    PLACEMENT_COST,
    REFUSED,
    SENIOR_AGREEMENT,
    Approval,
)
from portal.models.organisation import OFSTED_RATINGS
from portal.models.placement import DOCUMENT_KINDS, OFF_FRAMEWORK_EVIDENCE, OTHER_DOCUMENT
from portal.models.referral import AWARDED, CLOSED, DRAFT, EXHAUSTED, OPEN, WITHDRAWN
from portal.models.user import COMMISSIONING_OFFICER
from portal.money import WEEKLY_LIMIT, parse_money
from portal.services import approvals, audit, awards, counting, listing, referrals, uploads
from portal.services.accounts import URN_PATTERN
from portal.services.bids import MAX_REVIEW_DAYS, MAX_START_DAYS
from portal.timezone import format_date, format_datetime, local_datetime, to_local

PER_PAGE = 25
MAX_WEEKLY_AMOUNT = WEEKLY_LIMIT
MINIMUM_REFERENCES = 2
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# A reference's outcome; "not yet taken up" is stored as None.
SATISFACTORY = "satisfactory"
UNSATISFACTORY = "unsatisfactory"
NOT_TAKEN_UP = "not_taken_up"
REFERENCE_OUTCOMES = {SATISFACTORY: "Satisfactory", UNSATISFACTORY: "Unsatisfactory",
                      NOT_TAKEN_UP: "Not yet taken up"}

# The placements list's filter.
FRAMEWORK_FILTERS = {"on": "On framework", "off": "Off framework"}


# Who may see what ------------------------------------------------------------------------------

def _authority_id(user: User) -> int:
    """The authority whose list and placements the user works on; NotFound for anyone but its officers."""
    if not user.has_role(COMMISSIONING_OFFICER) or not user.organisation.is_authority:
        raise NotFound()
    return user.organisation_id


def get_provider(user: User, provider_id: int) -> OffFrameworkProvider:
    provider = db.session.get(OffFrameworkProvider, provider_id)
    if provider is None or provider.authority_id != _authority_id(user):
        raise NotFound()
    return provider


def get_document(user: User, document_id: int) -> OffFrameworkDocument:
    document = db.session.get(OffFrameworkDocument, document_id)
    if document is None or document.provider.authority_id != _authority_id(user):
        raise NotFound()
    return document


def get_referee(user: User, referee_id: int) -> OffFrameworkReferee:
    referee = db.session.get(OffFrameworkReferee, referee_id)
    if referee is None or referee.provider.authority_id != _authority_id(user):
        raise NotFound()
    return referee


def get_placement(user: User, placement_id: int) -> Placement:
    """A placement of the user's authority, on or off the framework (the awards service holds the rule)."""
    return awards.placement_for_authority(user, placement_id)


def _own_referral(user: User, referral: Referral) -> None:
    if referral.authority_id != _authority_id(user):
        raise NotFound()


def list_for(user: User, page: int = 1, search: str = "", per_page: int = PER_PAGE):
    """The authority's list, by name, searched by name, area, Ofsted URN or services offered."""
    query = (db.select(OffFrameworkProvider).where(OffFrameworkProvider.authority_id == _authority_id(user))
             .options(selectinload(OffFrameworkProvider.referees))
             .order_by(OffFrameworkProvider.name, OffFrameworkProvider.id))
    search = listing.cleaned(search)
    if search:
        query = query.where(listing.matching(search, [
            OffFrameworkProvider.name, OffFrameworkProvider.local_authority_area, OffFrameworkProvider.ofsted_urn,
            OffFrameworkProvider.services]))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def usable_providers(user: User) -> list[OffFrameworkProvider]:
    """Every provider of the authority's list, for choosing one for a placement."""
    return db.session.scalars(
        db.select(OffFrameworkProvider).where(OffFrameworkProvider.authority_id == _authority_id(user))
        .options(selectinload(OffFrameworkProvider.referees), selectinload(OffFrameworkProvider.documents))
        .order_by(OffFrameworkProvider.name, OffFrameworkProvider.id)).all()


def references_taken_up(provider: OffFrameworkProvider) -> int:
    return sum(1 for referee in provider.referees if referee.outcome is not None)


@dataclass(frozen=True)
class Evidence:
    """One kind of evidence asked of a provider: whether it is needed, and the latest document received."""

    kind: str
    label: str
    required: bool
    document: OffFrameworkDocument | None

    @property
    def missing(self) -> bool:
        return self.required and self.document is None


def required_evidence(provider: OffFrameworkProvider) -> list[str]:
    """The kinds of evidence a provider must send: the Ofsted report only where it is registered with Ofsted."""
    registered = bool(provider.ofsted_urn or provider.ofsted_rating)
    return [kind for kind in OFF_FRAMEWORK_EVIDENCE if kind != "ofsted_report" or registered]


def evidence_of(provider: OffFrameworkProvider) -> list[Evidence]:
    """Each kind of evidence, received or not, with the latest document of that kind."""
    required = required_evidence(provider)
    latest = {}
    for document in provider.documents:  # in upload order: the last of a kind is the latest
        latest[document.kind] = document
    return [Evidence(kind, label, kind in required, latest.get(kind)) for kind, label in OFF_FRAMEWORK_EVIDENCE.items()]


def missing_evidence(provider: OffFrameworkProvider) -> list[str]:
    """The labels of the evidence still to come, in the order it is asked for."""
    return [evidence.label for evidence in evidence_of(provider) if evidence.missing]


def outcome_label(referee: OffFrameworkReferee) -> str:
    return REFERENCE_OUTCOMES[referee.outcome or NOT_TAKEN_UP]


# The provider list -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProviderDetails:
    """What an officer records about an off-framework provider."""

    name: str
    local_authority_area: str  # the ONS code of the area, chosen from the list (portal/areas.py)
    contact_name: str
    email: str
    services: str
    ofsted_urn: str = ""
    ofsted_rating: str = ""
    address: str = ""
    telephone: str = ""
    place_with_caution: bool = False
    caution_note: str = ""


def _required(value: str, message: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


def _clean(details: ProviderDetails) -> dict:
    """The details checked and tidied, as column values; DomainError on the first problem."""
    name = _required(details.name, "Enter the provider's name", "name")
    area = areas.get(details.local_authority_area)
    if area is None:
        raise DomainError("Choose the area the provider is in from the list", field="local_authority_area")
    if not area.is_lowest_tier:
        raise DomainError("Choose the district the provider is in, not the county", field="local_authority_area")
    values = {
        "name": name,
        "local_authority_area": area.name,
        "area_code": area.code,
        "contact_name": _required(details.contact_name, "Enter the name of a contact at the provider",
                                  "contact_name"),
        "email": _required(details.email, "Enter the contact's e-mail address", "email").lower(),
        "services": _required(details.services, "Describe the services the provider offers", "services"),
        "address": (details.address or "").strip(),
        "telephone": (details.telephone or "").strip(),
    }
    if not EMAIL_PATTERN.match(values["email"]):
        raise DomainError("Enter an e-mail address in the correct format, like name@provider.example.org",
                          field="email")
    urn = (details.ofsted_urn or "").strip().upper() or None
    if urn and not URN_PATTERN.match(urn):
        raise DomainError("Enter the Ofsted URN as shown on the provider's registration, like 1234567 or SC123456",
                          field="ofsted_urn")
    rating = (details.ofsted_rating or "").strip() or None
    if rating and rating not in OFSTED_RATINGS:
        raise DomainError("Choose the Ofsted rating from the list", field="ofsted_rating")
    if rating and not urn:
        raise DomainError("Enter the Ofsted URN the rating belongs to", field="ofsted_urn")
    note = (details.caution_note or "").strip()
    if details.place_with_caution and not note:
        raise DomainError("Say why this provider must be placed with caution", field="caution_note")
    values.update(ofsted_urn=urn, ofsted_rating=rating, place_with_caution=bool(details.place_with_caution),
                  caution_note=note if details.place_with_caution else "")
    for field, limit in (("name", 200), ("contact_name", 120), ("email", 254),
                         ("telephone", 30)):
        if len(values[field]) > limit:
            raise DomainError(f"Enter no more than {limit} characters", field=field)
    return values


def _refuse_duplicate(authority_id: int, values: dict, provider_id: int | None) -> None:
    """One entry per provider on a list: the same Ofsted URN, or the same name in the same area, is refused."""
    same_name = db.and_(db.func.lower(OffFrameworkProvider.name) == values["name"].lower(),
                        db.func.lower(OffFrameworkProvider.local_authority_area)
                        == values["local_authority_area"].lower())
    query = db.select(OffFrameworkProvider).where(OffFrameworkProvider.authority_id == authority_id)
    if provider_id is not None:
        query = query.where(OffFrameworkProvider.id != provider_id)
    if values["ofsted_urn"]:
        existing = db.session.scalars(query.where(OffFrameworkProvider.ofsted_urn == values["ofsted_urn"])).first()
        if existing is not None:
            raise DomainError(f"{existing.name} is already on your list with this Ofsted URN", field="ofsted_urn")
    existing = db.session.scalars(query.where(same_name)).first()
    if existing is not None:
        raise DomainError(f"{existing.name} ({existing.local_authority_area}) is already on your list",
                          field="name")


def _audited(provider: OffFrameworkProvider) -> dict:
    """What the audit trail keeps of a provider: its free text (the caution note) stays on the record, as it may
    name a child, and the trail is read by the lead authority's administrators."""
    return {"name": provider.name, "ofsted_urn": provider.ofsted_urn, "ofsted_rating": provider.ofsted_rating,
            "local_authority_area": provider.local_authority_area, "place_with_caution": provider.place_with_caution,
            "caution_note_length": len(provider.caution_note or "")}


def create(officer: User, details: ProviderDetails, now: datetime) -> OffFrameworkProvider:
    authority_id = _authority_id(officer)
    values = _clean(details)
    _refuse_duplicate(authority_id, values, None)
    provider = OffFrameworkProvider(authority_id=authority_id, created_by_id=officer.id, created_at=now,
                                    updated_at=now, **values)
    db.session.add(provider)
    db.session.flush()
    audit.record(at=now, actor=officer, action="off_framework.provider_added", entity=provider,
                 summary=f"{provider.name} added to {officer.organisation.name}'s off-framework list",
                 after=_audited(provider))
    db.session.commit()
    return provider


def update(officer: User, provider: OffFrameworkProvider, details: ProviderDetails, now: datetime) -> None:
    if provider.authority_id != _authority_id(officer):
        raise NotFound()
    values = _clean(details)
    _refuse_duplicate(provider.authority_id, values, provider.id)
    before = _audited(provider)
    for column, value in values.items():
        setattr(provider, column, value)
    provider.updated_at = now
    audit.record(at=now, actor=officer, action="off_framework.provider_changed", entity=provider,
                 summary=f"Details of off-framework provider {provider.name} changed", before=before,
                 after=_audited(provider))
    db.session.commit()


def upload_document(officer: User, provider: OffFrameworkProvider, *, title: str, filename: str, data: bytes,
                    now: datetime, kind: str = OTHER_DOCUMENT) -> OffFrameworkDocument:
    """Keep a document about the provider: one of the kinds of evidence asked of it (its title is then optional)
    or another document (insurance...). Its file type is read from its content."""
    if provider.authority_id != _authority_id(officer):
        raise NotFound()
    if kind not in DOCUMENT_KINDS:
        raise DomainError("Choose what the document is", field="kind")
    if kind != OTHER_DOCUMENT and not (title or "").strip():
        title = OFF_FRAMEWORK_EVIDENCE[kind]
    title = _required(title, "Enter a title for the document, like Insurance certificate 2026", "title")
    if len(title) > 200:
        raise DomainError("Enter a title of no more than 200 characters", field="title")
    file_type = uploads.check(data, filename)
    stored_name = uploads.store(data)
    document = OffFrameworkDocument(kind=kind, title=title, original_filename=uploads.display_name(filename),
                                    stored_name=stored_name, file_type=file_type, size_bytes=len(data),
                                    sha256=uploads.sha256(data),
                                    uploaded_by_id=officer.id, uploaded_at=now)
    provider.documents.append(document)
    provider.updated_at = now
    try:
        db.session.flush()
        audit.record(at=now, actor=officer, action="off_framework.document_uploaded", entity=provider,
                     summary=f"{title} uploaded for off-framework provider {provider.name}",
                     after={"kind": kind, "title": title, "filename": document.original_filename,
                            "sha256": document.sha256})
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.discard(stored_name)
        raise
    return document


def add_referee(officer: User, provider: OffFrameworkProvider, *, authority_name: str, contact_name: str,
                email: str, now: datetime) -> OffFrameworkReferee:
    if provider.authority_id != _authority_id(officer):
        raise NotFound()
    authority_name = _required(authority_name, "Enter the referee's local authority", "authority_name")
    contact_name = _required(contact_name, "Enter the referee's name", "contact_name")
    email = _required(email, "Enter the referee's e-mail address", "email").lower()
    if not EMAIL_PATTERN.match(email):
        raise DomainError("Enter an e-mail address in the correct format, like name@council.gov.uk", field="email")
    for field, value, limit in (("authority_name", authority_name, 200), ("contact_name", contact_name, 120),
                                ("email", email, 254)):
        if len(value) > limit:
            raise DomainError(f"Enter no more than {limit} characters", field=field)
    referee = OffFrameworkReferee(authority_name=authority_name, contact_name=contact_name, email=email,
                                  outcome=None, note="")
    provider.referees.append(referee)
    provider.updated_at = now
    db.session.flush()
    audit.record(at=now, actor=officer, action="off_framework.referee_added", entity=provider,
                 summary=f"Referee {authority_name} added for off-framework provider {provider.name}",
                 after={"authority": authority_name, "contact": contact_name})
    db.session.commit()
    return referee


def record_reference(officer: User, referee: OffFrameworkReferee, *, outcome: str, note: str,
                     now: datetime) -> None:
    """Record what a referee said. An unsatisfactory reference marks the provider "place with caution"."""
    provider = referee.provider
    if provider.authority_id != _authority_id(officer):
        raise NotFound()
    if outcome not in REFERENCE_OUTCOMES:
        raise DomainError("Choose what the reference said", field="outcome")
    note = (note or "").strip()
    if outcome != NOT_TAKEN_UP and not note:
        raise DomainError("Note what the referee said", field="note")
    unchanged = referee.outcome == outcome and referee.note == note
    before = {"outcome": referee.outcome, "note_length": len(referee.note or "")}  # the note itself stays on record
    referee.outcome = None if outcome == NOT_TAKEN_UP else outcome
    referee.note = note
    provider.updated_at = now
    audit.record(at=now, actor=officer, action="off_framework.reference_recorded", entity=provider,
                 summary=f"Reference from {referee.authority_name} for {provider.name}: "
                         f"{REFERENCE_OUTCOMES[outcome].lower()}", before=before,
                 after={"outcome": referee.outcome, "note_length": len(note)})
    if outcome == UNSATISFACTORY and not unchanged:
        _caution_after_reference(officer, provider, referee, now)
    db.session.commit()


def _caution_after_reference(officer: User, provider: OffFrameworkProvider, referee: OffFrameworkReferee,
                             now: datetime) -> None:
    reason = (f"Unsatisfactory reference from {referee.authority_name} ({referee.contact_name}) recorded on "
              f"{format_date(now)}: {referee.note}")
    before = {"place_with_caution": provider.place_with_caution,
              "caution_note_length": len(provider.caution_note or "")}
    provider.place_with_caution = True
    provider.caution_note = f"{provider.caution_note}\n\n{reason}" if provider.caution_note else reason
    audit.record(at=now, actor=officer, action="off_framework.provider_changed", entity=provider,
                 summary=f"{provider.name} marked place with caution after an unsatisfactory reference",
                 before=before, after={"place_with_caution": True, "caution_note_length": len(provider.caution_note)})


# The off-framework search and the placement ----------------------------------------------------

def _tiers_left(referral: Referral) -> list[int]:
    """Tiers after the current round's with providers who could still be invited (as re-opening would)."""
    current = referral.current_round
    if current is None or current.tier is None:
        return []
    category = referrals.category_of(referral)
    return [tier for tier in range(current.tier + 1, category.tiers + 1)
            if referrals.eligible_memberships(referral, tier)]


def _numbered(tiers: list[int]) -> str:
    words = [str(tier) for tier in tiers]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def not_exhausted_reason(referral: Referral, now: datetime) -> str | None:
    """Why the framework cannot yet be left for this referral, or None once it is exhausted."""
    status = referral.status(now)
    if status == EXHAUSTED:
        return None
    if status == AWARDED:
        return "The framework has not been exhausted: the referral has been awarded on the framework."
    if status == WITHDRAWN:
        return "The referral has been withdrawn: no placement can be made for it."
    if status == DRAFT:
        return ("The framework has not been exhausted: the referral has not been sent to the framework's "
                "providers yet.")
    round_ = referral.current_round
    if status == OPEN:
        return (f"The framework has not been exhausted: the referral is still open for bids until "
                f"{format_datetime(round_.deadline)}.")
    assert status == CLOSED
    remaining = _tiers_left(referral)
    if remaining:
        plural = "s" if len(remaining) > 1 else ""
        verb = "have" if len(remaining) > 1 else "has"
        return (f"The framework has not been exhausted: {round_.label} has closed but tier{plural} "
                f"{_numbered(remaining)} {verb} not been approached.")
    return (f"The framework has not been exhausted: {round_.label} has closed and every tier has been approached. "
            "Weigh the bids received, or mark the referral as exhausted if none is acceptable.")


def _placed_reason(referral: Referral) -> str | None:
    existing = awards.placement_of(referral)
    if existing is None:
        return None
    return (f"This referral has already been placed ({existing.agreement_reference}, "
            f"{existing.framework_label.lower()}, with {existing.provider_name}).")


def _local_today(now: datetime) -> date:
    return to_local(now).date()


def _commit_referral_change() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError("A colleague changed this referral at the same moment. Check it and try again.") from None


def ask_search(officer: User, referral: Referral, *, expected_weekly: str | Decimal | None, notes: str,
               now: datetime):
    """Ask a budget holder to approve an off-framework search and its funding, at the weekly cost the officer
    expects to pay: allowed only once the framework is exhausted. The notes of the search stay on the referral."""
    _own_referral(officer, referral)
    reason = not_exhausted_reason(referral, now) or _placed_reason(referral)
    if reason:
        raise DomainError(reason)
    weekly = parse_money(expected_weekly, label="the weekly cost you expect to pay", maximum=MAX_WEEKLY_AMOUNT,
                         field="expected_weekly")
    referral.off_framework_search_notes = (notes or "").strip()
    referral.updated_at = now
    return approvals.request(officer, referral, kind=OFF_FRAMEWORK_SEARCH, weekly_cost=weekly, now=now,
                             summary=f"A search off the framework for referral {referral.reference}, whose "
                                     "framework is exhausted (every tier approached, no award), and its funding")


def search_approval(referral: Referral):
    """The approval of the off-framework search, once given (for the figure the officer gave)."""
    return approvals.granted(referral, OFF_FRAMEWORK_SEARCH)


PLACEMENT_BASIS = "off-framework provider "  # then the provider's id


def placement_basis(provider: OffFrameworkProvider) -> str:
    return f"{PLACEMENT_BASIS}{provider.id}"


def ask_placement_approvals(officer: User, referral: Referral, provider: OffFrameworkProvider, *,
                            weekly_cost: str | Decimal | None, now: datetime) -> tuple:
    """Ask for the two approvals an off-framework placement needs, with this provider at this weekly cost: a
    senior manager's agreement (the head of service) and the cost (a budget holder)."""
    _own_referral(officer, referral)
    if provider.authority_id != referral.authority_id:
        raise NotFound()
    reason = refusal_to_place(referral, now)
    if reason:
        raise DomainError(reason)
    weekly = parse_money(weekly_cost, label="the total weekly cost", maximum=MAX_WEEKLY_AMOUNT, field="weekly_cost")
    what = (f"placing the child of referral {referral.reference} OFF THE FRAMEWORK with {provider.name}"
            + (" (marked place with caution)" if provider.place_with_caution else ""))
    basis = placement_basis(provider)
    for kind in (SENIOR_AGREEMENT, PLACEMENT_COST):  # both answerable, or neither is asked
        refusal = approvals.nobody_to_answer(officer, referral, kind=kind, weekly_cost=weekly)
        if refusal:
            raise DomainError(refusal)
    agreement = approvals.request(officer, referral, kind=SENIOR_AGREEMENT, weekly_cost=weekly, basis=basis, now=now,
                                  summary=f"Agreement to {what}")
    cost = approvals.request(officer, referral, kind=PLACEMENT_COST, weekly_cost=weekly, basis=basis, now=now,
                             summary=f"The weekly cost of {what}")
    return agreement, cost


def placement_approval_answered(user: User, approval: Approval, now: datetime) -> None:
    """Called by approvals.answer before it commits: the agreement and the cost of an off-framework placement are
    asked as a pair, so when one is refused the other, still waiting, is closed (withdrawn, audited): nobody need
    answer for a placement that cannot go ahead, and the officer asks for both again."""
    if approval.status != REFUSED or not approval.basis.startswith(PLACEMENT_BASIS):
        return
    other_kind = PLACEMENT_COST if approval.kind == SENIOR_AGREEMENT else SENIOR_AGREEMENT
    partner = db.session.scalar(db.select(Approval).where(
        Approval.subject_type == approval.subject_type, Approval.subject_id == approval.subject_id,
        Approval.kind == other_kind, Approval.basis == approval.basis, Approval.status == PENDING))
    if partner is None:
        return
    partner.close(now)
    audit.record(at=now, actor=user, action="approval.closed", entity=partner,
                 summary=f"{partner.kind_label} request closed: {approval.kind_label.lower()} was refused",
                 before={"status": PENDING}, after={"status": partner.status})


def placement_approvals(referral: Referral, provider: OffFrameworkProvider, weekly_cost: Decimal):
    """(senior manager's agreement, cost approval) for this provider and weekly cost; either None if not given.
    The agreement is for the provider; the cost approval for the provider at exactly this weekly cost."""
    basis = placement_basis(provider)
    return (approvals.granted(referral, SENIOR_AGREEMENT, basis=basis),
            approvals.granted(referral, PLACEMENT_COST, basis=basis, weekly_cost=weekly_cost))


@dataclass(frozen=True)
class CostLine:
    """A line of the weekly placement cost, as typed: the amount is parsed and checked by `place`."""

    description: str
    amount: str | Decimal
    timescale: str = ""
    review_date: date | None = None


def _cost_lines(lines: list[CostLine], start_date: date) -> list[PlacementCost]:
    """PlacementCost rows from the typed lines; blank lines are skipped. Fields are named costs-<n>-<part>."""
    costs = []
    for index, line in enumerate(lines):
        description = (line.description or "").strip()
        amount_text = line.amount if isinstance(line.amount, Decimal) else (line.amount or "").strip()
        if not description and not amount_text and not (line.timescale or "").strip() and line.review_date is None:
            continue
        if not description:
            raise DomainError("Describe what the weekly amount pays for", field=f"costs-{index}-description")
        if len(description) > 200:
            raise DomainError("Enter a description of no more than 200 characters",
                              field=f"costs-{index}-description")
        amount = parse_money(line.amount, label="the weekly amount", maximum=MAX_WEEKLY_AMOUNT,
                             field=f"costs-{index}-amount")
        if line.review_date is not None and line.review_date < start_date:
            raise DomainError("The review date cannot be before the placement starts",
                              field=f"costs-{index}-review_date")
        if line.review_date is not None and line.review_date > start_date + timedelta(days=MAX_REVIEW_DAYS):
            raise DomainError("The review date must be within five years of the start",
                              field=f"costs-{index}-review_date")
        costs.append(PlacementCost(position=len(costs) + 1, description=description, weekly_amount=amount,
                                   timescale=(line.timescale or "").strip()[:100], review_date=line.review_date))
    if not costs:
        raise DomainError("Enter at least one line of the weekly cost, such as the core weekly fee",
                          field="costs-0-description")
    total = sum((cost.weekly_amount for cost in costs), Decimal("0.00"))
    if total > MAX_WEEKLY_AMOUNT:
        raise DomainError("The total weekly cost must be £100,000 or less", field="costs-0-amount")
    return costs


def qa_visit_due(referral: Referral, start_date: date, now: datetime) -> datetime:
    """When the QA visit is due: for an emergency placement, within 72 hours of its start, as for a framework
    placement (see awards.qa_visit_due); otherwise before the placement starts, at 00:00 UK time on the start
    date, so that it shows as a task. A provider marked place with caution gets this visit too: before the start
    is sooner than the 72 hours after it that a cautioned framework placement gets."""
    return awards.qa_visit_due(referral, start_date, now) or local_datetime(start_date, time(0, 0))


def refusal_to_place(referral: Referral, now: datetime) -> str | None:
    """The first thing stopping any off-framework placement for this referral, or None."""
    reason = not_exhausted_reason(referral, now)
    if reason:
        return reason
    if search_approval(referral) is None:
        return "Ask for approval of the off-framework search and its funding before placing the child."
    return _placed_reason(referral)


def _require_references(provider: OffFrameworkProvider) -> None:
    count = references_taken_up(provider)
    if count < MINIMUM_REFERENCES:
        raise DomainError(f"{provider.name} has {count} reference{'' if count == 1 else 's'} taken up: record at "
                          f"least {MINIMUM_REFERENCES} before placing a child there.", field="provider_id")


def _require_evidence(provider: OffFrameworkProvider) -> None:
    missing = missing_evidence(provider)
    if missing:
        raise DomainError(f"{provider.name} has evidence missing: {', '.join(missing)}. Upload it before placing "
                          "a child there.", field="provider_id")


def place(officer: User, referral: Referral, provider: OffFrameworkProvider, *, cost_lines: list[CostLine],
          start_date: date | None, location_area: str, caution_acknowledged: bool = False,
          now: datetime) -> Placement:
    """Place the child with a provider of the authority's off-framework list, once the framework is exhausted."""
    _own_referral(officer, referral)
    if provider.authority_id != referral.authority_id:
        raise NotFound()
    reason = refusal_to_place(referral, now)
    if reason:
        raise DomainError(reason)
    _require_references(provider)
    _require_evidence(provider)
    if provider.place_with_caution and not caution_acknowledged:
        raise DomainError(f"{provider.name} is marked place with caution: confirm you have read its caution note "
                          f"(\u201c{provider.caution_note}\u201d)", field="caution_acknowledged")
    if start_date is None:
        raise DomainError("Enter the date the placement starts", field="start_date")
    if start_date > to_local(now).date() + timedelta(days=MAX_START_DAYS):
        raise DomainError("The placement must start within two years", field="start_date")
    if start_date < to_local(referral.created_at).date():
        raise DomainError(f"The placement cannot start before the referral was made "
                          f"({format_date(referral.created_at)})", field="start_date")
    costs = _cost_lines(cost_lines, start_date)
    area = areas.get(location_area)
    if area is None:
        raise DomainError("Choose the area of the home from the list", field="location_area")
    if not area.is_lowest_tier:
        raise DomainError(areas.COUNTY_MESSAGE, field="location_area")
    in_home_area, location_was_preferred = awards.recorded_flags(area.code, referral)
    weekly = sum((cost.weekly_amount for cost in costs), Decimal("0.00"))
    agreement, cost_approval = placement_approvals(referral, provider, weekly)
    if agreement is None:
        raise DomainError(f"Ask the head of service to agree to placing the child with {provider.name} first",
                          field="provider_id")
    if cost_approval is None:
        raise DomainError(f"The weekly cost, {money(weekly)}, has not been approved by a budget holder for "
                          f"{provider.name}: ask for approval of this cost", field="costs-0-amount")
    placement = Placement(
        agreement_reference=f"IPA-{referral.reference}", referral_id=referral.id, authority_id=referral.authority_id,
        on_framework=False, off_framework_provider=provider, provider_id=None, bid_id=None, lot_id=None, tier=None,
        weekly_cost=weekly, start_date=start_date,
        location_area=area.name, location_area_code=area.code, in_home_area=in_home_area,
        location_was_preferred=location_was_preferred,
        cost_approval_id=cost_approval.id, senior_approval_id=agreement.id, created_by_id=officer.id, created_at=now,
        qa_visit_due_at=qa_visit_due(referral, start_date, now), qa_visit_notes="", costs=costs,
        placed_with_caution=provider.place_with_caution,
        prices=[awards.first_price(weekly, start_date, cost_approval, officer, now)])
    db.session.add(placement)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError("This referral was placed by a colleague at the same moment. Check its placement.") from None
    audit.record(at=now, actor=officer, action="off_framework.placed", entity=placement,
                 summary=f"OFF FRAMEWORK: {referral.reference} placed with {provider.name} "
                         f"({placement.agreement_reference})"
                         + (", a provider marked place with caution (note read)" if provider.place_with_caution
                            else ""),
                 after={"on_framework": False, "off_framework_provider": provider.name,
                        "weekly_cost": placement.weekly_cost, "start_date": start_date,
                        "location_area": area.name, "cost_approval_id": cost_approval.id,
                        "senior_approval_id": agreement.id,
                        "qa_visit_due_at": placement.qa_visit_due_at,
                        "caution_acknowledged": bool(provider.place_with_caution and caution_acknowledged)})
    approvals.close_pending(officer, referral, now, why=f"referral {referral.reference} placed off the framework")
    db.session.commit()
    return placement


# Quality-assurance visits ------------------------------------------------------------------------

@dataclass(frozen=True)
class QaTask:
    placement: Placement
    due_at: datetime
    overdue: bool


def _outstanding_qa(authority_id: int):
    return (Placement.authority_id == authority_id, Placement.qa_visit_due_at.is_not(None),
            Placement.qa_visit_at.is_(None))


def qa_tasks(user: User, now: datetime) -> list[QaTask]:
    """The authority's placements whose QA visit is outstanding, soonest due (so overdue) first."""
    placements = db.session.scalars(
        db.select(Placement).where(*_outstanding_qa(_authority_id(user)))
        .options(selectinload(Placement.referral), selectinload(Placement.provider),
                 selectinload(Placement.off_framework_provider))
        .order_by(Placement.qa_visit_due_at, Placement.id)).all()
    return [QaTask(placement, placement.qa_visit_due_at, placement.qa_visit_overdue(now)) for placement in placements]


def qa_task_count(user: User) -> int:
    """How many QA visits are outstanding (one query), for the navigation."""
    return sum(counting.counts(qa_task_counters(user)))


def qa_task_counters(user: User) -> list:
    """The COUNT of outstanding QA visits, for the menu to run with its other counts."""
    if not user.has_role(COMMISSIONING_OFFICER):
        return []
    return [db.select(db.func.count(Placement.id)).where(*_outstanding_qa(user.organisation_id))]


def record_qa_visit(officer: User, placement: Placement, *, visited_at: datetime | None, notes: str,
                    now: datetime) -> None:
    if placement.authority_id != _authority_id(officer):
        raise NotFound()
    if placement.qa_visit_at is not None:
        raise DomainError(f"The QA visit was already recorded: visited on {format_datetime(placement.qa_visit_at)}.")
    if visited_at is None:
        raise DomainError("Enter the date and time of the visit", field="visited_on")
    if visited_at > now:
        raise DomainError("The visit cannot be in the future", field="visited_on")
    if visited_at < placement.referral.created_at:
        raise DomainError(f"The visit cannot be before the referral was made "
                          f"({format_date(placement.referral.created_at)})", field="visited_on")
    notes = _required(notes, "Note what the visit found", "notes")
    placement.qa_visit_at = visited_at
    placement.qa_visit_by_id = officer.id
    placement.qa_visit_notes = notes
    audit.record(at=now, actor=officer, action="placement.qa_visit_recorded", entity=placement,
                 summary=f"QA visit to {placement.provider_name} for {placement.agreement_reference} recorded"
                         + (" (late)" if placement.qa_visit_due_at and visited_at > placement.qa_visit_due_at
                            else ""),
                 after={"visited_at": visited_at, "due_at": placement.qa_visit_due_at})
    db.session.commit()


# The authority's placements --------------------------------------------------------------------

_framework_provider = db.aliased(Organisation)
_provider_name = db.func.lower(db.func.coalesce(_framework_provider.name, OffFrameworkProvider.name))
# The placements list sorts by these keys only.
PLACEMENT_SORTS = listing.SortKeys({
    "agreement": [Placement.agreement_reference],
    "provider": [_provider_name],
    "framework": [Placement.on_framework],
    "cost": [Placement.weekly_cost],
    "start": [Placement.start_date],
    "location": [db.func.lower(Placement.location_area)],
    "qa_visit": [db.func.coalesce(Placement.qa_visit_at, Placement.qa_visit_due_at)],
    "created": [Placement.created_at],
}, default="created", default_descending=True, tie_breaker=[Placement.id],
    newest_first=["cost", "start", "qa_visit", "created"], blanks_last=["qa_visit"])


def _placements_query(user: User, framework: str | None, search: str = "", sorting: listing.Sorting | None = None):
    sorting = sorting or PLACEMENT_SORTS.choose(None, None)
    query = (db.select(Placement).where(Placement.authority_id == _authority_id(user))
             .join(Referral, Referral.id == Placement.referral_id)
             .outerjoin(_framework_provider, _framework_provider.id == Placement.provider_id)
             .outerjoin(OffFrameworkProvider, OffFrameworkProvider.id == Placement.off_framework_provider_id)
             .options(selectinload(Placement.referral), selectinload(Placement.provider),
                      selectinload(Placement.off_framework_provider),
                      selectinload(Placement.cost_approval).selectinload(Approval.answered_by))
             .order_by(*PLACEMENT_SORTS.order_by(sorting)))
    if framework == "on":
        query = query.where(Placement.on_framework.is_(True))
    elif framework == "off":
        query = query.where(Placement.on_framework.is_(False))
    search = listing.cleaned(search)
    if search:
        query = query.where(listing.matching(search, [Placement.agreement_reference, Referral.reference,
                                                      _framework_provider.name, OffFrameworkProvider.name]))
    return query


def placements_for(user: User, *, framework: str | None = None, search: str = "",
                   sorting: listing.Sorting | None = None, page: int = 1, per_page: int = PER_PAGE):
    """The authority's placements, on and off framework (or one of them), newest first unless sorted otherwise
    (PLACEMENT_SORTS), searched by agreement or referral reference or provider name."""
    return db.paginate(_placements_query(user, framework, search, sorting), page=page, per_page=per_page,
                       error_out=False)
