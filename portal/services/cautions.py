"""A provider's "place with caution", after an unsatisfactory reference at evaluation: the updated evidence the
provider sends, and the lead authority's decision, with its reason, to lift the caution or confirm it.

The rules, in one place:

* A provider is under caution where one of its lot memberships is "place_with_caution", or its standing is.
* Only the provider's own users send evidence about its caution, and only while it is under caution. The file goes
  through the uploads checks (type read from its content, size) and is stored outside the web root; a note is
  required. The lead authorities concerned are told in the portal and by e-mail.
* The evidence is read by the provider's own users and by the administrators of a lead authority the provider is
  linked to (see providers.is_linked); nobody else, whatever id they type.
* An administrator decides for the lots of the DPSs their authority leads: lifting makes those memberships
  "admitted" (and the standing too, once no caution is left anywhere); confirming keeps them. Either way the
  reason is recorded, the evidence sent until then is marked reviewed, and the provider's users are told.
* The audit trail keeps who, what and when, the memberships before and after, and the lengths of the note and the
  reason, never their text.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import (
    Application,
    CautionEvidence,
    CautionReview,
    Dps,
    EntryWindow,
    Lot,
    LotMembership,
    Organisation,
    User,
)
from portal.models.caution import DECISIONS, LIFTED
from portal.models.user import ADMINISTRATOR, PROVIDER_USER
from portal.services import audit, mail, uploads
from portal.services.providers import is_linked, linked_provider_ids

PLACE_WITH_CAUTION = "place_with_caution"
ADMITTED = "admitted"
MAX_NOTE = 2000
MAX_REASON = 2000
RECENT_REVIEWS = 10
EVIDENCE_PER_PAGE = 20


@dataclass(frozen=True)
class CautionSummary:
    """What a reader may see of a provider's caution: the lots it is on, a page of the evidence sent (newest first),
    how much evidence awaits review, and the latest decisions."""

    provider: Organisation
    memberships: list[LotMembership]
    evidence: object  # a page of CautionEvidence (Flask-SQLAlchemy's Pagination)
    awaiting_review: int
    reviews: list[CautionReview]

    @property
    def standing_cautioned(self) -> bool:
        return self.provider.provider_status == PLACE_WITH_CAUTION

    @property
    def under_caution(self) -> bool:
        return bool(self.memberships) or self.standing_cautioned


def cautioned_memberships(provider_id: int, lead_id: int | None = None) -> list[LotMembership]:
    """The provider's places with caution, on lots of DPSs the authority leads when `lead_id` is given."""
    query = (db.select(LotMembership).join(Lot, Lot.id == LotMembership.lot_id).join(Dps, Dps.id == Lot.dps_id)
             .where(LotMembership.provider_id == provider_id, LotMembership.status == PLACE_WITH_CAUTION)
             .options(selectinload(LotMembership.lot).selectinload(Lot.dps))
             .order_by(Dps.reference, Lot.number))
    if lead_id is not None:
        query = query.where(Dps.lead_authority_id == lead_id)
    return db.session.scalars(query).all()


def is_under_caution(provider: Organisation) -> bool:
    return provider.provider_status == PLACE_WITH_CAUTION or bool(cautioned_memberships(provider.id))


def _evidence_of(provider_id: int, page: int):
    return db.paginate(
        db.select(CautionEvidence).where(CautionEvidence.provider_id == provider_id)
        .options(selectinload(CautionEvidence.sent_by))
        .order_by(CautionEvidence.sent_at.desc(), CautionEvidence.id.desc()),
        page=page, per_page=EVIDENCE_PER_PAGE, error_out=False)


def _awaiting_review(provider_id: int) -> int:
    return db.session.scalar(db.select(db.func.count(CautionEvidence.id)).where(
        CautionEvidence.provider_id == provider_id, CautionEvidence.review_id.is_(None)))


def _recent_reviews(provider_id: int, lead_id: int | None = None) -> list[CautionReview]:
    query = (db.select(CautionReview).where(CautionReview.provider_id == provider_id)
             .options(selectinload(CautionReview.decided_by), selectinload(CautionReview.lead_authority))
             .order_by(CautionReview.decided_at.desc(), CautionReview.id.desc()).limit(RECENT_REVIEWS))
    if lead_id is not None:
        query = query.where(CautionReview.lead_authority_id == lead_id)
    return db.session.scalars(query).all()


def awaiting_review_counts(admin: User, provider_ids: list[int]) -> dict[int, int]:
    """How many pieces of evidence await review, by provider, among the providers linked to the administrator's
    authority (one query, for a page of the register)."""
    return dict(db.session.execute(
        db.select(CautionEvidence.provider_id, db.func.count(CautionEvidence.id))
        .where(CautionEvidence.provider_id.in_(provider_ids), CautionEvidence.review_id.is_(None),
               CautionEvidence.provider_id.in_(linked_provider_ids(admin.organisation_id)))
        .group_by(CautionEvidence.provider_id)).all())


def summary_for_provider(user: User, page: int = 1) -> CautionSummary:
    """The user's own provider's caution: the only one a provider ever sees."""
    if not user.has_role(PROVIDER_USER):
        raise NotFound()
    provider = user.organisation
    return CautionSummary(provider, cautioned_memberships(provider.id), _evidence_of(provider.id, page),
                          _awaiting_review(provider.id), _recent_reviews(provider.id))


def summary_for_admin(admin: User, provider: Organisation, page: int = 1) -> CautionSummary:
    """A provider's caution as an administrator of a lead authority it is linked to sees it: the cautions on the
    lots of DPSs that authority leads, every piece of evidence, and that authority's decisions."""
    if not may_review(admin, provider):
        raise NotFound()
    lead_id = admin.organisation_id
    return CautionSummary(provider, cautioned_memberships(provider.id, lead_id), _evidence_of(provider.id, page),
                          _awaiting_review(provider.id), _recent_reviews(provider.id, lead_id))


def may_review(user: User, provider: Organisation) -> bool:
    return (user.has_role(ADMINISTRATOR) and provider.is_provider
            and is_linked(provider, user.organisation_id))


def _lead_administrators(provider: Organisation) -> list[User]:
    """The active administrators of the lead authorities whose lots hold the provider's caution; where only its
    standing is cautioned, those of every lead authority whose DPS it applied to or holds a place on."""
    lead_ids = {membership.lot.dps.lead_authority_id for membership in cautioned_memberships(provider.id)}
    if not lead_ids:
        applied = (db.select(Dps.lead_authority_id).join(EntryWindow, EntryWindow.dps_id == Dps.id)
                   .join(Application, Application.window_id == EntryWindow.id)
                   .where(Application.provider_id == provider.id))
        placed = (db.select(Dps.lead_authority_id).join(Lot, Lot.dps_id == Dps.id)
                  .join(LotMembership, LotMembership.lot_id == Lot.id).where(LotMembership.provider_id == provider.id))
        lead_ids = set(db.session.scalars(db.union(applied, placed)))
    admins = db.session.scalars(db.select(User).where(User.organisation_id.in_(lead_ids))
                                .options(selectinload(User.role_rows)).order_by(User.id)).all()
    return [user for user in admins if user.is_active and user.has_role(ADMINISTRATOR)]


def send_evidence(user: User, *, note: str, filename: str, data: bytes, now: datetime) -> CautionEvidence:
    """The provider sends updated evidence about its caution: a file and a note."""
    if not user.has_role(PROVIDER_USER):
        raise NotFound()
    provider = user.organisation
    if not is_under_caution(provider):
        raise DomainError(f"{provider.name} is not marked place with caution: there is no caution to send evidence "
                          "about")
    note = (note or "").strip()
    if not note:
        raise DomainError("Say what the evidence shows", field="note")
    if len(note) > MAX_NOTE:
        raise DomainError(f"Enter a note of no more than {MAX_NOTE:,} characters", field="note")
    file_type = uploads.check(data, filename)
    stored_name = uploads.store(data)
    evidence = CautionEvidence(provider_id=provider.id, note=note, original_filename=uploads.display_name(filename),
                               stored_name=stored_name, file_type=file_type, size_bytes=len(data),
                               sha256=uploads.sha256(data), sent_by_id=user.id, sent_at=now)
    try:
        db.session.add(evidence)
        db.session.flush()
        audit.record(at=now, actor=user, action="caution.evidence_sent", entity=provider,
                     summary=f"{provider.name} sent updated evidence about its caution",
                     after={"evidence_id": evidence.id, "filename": evidence.original_filename,
                            "sha256": evidence.sha256, "note_length": len(note)})
        for admin in _lead_administrators(provider):
            mail.notify(admin, at=now, link=url_for("admin.provider_detail", provider_id=provider.id),
                        subject=f"{provider.name} sent evidence about its caution",
                        body=f"{provider.name}, marked place with caution, has sent updated evidence. Read it and "
                             "lift or confirm the caution.")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        uploads.discard(stored_name)
        raise DomainError("The evidence could not be saved. Try again.") from None
    return evidence


def get_evidence_for(user: User, evidence_id: int) -> CautionEvidence:
    """A piece of caution evidence, for the provider's own users and the administrators of a linked lead."""
    evidence = db.session.get(CautionEvidence, evidence_id)
    if evidence is None:
        raise NotFound()
    own = user.has_role(PROVIDER_USER) and user.organisation_id == evidence.provider_id
    if not (own or may_review(user, evidence.provider)):
        raise NotFound()
    return evidence


def review(admin: User, provider: Organisation, *, decision: str, reason: str, now: datetime) -> CautionReview:
    """Lift or confirm the provider's caution on the lots of the DPSs the administrator's authority leads."""
    if not may_review(admin, provider):
        raise NotFound()
    if decision not in DECISIONS:
        raise DomainError("Choose whether to lift or confirm the caution", field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for your decision", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"Enter a reason of no more than {MAX_REASON:,} characters", field="reason")
    lead_id = admin.organisation_id
    memberships = cautioned_memberships(provider.id, lead_id)
    if not memberships and provider.provider_status != PLACE_WITH_CAUTION:
        raise DomainError(f"{provider.name} is not marked place with caution on any lot of a DPS you lead")
    if decision == LIFTED and not memberships and cautioned_memberships(provider.id):
        raise DomainError(f"{provider.name}'s caution is on lots of DPSs other authorities lead: only they can lift it")
    lots = [f"{m.lot.dps.reference} {m.lot.label}" for m in memberships]
    before = {"lots": {label: PLACE_WITH_CAUTION for label in lots}, "standing": provider.provider_status}
    if decision == LIFTED:
        for membership in memberships:
            membership.status = ADMITTED
        db.session.flush()
        if provider.provider_status == PLACE_WITH_CAUTION and not cautioned_memberships(provider.id):
            provider.change_provider_status(ADMITTED)
    record = CautionReview(provider_id=provider.id, lead_authority_id=lead_id, decision=decision, reason=reason,
                           lots="\n".join(lots), decided_by_id=admin.id, decided_at=now)
    db.session.add(record)
    db.session.flush()
    db.session.execute(db.update(CautionEvidence).where(CautionEvidence.provider_id == provider.id,
                                                        CautionEvidence.review_id.is_(None))
                       .values(review_id=record.id))
    after_status = ADMITTED if decision == LIFTED else PLACE_WITH_CAUTION
    audit.record(at=now, actor=admin, action=f"caution.{decision}", entity=provider,
                 summary=f"{DECISIONS[decision]} for {provider.name}" + (f" on {', '.join(lots)}" if lots else ""),
                 before=before,
                 after={"lots": {label: after_status for label in lots}, "standing": provider.provider_status,
                        "review_id": record.id, "reason_length": len(reason)})
    _tell_provider(admin, provider, record, lots, now)
    db.session.commit()
    return record


def _tell_provider(admin: User, provider: Organisation, record: CautionReview, lots: list[str],
                   now: datetime) -> None:
    where = f" on {', '.join(lots)}" if lots else ""
    if record.decision == LIFTED:
        subject = "Your caution has been lifted"
        body = f"{admin.organisation.name} has lifted the caution{where}: you are now admitted without caution."
    else:
        subject = "Your caution has been confirmed"
        body = f"{admin.organisation.name} has read your evidence and kept the caution{where}."
    body += f"\nReason: {record.reason}"
    for user in provider.users:
        if user.is_active and user.has_role(PROVIDER_USER):
            mail.notify(user, at=now, link=url_for("supplier.caution"), subject=subject, body=body)

