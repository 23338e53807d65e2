"""The compliance register: Ofsted inspections of each setting, each provider's insurance and other dated
evidence, the monthly Ofsted import and review, the Inadequate judgement's decision, and enforcement notices.

- Inspections come from the lead administrator's monthly import of Ofsted's CSV (portal.services.ofsted_import).
  Where a judgement falls, the provider's contract managers and every authority with a live placement at the
  setting are told, and a placement review is requested for each of those placements. An Inadequate judgement
  restricts new placements at the setting on the lead's DPSs (cause inadequate) until the lead's assistant
  director decides: lift, keep, or extend to the whole provider. A later judgement better than Inadequate lifts a
  kept restriction. Continuing a member's live placement at an Inadequate setting needs that member's assistant
  director (approval kind CONTINUE_AT_INADEQUATE, asked by its officer).
- Evidence: the provider uploads it (portal.services.uploads rules), a contract manager allocated to one of its
  contracts, or an administrator of a lead it holds a contract with, accepts or rejects it with a reason. The
  accepted one of a kind with the latest expiry is in force: warnings 30 and 7 days before it lapses (once each,
  to the provider and its contract managers); the day after its expiry a restriction of the whole provider starts
  on every DPS it holds a contract on (cause insurance_expired / evidence_expired), lifted when new evidence of
  that kind is accepted.
- The monthly Ofsted review: each contract manager with providers marks the month (UK) done; until then it is on
  their Tasks (one notice a month from the scheduler) and a Due item on each of their contracts.
- Enforcement notices (Care Standards Act s30A) are recorded against a setting with the notice document. A notice
  to cancel, a summons or a restriction of accommodation restricts new placements at the setting on every DPS and
  requests a review of every live placement there; a lifted restriction or an upheld appeal lifts those
  restrictions; a cancellation taking effect terminates the provider's contract on every DPS and tells the
  provider and every placing authority that the placements there must end.

Nothing here names a child: reasons speak of the provider and the setting. Every change is audited and committed
here (`now` is naive UTC).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from flask import url_for

from portal.errors import DomainError, InvalidTransition, NotFound, Problems
from portal.extensions import db
from portal.models import (
    Dps,
    EnforcementNotice,
    Evidence,
    Inspection,
    OfstedReview,
    Placement,
    ProviderContract,
    Restriction,
    Setting,
    User,
    UserRole,
)
from portal.models.compliance import (
    ACCEPTED,
    CANCELLATION_EFFECTIVE,
    DECISIONS,
    EVIDENCE_KINDS,
    EXTEND,
    INADEQUATE,
    JUDGEMENTS,
    LIFT,
    LIFTING,
    NOTICE_KINDS,
    RESTRICTING,
    SUBMITTED,
)
from portal.models.contract import ENFORCEMENT, EVIDENCE_EXPIRED, INSURANCE_EXPIRED
from portal.models.contract import INADEQUATE as INADEQUATE_CAUSE
from portal.models.user import (
    ADMINISTRATOR,
    ASSISTANT_DIRECTOR,
    COMMISSIONING_OFFICER,
    CONTRACT_MANAGER,
    PROVIDER_USER,
)
from portal.services import audit, counting, mail, reviews, standing, uploads
from portal.services.contracts import Due
from portal.timezone import format_date, uk_today

WARNING_DAYS = (30, 7)
REVIEW_WITHIN_DAYS = 14  # a placement review requested by a fall or a notice is due within this many days
MAX_REASON = 2000
TASKS_SHOWN = 50


def _text(value, field: str, message: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(message, field=field)
    if len(value) > MAX_REASON:
        raise DomainError(f"Use {MAX_REASON} characters or fewer", field=field)
    return value


def month_of(now: datetime) -> date:
    return uk_today(now).replace(day=1)


# Who may do what ----------------------------------------------------------------------------------------------

def contracts_of_provider(provider_id: int, *, lead_id: int | None = None, live_only: bool = True
                          ) -> list[ProviderContract]:
    """The provider's contracts (not terminated when `live_only`), those on DPSs `lead_id` leads when given."""
    query = (db.select(ProviderContract).join(Dps, Dps.id == ProviderContract.dps_id)
             .where(ProviderContract.provider_id == provider_id)
             .options(db.selectinload(ProviderContract.dps), db.selectinload(ProviderContract.contract_manager))
             .order_by(ProviderContract.dps_id))
    if live_only:
        query = query.where(ProviderContract.terminated_at.is_(None))
    if lead_id is not None:
        query = query.where(Dps.lead_authority_id == lead_id)
    return list(db.session.scalars(query))


def may_manage(user: User, provider_id: int) -> bool:
    """A contract manager allocated to one of the provider's contracts, or a contract manager or administrator of
    a lead it holds a contract with (the lead's contract managers cover, as on the ladder: contracts.manages):
    they accept evidence and record enforcement notices."""
    if user.organisation.is_provider:
        return False
    query = db.select(ProviderContract.id).join(Dps, Dps.id == ProviderContract.dps_id).where(
        ProviderContract.provider_id == provider_id)
    rights = []
    if user.has_role(CONTRACT_MANAGER):
        rights.append(ProviderContract.contract_manager_id == user.id)
    if user.has_role(CONTRACT_MANAGER, ADMINISTRATOR):
        rights.append(Dps.lead_authority_id == user.organisation_id)
    if not rights:
        return False
    return db.session.scalar(query.where(db.or_(*rights)).limit(1)) is not None


def _contract_managers(provider_id: int) -> list[User]:
    return list({contract.contract_manager.id: contract.contract_manager
                 for contract in contracts_of_provider(provider_id) if contract.contract_manager is not None
                 and contract.contract_manager.active}.values())


def _provider_users(provider_ids) -> dict[int, list[User]]:
    found = defaultdict(list)
    ids = set(provider_ids)
    if ids:
        for user in db.session.scalars(db.select(User).where(
                User.active, User.organisation_id.in_(ids),
                User.id.in_(db.select(UserRole.user_id).where(UserRole.role == PROVIDER_USER))).order_by(User.id)):
            found[user.organisation_id].append(user)
    return found


def _people_with(authority_ids, roles) -> list[User]:
    ids = set(authority_ids)
    if not ids:
        return []
    return list(db.session.scalars(db.select(User).where(
        User.active, User.organisation_id.in_(ids),
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role.in_(roles)))).order_by(User.id)))


def live_placements_at(setting_id: int, now: datetime) -> list[Placement]:
    """The placements at the setting that have not ended (starting, live or ending)."""
    today = uk_today(now)
    return list(db.session.scalars(db.select(Placement).where(
        Placement.setting_id == setting_id, db.or_(Placement.end_date.is_(None), Placement.end_date > today))
        .order_by(Placement.id)))


def _contract_link(contract: ProviderContract) -> str:
    return url_for("buyer.contracts_provider", dps_id=contract.dps_id, provider_id=contract.provider_id)


# Inspections ----------------------------------------------------------------------------------------------------

def inspections_by_setting(setting_ids) -> dict[int, list[Inspection]]:
    """Each setting's inspections, newest first (one query)."""
    found = defaultdict(list)
    ids = set(setting_ids)
    if ids:
        for inspection in db.session.scalars(db.select(Inspection).where(Inspection.setting_id.in_(ids))
                                             .options(db.selectinload(Inspection.decided_by))
                                             .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())):
            found[inspection.setting_id].append(inspection)
    return found


def latest_judgements(setting_ids) -> dict[int, int]:
    """Each setting's latest judgement (one query)."""
    ids = set(setting_ids)
    if not ids:
        return {}
    latest = (db.select(Inspection.setting_id, db.func.max(Inspection.inspected_on).label("on"))
              .where(Inspection.setting_id.in_(ids)).group_by(Inspection.setting_id).subquery())
    rows = db.session.execute(db.select(Inspection.setting_id, Inspection.judgement, Inspection.id)
                              .join(latest, db.and_(latest.c.setting_id == Inspection.setting_id,
                                                    latest.c.on == Inspection.inspected_on))
                              .order_by(Inspection.id)).all()
    return {setting_id: judgement for setting_id, judgement, _id in rows}


def after_inspection(inspection: Inspection, actor: User | None, now: datetime) -> None:
    """What a newly recorded judgement sets off (called by the import before its commit): on a fall, the telling
    and the placement reviews; an Inadequate judgement restricts the setting on the lead's DPSs; a judgement better
    than Inadequate lifts the restrictions earlier Inadequate judgements there left in place."""
    setting = inspection.setting
    contracts = contracts_of_provider(setting.provider_id, lead_id=inspection.lead_id)
    if inspection.judgement < INADEQUATE:
        earlier = db.select(Inspection.id).where(Inspection.setting_id == setting.id, Inspection.id != inspection.id)
        for restriction in db.session.scalars(db.select(Restriction).where(
                Restriction.source_type == Inspection.__tablename__, Restriction.source_id.in_(earlier),
                Restriction.lifted_at.is_(None))):
            standing.lift(restriction, actor=actor, now=now,
                          reason=f"Ofsted judged {setting.label} {inspection.judgement_label} on "
                                 f"{format_date(inspection.inspected_on)}")
    if inspection.fell:
        placements = live_placements_at(setting.id, now)
        what = (f"Ofsted's judgement of {setting.label} ({setting.provider.name}) fell from "
                f"{inspection.previous_label} to {inspection.judgement_label} (inspection of "
                f"{format_date(inspection.inspected_on)})")
        reviews.request_reviews([placement.id for placement in placements], reason=what, source=inspection,
                                due_on=uk_today(now) + timedelta(days=REVIEW_WITHIN_DAYS), now=now)
        told = {person.id: person for person in _contract_managers(setting.provider_id)}
        told.update({person.id: person for person in _people_with(
            {placement.authority_id for placement in placements}, (COMMISSIONING_OFFICER,))})
        link = _contract_link(contracts[0]) if contracts else None
        mail.notify_many([(person, f"Ofsted judgement fell: {setting.label}",
                           what + (".\nA review of each placement your authority has there is now due."
                                   if placements else "."), link) for person in told.values()], at=now)
    if inspection.judgement == INADEQUATE:
        for contract in contracts:
            standing.restrict(dps_id=contract.dps_id, provider_id=contract.provider_id, setting_id=setting.id,
                              cause=INADEQUATE_CAUSE, actor=actor, now=now, source=inspection,
                              reason=f"Ofsted judged {setting.label} Inadequate on "
                                     f"{format_date(inspection.inspected_on)}: no new placements there until the "
                                     f"lead authority's assistant director decides")
        directors = _people_with({inspection.lead_id}, (ASSISTANT_DIRECTOR,))
        mail.notify_many([(person, f"Decision needed: Inadequate judgement of {setting.label}",
                           f"Ofsted judged {setting.label} ({setting.provider.name}) Inadequate. Decide whether the "
                           f"restriction of new placements there is lifted, kept or extended to the whole provider.",
                           url_for("buyer.contracts_inspection", inspection_id=inspection.id))
                          for person in directors], at=now)


def decisions_due(user: User) -> list[Inspection]:
    """Inadequate judgements waiting for the user's decision (an assistant director of the importing lead)."""
    if not user.has_role(ASSISTANT_DIRECTOR) or user.organisation.is_provider:
        return []
    return list(db.session.scalars(_decisions_due(user)
                                   .options(db.selectinload(Inspection.setting).selectinload(Setting.provider))
                                   .order_by(Inspection.recorded_at, Inspection.id).limit(TASKS_SHOWN)))


def _decisions_due(user: User):
    return db.select(Inspection).where(Inspection.lead_id == user.organisation_id, Inspection.judgement == INADEQUATE,
                                       Inspection.decided_at.is_(None))


def inspection_for(user: User, inspection_id: int) -> Inspection:
    """An Inadequate judgement a lead recorded, for that lead's assistant directors and contract readers."""
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or inspection.lead_id is None or inspection.lead_id != user.organisation_id:
        raise NotFound()
    return inspection


def may_decide(user: User, inspection: Inspection) -> bool:
    """The user is an assistant director of the lead whose import recorded the judgement."""
    return user.has_role(ASSISTANT_DIRECTOR) and user.organisation_id == inspection.lead_id


def decide(user: User, inspection: Inspection, *, decision: str, reason: str, now: datetime) -> None:
    """The lead's assistant director decides an Inadequate judgement's restriction: lift it, keep it, or extend it
    to the whole provider on the lead's DPSs. Recorded with who, when and why; decided once."""
    if not may_decide(user, inspection):
        raise NotFound()
    problems = Problems()
    if decision not in DECISIONS:
        problems.errors["decision"] = "Choose whether to lift, keep or extend the restriction"
    reason = problems.check(_text, reason, "reason", "Give the reason for the decision")
    problems.raise_any()
    try:
        inspection.decide(decision, reason, user.id, now)
    except InvalidTransition as error:
        raise DomainError(error.message) from None
    setting = inspection.setting
    decided = DECISIONS[decision].lower()
    for contract in contracts_of_provider(setting.provider_id, lead_id=inspection.lead_id):
        standing.notify_members(contract.dps, setting.provider, now=now, link=_contract_link(contract),
                                subject=f"Inadequate judgement of {setting.label}: {decided}",
                                body=f"The lead authority's assistant director decided on Ofsted's Inadequate "
                                     f"judgement of {setting.label} ({setting.provider.name}): {decided}."
                                     f"\nWhy: {reason}")
    if decision == LIFT:
        standing.lift_for_source(inspection, reason=f"Assistant director's decision: {reason}", actor=user, now=now)
    elif decision == EXTEND:
        for contract in contracts_of_provider(setting.provider_id, lead_id=inspection.lead_id):
            standing.restrict(dps_id=contract.dps_id, provider_id=contract.provider_id, cause=INADEQUATE_CAUSE,
                              source=inspection, actor=user, now=now,
                              reason=f"Ofsted judged {setting.label} Inadequate; the assistant director extended the "
                                     f"restriction to the whole provider: {reason}")
    db.session.flush()
    audit.record(at=now, actor=user, action="inspection.decided", entity=inspection,
                 summary=f"Inadequate judgement of {setting.label}: {DECISIONS[decision].lower()}",
                 before={"decision": None}, after={"decision": decision, "reason": reason})
    db.session.commit()


def placements_needing_continuation(user: User, now: datetime) -> list[Placement]:
    """The officer's authority's placements, not ended, at a setting whose latest judgement is Inadequate and with
    no approval to continue asked for since that judgement (two queries)."""
    if not user.has_role(COMMISSIONING_OFFICER) or user.organisation.is_provider:
        return []
    return list(db.session.scalars(_needing_continuation(user, now).options(db.selectinload(Placement.provider))
                                   .order_by(Placement.id).limit(TASKS_SHOWN)).unique())


@cache
def _latest_inadequate_subquery():
    """The settings whose latest judgement is Inadequate, with when it was recorded: the Inadequate inspections
    (few, by their index) with no later inspection of the setting, so that the menu's count starts from them
    rather than from every placement of the authority."""
    later = db.aliased(Inspection)
    superseded = db.select(later.id).where(later.setting_id == Inspection.setting_id,
                                           later.inspected_on > Inspection.inspected_on)
    return (db.select(Inspection.setting_id, Inspection.recorded_at)
            .where(Inspection.judgement == INADEQUATE, ~superseded.exists()).subquery())


def _needing_continuation(user: User, now: datetime):
    from portal.models import Approval
    from portal.models.approval import CONTINUE_AT_INADEQUATE, REPLACED, WITHDRAWN

    today = uk_today(now)
    inadequate = _latest_inadequate_subquery()
    asked = db.select(Approval.id).where(Approval.subject_type == Placement.__tablename__,
                                         Approval.subject_id == Placement.id, Approval.kind == CONTINUE_AT_INADEQUATE,
                                         Approval.status.not_in([REPLACED, WITHDRAWN]),
                                         Approval.requested_at >= inadequate.c.recorded_at)
    return (db.select(Placement).join(inadequate, inadequate.c.setting_id == Placement.setting_id)
            .where(Placement.authority_id == user.organisation_id,
                   db.or_(Placement.end_date.is_(None), Placement.end_date > today), ~asked.exists()))


def ask_to_continue(user: User, placement: Placement, now: datetime):
    """The officer asks the authority's assistant director to agree that a placement at an Inadequate setting
    continues (an approval; a second ask while one stands changes nothing)."""
    from portal.models.approval import CONTINUE_AT_INADEQUATE
    from portal.services import approvals

    if not user.has_role(COMMISSIONING_OFFICER) or placement.authority_id != user.organisation_id:
        raise NotFound()
    judgement = latest_judgements([placement.setting_id]).get(placement.setting_id) if placement.setting_id else None
    if judgement != INADEQUATE:
        raise DomainError("The setting of this placement is not judged Inadequate: no agreement is needed.")
    return approvals.request(user, placement, kind=CONTINUE_AT_INADEQUATE, weekly_cost=None, now=now,
                             summary=f"Continue the placement {placement.agreement_reference} at a setting Ofsted "
                                     f"judged Inadequate")


# Evidence -------------------------------------------------------------------------------------------------------

def _future_expiry(expires_on: date | None, now: datetime) -> date:
    if expires_on is None:
        raise DomainError("Enter the date the evidence expires", field="expires_on")
    if expires_on < uk_today(now):
        raise DomainError("The expiry date must be today or in the future", field="expires_on")
    return expires_on


def submit_evidence(user: User, *, kind: str, expires_on: date | None, data: bytes, filename: str,
                    now: datetime) -> Evidence:
    """The provider uploads dated evidence; its contract managers are told."""
    if not user.has_role(PROVIDER_USER) or not user.organisation.is_provider:
        raise NotFound()
    problems = Problems()
    if kind not in EVIDENCE_KINDS:
        problems.errors["kind"] = "Choose what the evidence is"
    expires_on = problems.check(_future_expiry, expires_on, now)
    file_type = problems.check(uploads.check, data, filename)
    problems.raise_any()
    same = db.session.scalar(db.select(Evidence).where(
        Evidence.provider_id == user.organisation_id, Evidence.kind == kind, Evidence.expires_on == expires_on,
        Evidence.status == SUBMITTED, Evidence.filename == uploads.display_name(filename)).limit(1))
    if same is not None:
        return same  # sent twice: kept once
    evidence = Evidence(provider_id=user.organisation_id, kind=kind, expires_on=expires_on,
                        filename=uploads.display_name(filename), stored_name=uploads.store(data), file_type=file_type,
                        uploaded_at=now, uploaded_by_id=user.id, status=SUBMITTED)
    db.session.add(evidence)
    db.session.flush()
    audit.record(at=now, actor=user, action="evidence.submitted", entity=evidence,
                 summary=f"{evidence.kind_label} expiring {format_date(expires_on)} uploaded by "
                         f"{user.organisation.name}", after={"kind": kind, "expires_on": expires_on})
    mail.notify_many([(person, f"Evidence to check: {user.organisation.name}",
                       f"{user.organisation.name} uploaded {evidence.kind_label.lower()} expiring "
                       f"{format_date(expires_on)}. Accept or reject it.",
                       url_for("buyer.contracts_evidence", evidence_id=evidence.id))
                      for person in _contract_managers(user.organisation_id)], at=now)
    db.session.commit()
    return evidence


def evidence_for(user: User, evidence_id: int) -> Evidence:
    """Evidence for its provider's users and for those who may manage that provider; NotFound for anyone else."""
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound()
    if user.organisation.is_provider:
        if user.organisation_id != evidence.provider_id:
            raise NotFound()
    elif not may_manage(user, evidence.provider_id):
        raise NotFound()
    return evidence


def decide_evidence(user: User, evidence: Evidence, *, accept: bool | None, reason: str, now: datetime) -> None:
    """Accept or reject evidence (a reason needed to reject). Accepting evidence in date lifts the restrictions
    lapsed evidence of that kind started."""
    if not may_manage(user, evidence.provider_id):
        raise NotFound()
    problems = Problems()
    if accept is None:
        problems.errors["decision"] = "Choose whether to accept or reject the evidence"
    reason = problems.check(_text, reason, "reason", "Give the reason for rejecting the evidence",
                            required=accept is False)
    problems.raise_any()
    try:
        evidence.decide(accept, reason, user.id, now)
    except InvalidTransition as error:
        raise DomainError(error.message) from None
    db.session.flush()
    if accept and evidence.expires_on >= uk_today(now):
        lapsed = db.select(Evidence.id).where(Evidence.provider_id == evidence.provider_id,
                                              Evidence.kind == evidence.kind, Evidence.id != evidence.id)
        for restriction in db.session.scalars(db.select(Restriction).where(
                Restriction.source_type == Evidence.__tablename__, Restriction.source_id.in_(lapsed),
                Restriction.lifted_at.is_(None)).order_by(Restriction.id)):
            standing.lift(restriction, actor=user, now=now,
                          reason=f"New {evidence.kind_label.lower()} accepted, expiring "
                                 f"{format_date(evidence.expires_on)}")
    audit.record(at=now, actor=user, action="evidence.accepted" if accept else "evidence.rejected", entity=evidence,
                 summary=f"{evidence.kind_label} of {evidence.provider.name} {evidence.status}",
                 before={"status": SUBMITTED}, after={"status": evidence.status, "reason": reason})
    verdict = "accepted" if accept else f"rejected.\nReason: {reason}"
    mail.notify_many([(person, f"Your {evidence.kind_label.lower()} was {evidence.status}",
                       f"The {evidence.kind_label.lower()} expiring {format_date(evidence.expires_on)} was {verdict}",
                       url_for("supplier.compliance_evidence"))
                      for person in _provider_users([evidence.provider_id])[evidence.provider_id]], at=now)
    db.session.commit()


def _in_force_clause():
    """Accepted evidence not superseded by accepted evidence of the same kind expiring later."""
    newer = db.aliased(Evidence)
    return db.and_(Evidence.status == ACCEPTED, ~db.select(newer.id).where(
        newer.provider_id == Evidence.provider_id, newer.kind == Evidence.kind, newer.status == ACCEPTED,
        db.or_(newer.expires_on > Evidence.expires_on,
               db.and_(newer.expires_on == Evidence.expires_on, newer.id > Evidence.id))).exists())


def evidence_in_force(provider_id: int) -> list[Evidence]:
    return list(db.session.scalars(db.select(Evidence).where(Evidence.provider_id == provider_id, _in_force_clause())
                                   .order_by(Evidence.expires_on, Evidence.id)))


def evidence_list(provider_id: int):
    """Every piece of evidence of the provider, newest first (a query to paginate)."""
    return (db.select(Evidence).where(Evidence.provider_id == provider_id)
            .order_by(Evidence.uploaded_at.desc(), Evidence.id.desc()))


def evidence_of_lead(user: User, *, status: str | None):
    """Evidence of the providers holding a contract on the administrator's DPSs, oldest waiting first (a query to
    paginate); `status` one of EVIDENCE_STATUSES, or None for all."""
    if not user.has_role(ADMINISTRATOR) or user.organisation.is_provider:
        raise NotFound()
    providers = db.select(ProviderContract.provider_id).join(Dps, Dps.id == ProviderContract.dps_id).where(
        Dps.lead_authority_id == user.organisation_id)
    query = (db.select(Evidence).where(Evidence.provider_id.in_(providers))
             .options(db.selectinload(Evidence.provider)).order_by(Evidence.uploaded_at, Evidence.id))
    return query.where(Evidence.status == status) if status else query


def evidence_to_check(user: User) -> list[Evidence]:
    """Evidence waiting for a decision from the contract manager (of the providers allocated to them)."""
    if not user.has_role(CONTRACT_MANAGER):
        return []
    return list(db.session.scalars(_evidence_to_check(user).options(db.selectinload(Evidence.provider))
                                   .order_by(Evidence.uploaded_at, Evidence.id).limit(TASKS_SHOWN)))


def _evidence_to_check(user: User):
    mine = db.select(ProviderContract.provider_id).where(ProviderContract.contract_manager_id == user.id)
    return db.select(Evidence).where(Evidence.status == SUBMITTED, Evidence.provider_id.in_(mine))


def expiry_due(now: datetime) -> int:
    """Warn 30 and 7 days before evidence in force expires (once each, the nearer one only when both fall due
    together), and restrict the provider on every DPS the day after it expires. Idempotent; a few queries
    whatever the number of warnings (a lapse restricts per contract)."""
    today = uk_today(now)
    due = list(db.session.scalars(db.select(Evidence).where(
        _in_force_clause(), Evidence.lapsed_at.is_(None), Evidence.expires_on <= today + timedelta(days=30),
        db.or_(Evidence.expires_on < today, Evidence.warned_30_at.is_(None),
               db.and_(Evidence.warned_7_at.is_(None), Evidence.expires_on <= today + timedelta(days=7))))
        .options(db.selectinload(Evidence.provider)).order_by(Evidence.id)))
    if not due:
        return 0
    provider_ids = {evidence.provider_id for evidence in due}
    users = _provider_users(provider_ids)
    managers = defaultdict(dict)
    for contract in db.session.scalars(db.select(ProviderContract).where(
            ProviderContract.provider_id.in_(provider_ids), ProviderContract.terminated_at.is_(None))
            .options(db.selectinload(ProviderContract.contract_manager), db.selectinload(ProviderContract.dps))):
        if contract.contract_manager is not None and contract.contract_manager.active:
            managers[contract.provider_id][contract.contract_manager.id] = contract.contract_manager
    notices, done, warned_30, warned_7 = [], 0, [], []
    for evidence in due:
        told = users[evidence.provider_id] + list(managers[evidence.provider_id].values())
        what = f"{evidence.kind_label} of {evidence.provider.name}"
        if evidence.expires_on < today:
            cause = INSURANCE_EXPIRED if evidence.is_insurance else EVIDENCE_EXPIRED
            for contract in contracts_of_provider(evidence.provider_id):
                standing.restrict(dps_id=contract.dps_id, provider_id=evidence.provider_id, cause=cause, actor=None,
                                  now=now, source=evidence,
                                  reason=f"{what} expired on {format_date(evidence.expires_on)}: no new placements "
                                         f"until new evidence is accepted")
            evidence.lapsed_at = now
            audit.record(at=now, actor=None, action="evidence.lapsed", entity=evidence,
                         summary=f"{what} lapsed", after={"expires_on": evidence.expires_on})
            notices += [(person, f"Lapsed: {what}",
                         f"{what} expired on {format_date(evidence.expires_on)}. New placements are restricted until "
                         f"new evidence is accepted.", None) for person in told]
        else:
            days = (evidence.expires_on - today).days
            (warned_7 if days <= 7 else warned_30).append(evidence.id)
            notices += [(person, f"Expires on {format_date(evidence.expires_on)}: {what}",
                         f"{what} expires on {format_date(evidence.expires_on)}, in {days} days. Upload the new "
                         f"evidence before then: at lapse, new placements with the provider are restricted.", None)
                        for person in told]
        done += 1
    # One UPDATE per kind of warning, however many were sent (the nearer warning stands for both).
    if warned_30:
        db.session.execute(db.update(Evidence).where(Evidence.id.in_(warned_30)).values(warned_30_at=now),
                           execution_options={"synchronize_session": False})
    if warned_7:
        db.session.execute(db.update(Evidence).where(Evidence.id.in_(warned_7)).values(
            warned_7_at=now, warned_30_at=db.func.coalesce(Evidence.warned_30_at, now)),
            execution_options={"synchronize_session": False})
    mail.notify_many(notices, at=now)
    db.session.commit()
    return done


# The monthly Ofsted review ------------------------------------------------------------------------------------------

def _managers_with_contracts():
    return (db.select(ProviderContract.contract_manager_id).where(ProviderContract.contract_manager_id.is_not(None),
                                                                  ProviderContract.terminated_at.is_(None))
            .distinct())


def review_of_month(user: User, now: datetime) -> OfstedReview | None:
    return db.session.scalar(db.select(OfstedReview).where(OfstedReview.contract_manager_id == user.id,
                                                           OfstedReview.month == month_of(now)))


def review_pending(user: User, now: datetime) -> bool:
    """The contract manager has providers and has not marked this month's Ofsted review done."""
    if not user.has_role(CONTRACT_MANAGER):
        return False
    has_providers = db.session.scalar(db.select(ProviderContract.id).where(
        ProviderContract.contract_manager_id == user.id, ProviderContract.terminated_at.is_(None)).limit(1))
    if has_providers is None:
        return False
    review = review_of_month(user, now)
    return review is None or review.done_at is None


def mark_review_done(user: User, *, notes: str, now: datetime) -> OfstedReview:
    if not user.has_role(CONTRACT_MANAGER) or user.organisation.is_provider:
        raise NotFound()
    notes = _text(notes, "notes", "", required=False)
    review = review_of_month(user, now)
    if review is not None and review.done_at is not None:
        raise DomainError(f"This month's Ofsted review was already marked done on {format_date(review.done_at)}.")
    if review is None:
        review = OfstedReview(contract_manager_id=user.id, month=month_of(now))
        db.session.add(review)
    review.done_at, review.notes = now, notes
    db.session.flush()
    audit.record(at=now, actor=user, action="ofsted_review.done", entity=review,
                 summary=f"Ofsted review of {review.month.strftime('%B %Y')} marked done by {user.name}",
                 after={"month": review.month})
    db.session.commit()
    return review


def dues(contract_ids, now: datetime) -> list[Due]:
    """The month's Ofsted review, on each contract whose manager has not marked it done (one query)."""
    ids = list(contract_ids)
    if not ids:
        return []
    month = month_of(now)
    done = db.select(OfstedReview.id).where(OfstedReview.contract_manager_id == ProviderContract.contract_manager_id,
                                            OfstedReview.month == month, OfstedReview.done_at.is_not(None))
    pending = db.session.scalars(db.select(ProviderContract.id).where(
        ProviderContract.id.in_(ids), ProviderContract.contract_manager_id.is_not(None),
        ProviderContract.terminated_at.is_(None), ~done.exists()))
    month_end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    link = url_for("buyer.tasks")
    return [Due(contract_id, f"Ofsted review of {month.strftime('%B %Y')}", month_end, False, link)
            for contract_id in pending]


def remind_reviews(now: datetime) -> int:
    """Once a month, remind each contract manager with providers of the month's Ofsted review (a few queries)."""
    month = month_of(now)
    recorded = db.select(OfstedReview.contract_manager_id).where(OfstedReview.month == month)
    people = list(db.session.scalars(db.select(User).where(
        User.active, User.id.in_(_managers_with_contracts()), User.id.not_in(recorded)).order_by(User.id)))
    if not people:
        return 0
    db.session.execute(db.insert(OfstedReview), [
        {"contract_manager_id": person.id, "month": month, "reminded_at": now, "notes": ""} for person in people])
    label = month.strftime("%B %Y")
    mail.notify_many([(person, f"Ofsted review of {label} due",
                       f"Check the latest Ofsted judgements of your providers' settings and mark the review of {label} "
                       f"done on your Tasks page.", url_for("buyer.tasks")) for person in people], at=now)
    db.session.commit()
    return len(people)


def run_due(now: datetime) -> list[str]:
    """The scheduler's compliance jobs: evidence warnings and lapses, the monthly review reminders."""
    from portal.services import jobs

    return jobs.run_each((("evidence warnings and lapses", expiry_due), ("Ofsted review reminders", remind_reviews)),
                         now, family="Compliance jobs", line=lambda name, count: f"compliance {name}: {count}")


# Enforcement notices ----------------------------------------------------------------------------------------------

def setting_of(user: User, provider_id: int, setting_id: int) -> Setting:
    setting = db.session.get(Setting, setting_id)
    if setting is None or setting.provider_id != provider_id or not may_manage(user, provider_id):
        raise NotFound()
    return setting


def _past_day(day: date | None, now: datetime) -> date:
    if day is None:
        raise DomainError("Enter the date of the notice", field="issued_on")
    if day > uk_today(now):
        raise DomainError("The date of the notice must be today or in the past", field="issued_on")
    return day


def record_notice(user: User, setting: Setting, *, kind: str, issued_on: date | None, notes: str, data: bytes,
                  filename: str, now: datetime) -> EnforcementNotice:
    """Record an Ofsted enforcement step against the setting, with its document, and carry out its effect."""
    if not may_manage(user, setting.provider_id):
        raise NotFound()
    problems = Problems()
    if kind not in NOTICE_KINDS:
        problems.errors["kind"] = "Choose the kind of notice"
    issued_on = problems.check(_past_day, issued_on, now)
    notes = problems.check(_text, notes, "notes", "", required=False)
    file_type = problems.check(uploads.check, data, filename)
    problems.raise_any()
    if db.session.scalar(db.select(EnforcementNotice.id).where(
            EnforcementNotice.setting_id == setting.id, EnforcementNotice.kind == kind,
            EnforcementNotice.issued_on == issued_on)) is not None:
        raise DomainError(f"A {NOTICE_KINDS[kind].lower()} of {format_date(issued_on)} about {setting.label} is "
                          f"already recorded.")
    notice = EnforcementNotice(setting_id=setting.id, kind=kind, issued_on=issued_on, notes=notes,
                               filename=uploads.display_name(filename), stored_name=uploads.store(data),
                               file_type=file_type, recorded_at=now, recorded_by_id=user.id)
    db.session.add(notice)
    db.session.flush()
    audit.record(at=now, actor=user, action="enforcement_notice.recorded", entity=notice,
                 summary=f"{notice.kind_label} of {format_date(issued_on)} recorded for {setting.label}",
                 after={"kind": kind, "issued_on": issued_on, "setting_id": setting.id})
    what = f"{notice.kind_label} ({format_date(issued_on)}) about {setting.label}, run by {setting.provider.name}"
    placements = live_placements_at(setting.id, now)
    if kind in RESTRICTING:
        for contract in contracts_of_provider(setting.provider_id):
            standing.restrict(dps_id=contract.dps_id, provider_id=setting.provider_id, setting_id=setting.id,
                              cause=ENFORCEMENT, source=notice, actor=user, now=now,
                              reason=f"Ofsted enforcement: {what}")
        reviews.request_reviews([placement.id for placement in placements], reason=f"Ofsted enforcement: {what}",
                                source=notice, due_on=uk_today(now) + timedelta(days=REVIEW_WITHIN_DAYS), now=now)
    elif kind in LIFTING:
        earlier = db.select(EnforcementNotice.id).where(EnforcementNotice.setting_id == setting.id,
                                                        EnforcementNotice.id != notice.id)
        for restriction in db.session.scalars(db.select(Restriction).where(
                Restriction.source_type == EnforcementNotice.__tablename__, Restriction.source_id.in_(earlier),
                Restriction.lifted_at.is_(None)).order_by(Restriction.id)):
            standing.lift(restriction, reason=what, actor=user, now=now)
    elif kind == CANCELLATION_EFFECTIVE:
        for contract in contracts_of_provider(setting.provider_id):
            standing.terminate(contract, actor=user, now=now,
                               reason=f"Ofsted cancelled the registration of {setting.label}")
        ended = _end_placements(placements, issued_on, user, now)
        mail.notify_many([(person, f"Registration cancelled: {setting.label}",
                           f"{what}. The placement agreements at this setting end"
                           + (f": {', '.join(ended)}." if ended else "."), None)
                          for person in _provider_users([setting.provider_id])[setting.provider_id]], at=now)
    told = {person.id: person for person in _contract_managers(setting.provider_id)}
    told.update({person.id: person for person in _people_with({placement.authority_id for placement in placements},
                                                               (COMMISSIONING_OFFICER,))})
    told.pop(user.id, None)
    mail.notify_many([(person, f"Ofsted enforcement: {setting.label}",
                       what + (". A review of each placement your authority has there is now due."
                               if kind in RESTRICTING and placements else
                               ". The placements there must end." if kind == CANCELLATION_EFFECTIVE and placements
                               else "."), None) for person in told.values()], at=now)
    db.session.commit()
    return notice


def _end_placements(placements: list[Placement], effective_on: date, user: User, now: datetime) -> list[str]:
    """End each placement at a setting whose registration is cancelled: the authority's notice, today, and the end
    on the day the cancellation takes effect (or today, if that has passed); unplanned, the home closed. The
    placing authority corrects the end date when the child moves (portal.services.endings.record)."""
    from portal.services import endings

    today = uk_today(now)
    references = []
    for placement in placements:
        end_date = max(effective_on, today, placement.start_date)
        if placement.end_date is not None and placement.end_date <= end_date:
            continue  # already ending sooner
        before = {"end_date": placement.end_date, "notice_given_by": placement.notice_given_by}
        placement.notice_given_by, placement.notice_given_on = endings.AUTHORITY, today
        placement.end_date, placement.ending_planned, placement.ending_reason = end_date, False, "provider_closure"
        placement.ending_detail = "Ofsted cancelled the registration of the setting"
        placement.short_notice_breach = False
        placement.ending_recorded_by_id, placement.ending_recorded_at = user.id, now
        audit.record(at=now, actor=user, action="placement.ending_recorded", entity=placement,
                     summary=f"Placement {placement.agreement_reference} ends {format_date(end_date)}: the setting's "
                             f"registration was cancelled", before=before,
                     after={"end_date": end_date, "notice_given_by": endings.AUTHORITY, "ending_planned": False,
                            "ending_reason": "provider_closure"})
        references.append(placement.agreement_reference)
    return references


def notices_by_setting(setting_ids) -> dict[int, list[EnforcementNotice]]:
    found = defaultdict(list)
    ids = set(setting_ids)
    if ids:
        for notice in db.session.scalars(db.select(EnforcementNotice).where(EnforcementNotice.setting_id.in_(ids))
                                         .order_by(EnforcementNotice.issued_on.desc(), EnforcementNotice.id.desc())):
            found[notice.setting_id].append(notice)
    return found


def notice_for(user: User, notice_id: int) -> EnforcementNotice:
    notice = db.session.get(EnforcementNotice, notice_id)
    if notice is None:
        raise NotFound()
    if user.organisation.is_provider:
        if user.organisation_id != notice.setting.provider_id:
            raise NotFound()
    elif not may_manage(user, notice.setting.provider_id):
        from portal.services import contracts

        if not any(contracts.may_read(user, contract.dps)
                   for contract in contracts_of_provider(notice.setting.provider_id, live_only=False)):
            raise NotFound()
    return notice


# What the contract pages show ---------------------------------------------------------------------------------------

@dataclass
class Summary:
    settings: list[Setting]
    inspections: dict[int, list[Inspection]]
    notices: dict[int, list[EnforcementNotice]]
    evidence: list[Evidence]  # in force
    pending: list[Evidence] = field(default_factory=list)  # waiting for a decision
    may_manage: bool = False
    today: date | None = None


def summary_for(contract: ProviderContract, viewer: User, now: datetime) -> Summary:
    """The compliance panel of a contract page (authority or provider): each setting's inspections and enforcement
    notices, the evidence in force and, for those who decide it, the evidence waiting. A few queries."""
    from portal.services.contracts import settings_of

    settings = settings_of(contract.provider_id)
    ids = [setting.id for setting in settings]
    managing = not viewer.organisation.is_provider and may_manage(viewer, contract.provider_id)
    pending = list(db.session.scalars(db.select(Evidence).where(Evidence.provider_id == contract.provider_id,
                                                                Evidence.status == SUBMITTED)
                                      .order_by(Evidence.uploaded_at, Evidence.id))) if managing else []
    return Summary(settings=settings, inspections=inspections_by_setting(ids), notices=notices_by_setting(ids),
                   evidence=evidence_in_force(contract.provider_id), pending=pending, may_manage=managing,
                   today=uk_today(now))


def judgement_label(value: int | None) -> str:
    return JUDGEMENTS.get(value, "None recorded") if value else "None recorded"


def task_count(user: User, now: datetime) -> int:
    """What the Tasks page's compliance section lists for the user (a few queries, none for a provider)."""
    if user.organisation.is_provider:
        return 0
    return int(review_pending(user, now)) + sum(counting.counts(task_counters(user, now)))


def task_counters(user: User, now: datetime) -> list:
    """The COUNT statements of task_count (all but the monthly Ofsted review), for the menu to run with its other
    counts."""
    if user.organisation.is_provider:
        return []
    counters = []
    if user.has_role(ASSISTANT_DIRECTOR):
        counters.append(counting.count_of(_decisions_due(user)))
    if user.has_role(CONTRACT_MANAGER):
        counters.append(counting.count_of(_evidence_to_check(user)))
    if user.has_role(COMMISSIONING_OFFICER):
        continuing = _needing_continuation(user, now).with_only_columns(Placement.id).distinct()
        counters.append(counting.count_of(continuing))
    return counters

