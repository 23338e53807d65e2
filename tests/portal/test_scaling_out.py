"""Scaling out: two gunicorn instances and one scheduler on the same PostgreSQL database and Redis, as a deployment
behind a load balancer runs them. A provider signs in through one instance and carries on through the other, and
bids sent through both just before a round's deadline are all kept while those just after are all refused.

The processes run on the system clock, so the test builds its data at the real time and sets the deadline a few
seconds ahead."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

import pytest

from portal.clock import SystemClock
from portal.extensions import db
from portal.models import Bid, ReferralRound
from portal.services.sessions import RedisSessions
from tests.factories import PASSWORD, admit, build_world, provider_user, published_referral
from tests.portal.test_sessions import redis_is_running

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database number of this test's own: flushed at its start
SECRET = "scaling-out-test-secret-shared-by-both-instances-0123456789"
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')

pytestmark = [
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                       reason="needs PostgreSQL (TEST_DATABASE_URL): two instances share one database"),
    pytest.mark.skipif(not redis_is_running(), reason="needs Redis on 127.0.0.1:6379 for the shared sessions"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database_url: str, tmp_path: Path) -> dict:
    env = {**os.environ, "PORTAL_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": database_url,
           "REDIS_URL": REDIS_URL, "MAIL_SERVER": "", "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
           "UPLOAD_FOLDER": str(tmp_path / "uploads"), "PYTHONPATH": str(ROOT)}
    env.pop("PORTAL_FIXED_NOW", None)
    return env


class Instance:
    """The portal under gunicorn as the README's deployment runs it, on a port of its own."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads", "1",
                 "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)

    def wait_until_up(self, seconds=60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                connection = HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/sign-in")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Browser:
    """One person's browser: their cookies, whichever instance the load balancer sends a request to."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, instance: Instance, method: str, path: str, form: dict | None = None):
        connection = HTTPConnection("127.0.0.1", instance.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        connection.close()
        return response.status, response.headers.get("Location", ""), text

    def csrf_token(self, instance: Instance, path: str) -> str:
        status, _location, page = self.request(instance, "GET", path)
        assert status == 200, (path, status)
        return CSRF.search(page).group(1)

    def sign_in(self, instance: Instance, email: str) -> None:
        form = {"email": email, "password": PASSWORD, "csrf_token": self.csrf_token(instance, "/sign-in")}
        status, location, _page = self.request(instance, "POST", "/sign-in", form)
        assert status == 302 and "/sign-in" not in location, (email, status, location)


def bid_form(token: str) -> dict:
    data = {"csrf_token": token, "core_weekly_fee": "1234.56", "proposed_start": ["20", "1", "2027"],
            "home_area": "E08000008", "home_description": "Two experienced foster carers",
            "how_needs_met": "Through therapeutic parenting"}
    for index in range(5):
        data.update({f"costs-{index}-description": "", f"costs-{index}-weekly_amount": "",
                     f"costs-{index}-timescale": "", f"costs-{index}-review_date": ["", "", ""]})
    return data


def test_two_instances_share_sessions_and_keep_every_bid_sent_before_the_deadline_and_none_after(
        app, clock, database_url, tmp_path):
    import redis

    shared = redis.Redis.from_url(REDIS_URL)
    shared.flushdb()
    clock.set(SystemClock().now())  # the processes run on the system clock: so does the data
    world = build_world(clock)
    providers = [world.provider_a, world.provider_b] + [
        provider_user(f"Provider {number}", f"provider{number}@example.org", clock) for number in range(6)]
    for user in providers:
        admit(user, world.lots[0], clock=clock)
    db.session.commit()

    env = environment(database_url, tmp_path)
    instances = [Instance(env, tmp_path / "first.log"), Instance(env, tmp_path / "second.log")]
    with (tmp_path / "scheduler.log").open("w") as output:
        scheduler = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run",
                                      "--interval", "1"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        for instance in instances:
            instance.wait_until_up()
        browsers = [Browser() for _ in providers]
        for number, (browser, user) in enumerate(zip(browsers, providers, strict=True)):
            signed_in_at, carries_on_at = instances[number % 2], instances[(number + 1) % 2]
            browser.sign_in(signed_in_at, user.email)
            status, location, page = browser.request(carries_on_at, "GET", "/provider/referrals")
            assert status == 200 and user.organisation.name in page, (user.email, status, location)
        assert len(shared.keys(f"{RedisSessions.PREFIX}*")) == len(providers)  # the sessions live in Redis

        # The round closes a few seconds from now; half the providers bid just before, half just after.
        deadline = SystemClock().now() + timedelta(seconds=8)
        clock.set(SystemClock().now())
        referral = published_referral(world, clock, lot=world.lots[0], deadline=deadline)
        path = f"/provider/referrals/{referral.id}/bid"
        tokens = [browser.csrf_token(instances[number % 2], path) for number, browser in enumerate(browsers)]
        outcomes = {}

        def send(number: int, at: float) -> None:
            time.sleep(max(0.0, at - time.time()))
            # The form came from one instance; the bid goes through the other.
            outcomes[number] = browsers[number].request(instances[(number + 1) % 2], "POST", path,
                                                        bid_form(tokens[number]))

        deadline_epoch = deadline.replace(tzinfo=UTC).timestamp()
        early, late = range(0, 4), range(4, 8)
        threads = [threading.Thread(target=send, args=(number, deadline_epoch - 1.5)) for number in early]
        threads += [threading.Thread(target=send, args=(number, deadline_epoch + 1.5)) for number in late]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        for number in early:
            status, location, _page = outcomes[number]
            assert status == 302 and location.endswith(f"/provider/referrals/{referral.id}/receipt"), outcomes[number]
        for number in late:
            status, _location, page = outcomes[number]
            assert status == 400 and "your bid was not sent" in page.lower(), (status, page[-2000:])

        # None lost, none late: exactly the early providers' bids, each sent before the deadline.
        db.session.expire_all()
        kept = db.session.scalars(db.select(Bid).where(Bid.referral_id == referral.id)).all()
        assert sorted(bid.provider_id for bid in kept) == sorted(providers[number].organisation_id
                                                                 for number in early)
        assert all(bid.submitted_at <= deadline for bid in kept)

        # The one scheduler closes the round.
        round_id = referral.rounds[0].id
        waited = time.monotonic() + 20
        while db.session.get(ReferralRound, round_id).closed_at is None:
            assert time.monotonic() < waited, (tmp_path / "scheduler.log").read_text()
            time.sleep(0.5)
            db.session.expire_all()
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
        for instance in instances:
            instance.stop()
        shared.flushdb()
    assert "now leads" in (tmp_path / "scheduler.log").read_text()
