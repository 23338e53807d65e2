"""The audit trail. Events are added to the session of the change they describe, so the two are
committed (or rolled back) together."""

import json
from datetime import date, datetime
from decimal import Decimal

from portal.extensions import db
from portal.models import Application, AuditEvent, Dps, EntryWindow, Lot, Organisation, Placement, Referral, User
from portal.models.organisation import PROVIDER
from portal.services import listing

SYSTEM = "system (scheduler)"


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _dump(state: dict | None) -> str | None:
    if state is None:
        return None
    return json.dumps({key: _plain(value) for key, value in state.items()}, sort_keys=True, default=str)


def record(*, at: datetime, actor, action: str, entity, summary: str,
           before: dict | None = None, after: dict | None = None,
           actor_label: str | None = None, sealed_until: datetime | None = None) -> AuditEvent:
    """Add an audit event to the current transaction. `actor` is a User, or None for the system."""
    event = AuditEvent(**_values(at=at, actor=actor, action=action, entity=entity, summary=summary, before=before,
                                 after=after, actor_label=actor_label, sealed_until=sealed_until))
    db.session.add(event)
    return event


def record_many(events: list[dict]) -> None:
    """Add many audit events to the current transaction in one INSERT, each given as the arguments of `record`
    (for the scheduler's batches)."""
    if events:
        db.session.execute(AuditEvent.__table__.insert(), [_values(**event) for event in events])


def _values(*, at: datetime, actor, action: str, entity, summary: str, before: dict | None = None,
            after: dict | None = None, actor_label: str | None = None, sealed_until: datetime | None = None) -> dict:
    return {
        "at": at,
        "actor_id": actor.id if actor is not None else None,
        "actor_label": actor_label or (actor.email if actor is not None else SYSTEM),
        "action": action,
        "entity_type": type(entity).__tablename__ if entity is not None else "none",
        "entity_id": getattr(entity, "id", None),
        "summary": summary,
        "before": _dump(before),
        "after": _dump(after),
        "sealed_until": sealed_until,
    }


ACTIONS = {
    "user.sign_in": "Signed in",
    "user.sign_in_failed": "Sign-in failed",
    "user.locked": "Account locked",
    "user.password_reset": "Password reset",
    "user.roles_changed": "Roles changed",
    "user.deactivated": "User deactivated",
    "user.reactivated": "User reactivated",
    "user.approval_limit_set": "Approval limit set",
    "user.step_in": "User administrator appointed by the consortium",
    "user.invited": "User invited",
    "user.invitation_withdrawn": "Invitation withdrawn",
    "user.joined": "User joined",
    "provider.registered": "Provider registered",
    "provider.ofsted_recorded": "Ofsted rating recorded",
    "dps.created": "DPS created",
    "dps.updated": "DPS updated",
    "dps.member_added": "Member authority added",
    "lot.created": "Lot created",
    "lot.updated": "Lot updated",
    "questions.changed": "Quality questions changed",
    "questions.new_version": "New version of questions",
    "window.scheduled": "Window scheduled",
    "window.opened": "Window opened",
    "window.closed": "Window closed",
    "window.extended": "Window extended",
    "window.reminder_sent": "Closing reminder sent",
    "window.held": "Window not opened: set-up incomplete",
    "reminders.sent": "Reminders sent",
    "application.started": "Application started",
    "application.changed": "Application changed",
    "application.document_uploaded": "Document uploaded",
    "application.submitted": "Application submitted",
    "provider.status_changed": "Provider standing changed",
    "caution.evidence_sent": "Caution evidence sent",
    "caution.lifted": "Caution lifted",
    "caution.confirmed": "Caution confirmed",
    "evaluation.conflict_declared": "Conflict of interest declared",
    "evaluation.allocated": "Application allocated",
    "evaluation.scores_submitted": "Scores submitted",
    "evaluation.gate_recorded": "Gate recorded",
    "evaluation.reference_recorded": "Reference recorded",
    "evaluation.clarification_asked": "Clarification asked",
    "evaluation.clarification_answered": "Clarification answered",
    "evaluation.moderated": "Application moderated",
    "evaluation.published": "Outcomes published",
    "evaluation.tiers_awarded": "Tiers awarded",
    "off_framework.provider_added": "Off-framework provider added",
    "off_framework.provider_changed": "Off-framework provider changed",
    "off_framework.document_uploaded": "Off-framework document uploaded",
    "off_framework.referee_added": "Off-framework referee added",
    "off_framework.reference_recorded": "Off-framework reference recorded",
    "off_framework.search_recorded": "Off-framework search recorded",
    "off_framework.placed": "Placed off framework",
    "placement.qa_visit_recorded": "QA visit recorded",
    "placement.area_confirmed": "Placement's area confirmed",
    "placement.home_area_worked_out": "Placement's 'in the authority's area' worked out again",
    "returns.question_added": "Quarterly return question added",
    "returns.question_changed": "Quarterly return question changed",
    "returns.question_removed": "Quarterly return question removed",
    "returns.settings_changed": "Quarterly return due date changed",
    "returns.requested": "Quarterly returns requested",
    "returns.saved": "Quarterly return saved",
    "returns.submitted": "Quarterly return submitted",
    "kpis.threshold_set": "KPI threshold set",
    "bid.submitted": "Bid sent",
    "bid.revised": "Bid revised",
    "bid.withdrawn": "Bid withdrawn",
    "bid.declined": "Referral declined",
    "referral.created": "Referral drafted",
    "referral.changed": "Referral changed",
    "referral.funding_recorded": "Referral funding approved",
    "referral.published": "Referral published",
    "referral.reopened": "Referral re-opened to the next tier",
    "referral.round_closed": "Referral round closed",
    "referral.exhausted": "Referral marked exhausted",
    "referral.withdrawn": "Referral withdrawn",
    "bid.assessed": "Bid assessed",
    "bid.negotiated": "Price negotiated",
    "referral.awarded": "Referral awarded",
    "approval.requested": "Approval asked for",
    "approval.answered": "Approval answered",
    "approval.withdrawn": "Approval request withdrawn",
    "vacancy.published": "Vacancy published",
    "vacancy.changed": "Vacancy changed",
    "vacancy.withdrawn": "Vacancy withdrawn",
    "sufficiency.published": "Sufficiency notice published",
    "sufficiency.changed": "Sufficiency notice changed",
    "sufficiency.withdrawn": "Sufficiency notice withdrawn",
    "mail.failed": "E-mail failed",
    "mail.sent_again": "E-mail sent again",
    "analytics.refreshed": "Analytics figures computed again",
}


def _by_label():
    """The actions in the order of their labels, as the trail shows them; actions without a label come last."""
    ranks = {action: rank for rank, (action, _label) in enumerate(sorted(ACTIONS.items(), key=lambda item: item[1]))}
    return db.case(ranks, value=AuditEvent.action, else_=len(ranks))


# The trail sorts by these keys only.
TRAIL_SORTS = listing.SortKeys({
    "when": [AuditEvent.at],
    "who": [db.func.lower(AuditEvent.actor_label)],
    "what": [_by_label()],
}, default="when", default_descending=True, tie_breaker=[AuditEvent.id], newest_first=["when"])


def search(*, lead_id: int, authority_ids: list[int], now: datetime, action: str | None = None,
           entity_type: str | None = None, actor: str | None = None, since: datetime | None = None,
           until: datetime | None = None, text: str = "", sorting: listing.Sorting | None = None):
    """A query over the trail, newest first unless sorted otherwise (TRAIL_SORTS), with the administrator's
    filters: `actor` is found in who did it, `text` in who did it or the summary (a reference, a provider's name).

    An administrator of the lead authority `lead_id` sees what people of the consortium's own authorities
    (`authority_ids`) did, and what the system and providers did to the DPSs it leads: to the DPS, its
    windows, lots and applications, and to the providers linked to it (that applied to one of its DPSs or
    hold a place on one of its lots). A linked provider's doings that belong to no DPS (signing in,
    inviting a colleague) are shown too. Nothing of other consortia, and no system event that belongs to
    no DPS (such as a sign-in with an unknown address). One query, however many events."""
    from portal.services.providers import linked_provider_ids

    led = db.select(Dps.id).where(Dps.lead_authority_id == lead_id)
    providers = linked_provider_ids(lead_id)
    # Each kind of thing of a led DPS, as a select of its id; an event is matched to its own row by its id
    # (EXISTS), so the trail never reads every referral or application of the DPSs, however many there are.
    owned_by_led = {
        Dps.__tablename__: led,
        EntryWindow.__tablename__: db.select(EntryWindow.id).where(EntryWindow.dps_id.in_(led)),
        Lot.__tablename__: db.select(Lot.id).where(Lot.dps_id.in_(led)),
        Application.__tablename__: db.select(Application.id).join(EntryWindow, EntryWindow.id == Application.window_id)
        .where(EntryWindow.dps_id.in_(led)),
        Referral.__tablename__: db.select(Referral.id).where(Referral.dps_id.in_(led)),
        Placement.__tablename__: db.select(Placement.id).join(Referral, Referral.id == Placement.referral_id)
        .where(Referral.dps_id.in_(led)),
    }
    of_led_dps = db.or_(
        *(db.and_(AuditEvent.entity_type == table, ids.where(ids.selected_columns[0] == AuditEvent.entity_id).exists())
          for table, ids in owned_by_led.items()),
        db.and_(AuditEvent.entity_type == Organisation.__tablename__, AuditEvent.entity_id.in_(providers)),
    )
    of_a_dps = [*owned_by_led, Organisation.__tablename__]
    actor_org = db.aliased(Organisation)
    by_provider = actor_org.kind == PROVIDER
    query = (
        db.select(AuditEvent)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(actor_org, actor_org.id == User.organisation_id)
        .where(db.or_(
            actor_org.id.in_(authority_ids),
            db.and_(db.or_(AuditEvent.actor_id.is_(None), by_provider), of_led_dps),
            db.and_(by_provider, actor_org.id.in_(providers), AuditEvent.entity_type.not_in(of_a_dps)),
        ))
        .where(db.or_(AuditEvent.sealed_until.is_(None), AuditEvent.sealed_until <= now))
        .order_by(*TRAIL_SORTS.order_by(sorting or TRAIL_SORTS.choose(None, None)))
    )
    if action:
        query = query.where(AuditEvent.action == action)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if listing.cleaned(actor):
        query = query.where(listing.matching(listing.cleaned(actor), [AuditEvent.actor_label]))
    if listing.cleaned(text):
        query = query.where(listing.matching(listing.cleaned(text), [AuditEvent.actor_label, AuditEvent.summary]))
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return query
