"""The scheduler's jobs for issue 12 send as many SQL statements for many providers as for few: requesting the
quarter's returns, reminding and telling of overdue ones (the rows they write go in one statement per table)."""

from datetime import datetime, time, timedelta

from portal.extensions import db
from portal.models import QuarterlyReturn
from portal.models.kpi import NUMBER, TEXT
from portal.quarters import quarter_at
from portal.services import quarterly_returns as returns
from tests.factories import admit
from tests.portal.test_query_counts import add_provider, counting

ADMITTED = datetime(2026, 4, 15)
Q1_ENDED, Q2_ENDED = datetime(2026, 6, 30, 23, 0), datetime(2026, 9, 30, 23, 0)  # midnight UK time


class _At:
    def __init__(self, moment):
        self.moment = moment

    def now(self):
        return self.moment


def _statements(app, quarter_ended: datetime) -> dict[str, int]:
    """How many statements each job sends for the quarter that has just ended."""
    quarter = quarter_at(quarter_ended).previous
    counts = {}
    with app.test_request_context(), counting() as statements:
        requested = returns.request(quarter, quarter_ended)
    counts["request"] = len(statements)
    due = db.session.scalar(db.select(QuarterlyReturn.due_on).where(QuarterlyReturn.quarter == quarter.key).limit(1))
    with app.test_request_context(), counting() as statements:
        assert returns.remind_due(datetime.combine(due - timedelta(days=3), time(9))) == requested
    counts["remind"] = len(statements)
    with app.test_request_context(), counting() as statements:
        assert returns.overdue_due(datetime.combine(due + timedelta(days=2), time(9))) == requested
    counts["overdue"] = len(statements)
    return counts | {"returns": requested}


def _providers(world, start: int, stop: int) -> None:
    for index in range(start, stop):
        admit(add_provider(world, index), world.lots[0], clock=_At(ADMITTED))
    db.session.commit()


def test_the_quarterly_return_jobs_send_as_many_statements_for_many_providers(app, world, clock):
    returns.add_question(world.admin, world.dps, text="How many carers did you approve?", answer_type=NUMBER,
                         guidance="", now=clock.now())
    returns.add_question(world.admin, world.dps, text="What changed?", answer_type=TEXT, guidance="", now=clock.now())
    _providers(world, 0, 2)
    few = _statements(app, Q1_ENDED)
    _providers(world, 2, 6)
    many = _statements(app, Q2_ENDED)
    assert (few.pop("returns"), many.pop("returns")) == (2, 6)
    assert many == few
