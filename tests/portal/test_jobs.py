"""The scheduler's jobs of a family run each on its own (portal/services/jobs.py, used by the reminders and the
quarterly returns): one that fails is rolled back and logged, and the others run."""

from datetime import datetime

from portal.extensions import db
from portal.models import Organisation
from portal.models.organisation import PROVIDER
from portal.services import jobs, quarterly_returns

NOW = datetime(2026, 11, 2, 9, 0)


def test_a_failing_job_is_rolled_back_and_the_others_run(app, caplog):
    def failing(now):
        db.session.add(Organisation(name="Half done", kind=PROVIDER, created_at=now))
        db.session.flush()
        raise RuntimeError("the job broke")

    def working(now):
        return 3

    done = jobs.run_each((("first", failing), ("second", working), ("idle", lambda now: 0)), NOW,
                         family="Tests", line=lambda name, count: f"{name}: {count}")
    assert done == ["second: 3"]
    assert db.session.scalar(db.select(Organisation.id).where(Organisation.name == "Half done")) is None
    assert "Tests (first) failed and were rolled back" in caplog.text


def test_the_quarterly_returns_carry_on_past_a_failing_step(app, monkeypatch):
    def broken(now):
        raise RuntimeError("no database")

    monkeypatch.setattr(quarterly_returns, "request_due", broken)
    monkeypatch.setattr(quarterly_returns, "remind_due", lambda now: 2)
    assert quarterly_returns.run_due(NOW) == ["quarterly returns reminded: 2"]
