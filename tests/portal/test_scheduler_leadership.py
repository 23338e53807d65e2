"""Exactly one scheduler does the timed work however many are started: the leader holds a PostgreSQL advisory lock
(or, on SQLite, a lease it renews each tick); the others wait and take over when it stops."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from portal import scheduler
from portal.extensions import db
from portal.leadership import Lease, leadership_for
from portal.models import SchedulerLease
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]


def test_a_lease_is_renewed_by_its_holder_and_taken_over_only_once_it_has_expired(app, clock):
    first, second = Lease("first", seconds=600), Lease("second", seconds=600)
    assert first.hold(clock.now())
    assert not second.hold(clock.now())
    clock.advance(minutes=9)
    assert first.hold(clock.now())  # renewed: ten more minutes from now
    clock.advance(minutes=9)
    assert not second.hold(clock.now())
    clock.advance(minutes=1)  # the first stopped renewing ten minutes ago
    assert second.hold(clock.now())
    assert not first.hold(clock.now())
    first.release()  # not its lease any more: nothing changes
    assert db.session.get(SchedulerLease, "scheduler").holder == "second"
    second.release()
    assert db.session.get(SchedulerLease, "scheduler") is None
    assert first.hold(clock.now())


def test_two_schedulers_in_one_process_only_the_leader_runs_the_time_events(app, database_url, clock, tmp_path,
                                                                            monkeypatch):
    ran, failures = [], []
    monkeypatch.setattr(scheduler, "run_time_events", lambda app: ran.append(app.name) or [])
    apps = [make_app(database_url, clock, tmp_path / f"uploads{number}") for number in (1, 2)]
    for number, each in enumerate(apps):
        each.name = f"scheduler {number + 1}"
    start, finish = threading.Barrier(2), threading.Barrier(2)

    def run(each):
        try:
            with each.app_context():
                leadership = leadership_for(db.engine, lease_seconds=600)
            start.wait()
            for _tick in range(5):
                scheduler.run_if_leading(each, leadership)
                time.sleep(0.01)
            finish.wait()  # neither hands over while the other still ticks
            with each.app_context():
                leadership.release()
                db.engine.dispose()
        except Exception as error:  # reported below: an exception in a thread would pass unseen
            failures.append(error)

    threads = [threading.Thread(target=run, args=(each,)) for each in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(ran) == 5 and len(set(ran)) == 1, ran


class SchedulerProcess:
    """`flask scheduler run --interval 1` in a process of its own, its log in a file."""

    def __init__(self, database_url: str, log: Path, instance: Path):
        self.log = log
        env = {**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": database_url, "MAIL_SERVER": "",
               "PORTAL_INSTANCE_DIR": str(instance), "PYTHONPATH": str(ROOT), "REDIS_URL": ""}
        env.pop("PORTAL_FIXED_NOW", None)
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run", "--interval", "1"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, words: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while words not in self.text():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"no “{words}” after {seconds} s:\n{self.text()}"
            time.sleep(0.2)

    def stop(self, how=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(how)
            self.process.wait(timeout=30)


def test_of_several_scheduler_processes_one_leads_and_another_takes_over_when_it_stops(app, database_url, tmp_path):
    instance = tmp_path / "instance"
    first = SchedulerProcess(database_url, tmp_path / "first.log", instance)
    second = third = None
    try:
        first.wait_for("now leads", 30)
        second = SchedulerProcess(database_url, tmp_path / "second.log", instance)
        second.wait_for("is waiting", 30)
        ticks = first.text().count("ran the time events")
        time.sleep(3)  # several ticks: the first runs the time events at each, the second never
        assert first.text().count("ran the time events") >= ticks + 2
        assert "now leads" not in second.text() and "ran the time events" not in second.text()

        first.stop(signal.SIGTERM)  # hands over as it stops
        assert "stopped" in first.text()
        second.wait_for("now leads", 10)
        third = SchedulerProcess(database_url, tmp_path / "third.log", instance)
        third.wait_for("is waiting", 30)
        assert "ran the time events" in second.text() and "ran the time events" not in third.text()

        second.stop(signal.SIGKILL)  # gone without handing over: the lock goes with its connection, a lease expires
        third.wait_for("now leads", 10 + scheduler.LEASE_TICKS)
    finally:
        for each in (first, second, third):
            if each is not None:
                each.stop(signal.SIGKILL)


def test_scheduler_once_does_nothing_while_another_scheduler_leads(app, clock, monkeypatch):
    ran = []
    monkeypatch.setattr(scheduler, "run_time_events", lambda app: ran.append(app) or ["opened 1 window"])
    leader = leadership_for(db.engine, lease_seconds=600)
    assert leader.hold(clock.now())
    try:
        result = app.test_cli_runner().invoke(args=["scheduler", "once"])
        assert "Another scheduler is running the time events: nothing done." in result.output and ran == []
    finally:
        leader.release()
    result = app.test_cli_runner().invoke(args=["scheduler", "once"])
    assert result.output == "opened 1 window\n" and len(ran) == 1
