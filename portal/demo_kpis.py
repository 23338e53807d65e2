"""The demo's quarterly KPIs and returns: each DPS's return questions and KPI thresholds, set by its administrator;
the returns of the last two quarters that have ended, requested at each quarter's end from the providers admitted
by then, submitted by all but one (left overdue); the reminders and overdue notices the scheduler sends. The KPIs
themselves come from whatever placements, endings, incidents and feedback the demo holds."""

from datetime import datetime, timedelta

from portal.extensions import db
from portal.models import Dps, QuarterlyReturn, User, UserRole
from portal.models.kpi import NUMBER, TEXT
from portal.models.user import ADMINISTRATOR, PROVIDER_USER
from portal.quarters import last_n, quarter_at
from portal.services import kpis
from portal.services import quarterly_returns as returns

QUESTIONS = {
    "sixteen_plus": [
        ("Bed spaces approved or opened in the quarter", NUMBER, "New homes or rooms registered for young people."),
        ("Bed spaces lost or closed in the quarter", NUMBER, ""),
        ("Vacancies on the last day of the quarter", NUMBER, ""),
        ("Staff turnover in the quarter (%)", NUMBER, "Leavers in the quarter divided by average headcount."),
        ("Anything the consortium should know", TEXT, "Changes of manager, inspections, new services."),
    ],
    "foster": [
        ("Foster carers approved in the quarter", NUMBER, ""),
        ("Foster carers who resigned or were de-registered in the quarter", NUMBER, ""),
        ("Vacancies (approved places not used) on the last day of the quarter", NUMBER, ""),
        ("Supervising social worker turnover in the quarter (%)", NUMBER, ""),
        ("Anything the consortium should know", TEXT, ""),
    ],
}
THRESHOLDS = {"unplanned": "10", "short_notice": "5", "allegations": "5", "feedback": "3"}
NOTES = ("No change this quarter.", "A new registered manager started in the second month.",
         "Two carers completed their skills to foster training.", "Ofsted visited one home: no actions.")


def load(moment: datetime) -> None:
    for dps in db.session.scalars(db.select(Dps).order_by(Dps.id)).all():
        admin = _administrator(dps)
        if admin is None or dps.service_type not in QUESTIONS:
            continue
        set_up = dps.created_at + timedelta(days=1)
        for text, answer_type, guidance in QUESTIONS[dps.service_type]:
            returns.add_question(admin, dps, text=text, answer_type=answer_type, guidance=guidance, now=set_up)
        for key, limit in THRESHOLDS.items():
            kpis.set_threshold(admin, dps, key, limit, set_up)
    for quarter in last_n(quarter_at(moment).previous, 2):
        returns.request(quarter, quarter.end_utc + timedelta(hours=7))
    _answer(moment)
    returns.run_due(moment)  # the reminders and overdue notices that fell due


def _administrator(dps) -> User | None:
    return db.session.scalar(db.select(User).join(UserRole).where(
        User.organisation_id == dps.lead_authority_id, UserRole.role == ADMINISTRATOR).order_by(User.id))


def _answer(moment: datetime) -> None:
    """Every return submitted a fortnight after its quarter, but the latest quarter's last one, left overdue (or
    still to do, when its due date has not come)."""
    items = db.session.scalars(db.select(QuarterlyReturn).order_by(QuarterlyReturn.quarter, QuarterlyReturn.id)).all()
    latest = max((item.quarter for item in items), default=None)
    left = [item for item in items if item.quarter == latest][-1:] if latest else []
    for number, item in enumerate(items):
        if item in left:
            continue
        at = min(item.requested_at + timedelta(days=14, hours=number % 5), moment)
        user = db.session.scalar(db.select(User).join(UserRole).where(
            User.organisation_id == item.provider_id, UserRole.role == PROVIDER_USER).order_by(User.id))
        typed = {returns.field_name(answer): (NOTES[number % len(NOTES)] if answer.answer_type == TEXT
                                              else str((number * 7 + answer.position * 3) % 9))
                 for answer in item.answers}
        returns.save(user, item, typed, submit=True, now=at)
