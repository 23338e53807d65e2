"""The quarterly returns: requested by the scheduler once a quarter has ended (UK time), once; reminders before the
due date; overdue notices to the provider and the lead's administrators; the provider's answers and submission."""

from datetime import datetime
from decimal import Decimal

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import LotMembership, Notification, QuarterlyReturn
from portal.models.kpi import NUMBER, TEXT
from portal.services import quarterly_returns as returns
from tests.factories import admit

# 1 July 2026 starts at 23:00 UTC on 30 June (British Summer Time)
BEFORE_Q1_ENDS = datetime(2026, 6, 30, 22, 59)
Q1_ENDED = datetime(2026, 6, 30, 23, 0)


def notices(user, words: str) -> list[Notification]:
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.subject.contains(words))).all()


@pytest.fixture
def asked(world, clock):
    """Two questions on the DPS; Alpha and Beta admitted in April 2026 (during Q1 2026-27)."""
    returns.add_question(world.admin, world.dps, text="How many carers did you approve?", answer_type=NUMBER,
                         guidance="", now=clock.now())
    returns.add_question(world.admin, world.dps, text="What changed in your staffing?", answer_type=TEXT,
                         guidance="", now=clock.now())
    for user in (world.provider_a, world.provider_b):
        admit(user, world.lots[0], clock=clock).admitted_at = datetime(2026, 4, 15)
    db.session.commit()
    return world


def all_returns():
    return db.session.scalars(db.select(QuarterlyReturn).order_by(QuarterlyReturn.provider_id)).all()


def test_returns_are_requested_once_the_quarter_has_ended_in_uk_time(asked, clock):
    assert returns.request_due(BEFORE_Q1_ENDS) == 0  # still Q1; Q4 2025-26 ended before they were admitted
    assert returns.request_due(Q1_ENDED) == 2
    items = all_returns()
    assert {item.quarter for item in items} == {"2026-Q1"}
    assert {item.due_on.isoformat() for item in items} == {"2026-07-30"}  # 30 days after 30 June
    assert [answer.question for answer in items[0].answers] == ["How many carers did you approve?",
                                                                "What changed in your staffing?"]
    assert len(notices(asked.provider_a, "quarterly return for Q1 2026-27 is due by")) == 1
    assert returns.request_due(Q1_ENDED) == 0  # idempotent
    assert returns.run_due(datetime(2026, 7, 2, 9, 0)) == []
    assert len(all_returns()) == 2


def test_the_scheduler_catches_up_on_the_last_ended_quarter_only(asked, clock):
    assert returns.request_due(datetime(2026, 11, 2, 10, 0)) == 2  # Q3 running: Q2 requested, not Q1
    assert {item.quarter for item in all_returns()} == {"2026-Q2"}


def test_no_questions_no_return(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock).admitted_at = datetime(2026, 4, 15)
    db.session.commit()
    assert returns.request_due(Q1_ENDED) == 0


def test_a_provider_not_admitted_is_not_asked(asked, clock):
    db.session.execute(db.update(LotMembership).where(LotMembership.provider_id == asked.provider_b.organisation_id)
                       .values(status="removed"))
    db.session.commit()
    assert returns.request_due(Q1_ENDED) == 1


def test_a_reminder_goes_seven_days_before_the_due_date_once(asked, clock):
    returns.request_due(Q1_ENDED)
    assert returns.remind_due(datetime(2026, 7, 22, 12, 0)) == 0
    assert returns.remind_due(datetime(2026, 7, 23, 8, 0)) == 2
    assert returns.remind_due(datetime(2026, 7, 24, 8, 0)) == 0
    assert len(notices(asked.provider_a, "Reminder: your quarterly return")) == 1


def test_a_submitted_return_is_not_reminded_nor_overdue(asked, clock):
    returns.request_due(Q1_ENDED)
    alpha = next(item for item in all_returns() if item.provider_id == asked.provider_a.organisation_id)
    assert returns.save(asked.provider_a, alpha, {"answer_1": "3", "answer_2": "Two carers joined"}, submit=True,
                        now=datetime(2026, 7, 10, 9, 0)) == []
    assert returns.remind_due(datetime(2026, 7, 23, 8, 0)) == 1  # Beta only
    assert returns.overdue_due(datetime(2026, 8, 1, 8, 0)) == 1
    assert notices(asked.provider_a, "overdue") == []


def test_an_overdue_return_is_told_once_to_its_provider_and_the_lead_administrators(asked, clock):
    returns.request_due(Q1_ENDED)
    assert returns.overdue_due(datetime(2026, 7, 30, 22, 59)) == 0  # still 30 July in UK time
    assert returns.overdue_due(datetime(2026, 7, 30, 23, 30)) == 2
    assert returns.overdue_due(datetime(2026, 8, 5, 8, 0)) == 0
    assert len(notices(asked.provider_a, "is overdue")) == 1
    [admin_notice] = notices(asked.admin, "Quarterly returns overdue: 2")
    assert "Alpha Care" in admin_notice.body and "Beta Homes" in admin_notice.body
    assert notices(asked.outside_admin, "overdue") == []
    led = [asked.dps.id]
    overdue = db.session.scalars(returns.overdue_query(led, datetime(2026, 8, 5).date())).all()
    assert len(overdue) == 2 and returns.overdue_count(led, datetime(2026, 8, 5).date()) == 2


def test_changing_a_question_does_not_alter_a_return_already_requested(asked, clock):
    returns.request_due(Q1_ENDED)
    question = returns.questions_of(asked.dps)[0]
    returns.change_question(asked.admin, question, text="How many beds did you approve?", answer_type=NUMBER,
                            guidance="", now=clock.now())
    returns.retire_question(asked.admin, returns.questions_of(asked.dps)[1], clock.now())
    assert [a.question for a in all_returns()[0].answers] == ["How many carers did you approve?",
                                                              "What changed in your staffing?"]
    returns.request_due(datetime(2026, 9, 30, 23, 0))  # Q2's returns ask the questions as they are now
    q2 = db.session.scalars(db.select(QuarterlyReturn).where(QuarterlyReturn.quarter == "2026-Q2")).first()
    assert [a.question for a in q2.answers] == ["How many beds did you approve?"]


@pytest.fixture
def alpha_return(asked, clock):
    returns.request_due(Q1_ENDED)
    return next(item for item in all_returns() if item.provider_id == asked.provider_a.organisation_id)


@pytest.mark.parametrize("typed, message", [
    ("three", "Enter a number"), ("-1", "0 or more"), ("1.255", "2 decimal places"), ("NaN", "0 or more")])
def test_a_number_answer_must_be_a_number_of_0_or_more(asked, alpha_return, clock, typed, message):
    errors = returns.save(asked.provider_a, alpha_return, {"answer_1": typed, "answer_2": "x"}, submit=False,
                          now=clock.now())
    assert len(errors) == 1 and message in errors[0].message and errors[0].field == "answer_1"
    db.session.refresh(alpha_return)
    assert alpha_return.answers[1].text_value == "" and alpha_return.updated_at is None  # nothing stored


def test_saving_keeps_partial_answers_and_submitting_needs_them_all(asked, alpha_return, clock):
    assert returns.save(asked.provider_a, alpha_return, {"answer_1": "1,200"}, submit=False, now=clock.now()) == []
    assert alpha_return.answers[0].number_value == Decimal("1200")
    errors = returns.save(asked.provider_a, alpha_return, {"answer_1": "4"}, submit=True, now=clock.now())
    assert [error.field for error in errors] == ["answer_2"]
    assert alpha_return.submitted_at is None
    assert returns.save(asked.provider_a, alpha_return, {"answer_1": "4", "answer_2": "No change"}, submit=True,
                        now=clock.now()) == []
    assert alpha_return.is_submitted and alpha_return.submitted_by_id == asked.provider_a.id
    with pytest.raises(DomainError, match="submitted"):
        returns.save(asked.provider_a, alpha_return, {"answer_1": "9", "answer_2": "Changed"}, submit=True,
                     now=clock.now())
    assert alpha_return.answers[0].number_value == Decimal("4")


def test_a_provider_reaches_only_its_own_returns(asked, alpha_return):
    assert returns.get_own(asked.colleague_a, alpha_return.id) == alpha_return
    with pytest.raises(NotFound):
        returns.get_own(asked.provider_b, alpha_return.id)
    with pytest.raises(NotFound):
        returns.get_for_lead(asked.outside_admin, alpha_return.id)


def test_settings_change_when_returns_are_due(asked, clock):
    with pytest.raises(DomainError):
        returns.save_settings(asked.admin, asked.dps, due_days=0, reminder_days=0, now=clock.now())
    with pytest.raises(DomainError):
        returns.save_settings(asked.admin, asked.dps, due_days=10, reminder_days=10, now=clock.now())
    returns.save_settings(asked.admin, asked.dps, due_days=20, reminder_days=5, now=clock.now())
    returns.request_due(Q1_ENDED)
    assert {item.due_on.isoformat() for item in all_returns()} == {"2026-07-20"}


def test_the_scheduler_runs_the_quarterly_returns_with_the_other_time_events(app, asked, clock):
    from portal import scheduler

    clock.set(Q1_ENDED)
    assert "quarterly returns requested: 2" in scheduler.run_time_events(app)
    assert not any("quarterly" in line for line in scheduler.run_time_events(app))
