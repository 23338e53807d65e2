"""The rate limits, switched on as in production: counted in a store every web worker shares (the database by
default, Redis when REDIS_URL is set), per client address as the trusted proxies report it."""

import random

import pytest

from portal.extensions import db
from portal.models import RateLimitCounter
from portal.scheduler import run_time_events
from tests.conftest import _serve, make_app
from tests.portal.test_sessions import REDIS_URL, redis_is_running

LIMIT = 3


def limited_app(database_url, clock, tmp_path, **overrides):
    return make_app(database_url, clock, tmp_path / "uploads", RATELIMIT_ENABLED=True,
                    RATELIMIT_SIGN_IN=f"{LIMIT} per minute", **overrides)


def browser(app, address=None):
    """A client from an address of its own, so counts kept in Redis by one test do not reach the next."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or f"10.{random.randrange(256)}.{random.randrange(256)}.1"
    return client


@pytest.fixture(params=["database", "redis"])
def store(request):
    if request.param == "redis" and not redis_is_running():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    return {"REDIS_URL": REDIS_URL} if request.param == "redis" else {}


@pytest.fixture
def worker(database_url, clock, tmp_path, store):
    yield from _serve(limited_app(database_url, clock, tmp_path, **store))


def try_sign_in(client, **headers):
    return client.post("/sign-in", data={"email": "nobody@example.org", "password": "a guess"}, headers=headers)


def test_the_production_settings_keep_limits_in_the_database_or_redis(database_url, clock, tmp_path):
    from portal.config import Config, TestingConfig

    assert Config.RATELIMIT_SIGN_IN == "20 per minute"
    assert not hasattr(Config, "RATELIMIT_ENABLED") and TestingConfig.RATELIMIT_ENABLED is False
    app = make_app(database_url, clock, tmp_path, RATELIMIT_ENABLED=True)
    assert app.config["RATELIMIT_STORAGE_URI"] == "database://"
    app = make_app(database_url, clock, tmp_path, RATELIMIT_ENABLED=True, REDIS_URL=REDIS_URL)
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL


def test_sign_in_is_refused_after_the_limit(worker, store):
    client = browser(worker)
    for _ in range(LIMIT):
        assert try_sign_in(client).status_code == 200
    response = try_sign_in(client)
    assert response.status_code == 429
    assert "Too many" in response.get_data(as_text=True)
    # Looking at the page is not limited; only the attempts are.
    assert client.get("/sign-in").status_code == 200
    if not store:
        db.session.expire_all()
        assert db.session.scalar(db.select(db.func.sum(RateLimitCounter.hits))) == LIMIT + 1


def test_two_workers_share_the_count(worker, store, database_url, clock, tmp_path):
    first = browser(worker)
    for _ in range(LIMIT - 1):
        assert try_sign_in(first).status_code == 200
    # A second worker: its own app, its own database connections, started after the first counted.
    second_worker = limited_app(database_url, clock, tmp_path, **store)
    second = browser(second_worker, first.environ_base["REMOTE_ADDR"])
    assert try_sign_in(second).status_code == 200
    assert try_sign_in(second).status_code == 429
    assert try_sign_in(first).status_code == 429


def test_without_trusted_proxies_a_forged_forwarded_address_does_not_escape_the_limit(worker):
    client = browser(worker)
    for number in range(LIMIT):
        assert try_sign_in(client, **{"X-Forwarded-For": f"203.0.113.{number}"}).status_code == 200
    assert try_sign_in(client, **{"X-Forwarded-For": "203.0.113.99"}).status_code == 429


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(database_url, clock, tmp_path):
    for app in _serve(limited_app(database_url, clock, tmp_path, TRUSTED_PROXIES=1)):
        client = app.test_client()
        for _ in range(LIMIT):
            assert try_sign_in(client, **{"X-Forwarded-For": "203.0.113.7"}).status_code == 200
        assert try_sign_in(client, **{"X-Forwarded-For": "203.0.113.7"}).status_code == 429
        # Only the address the proxy itself saw counts, not one the client wrote in front of it.
        assert try_sign_in(client, **{"X-Forwarded-For": "203.0.113.7, 198.51.100.2"}).status_code == 200
        assert try_sign_in(client, **{"X-Forwarded-For": "198.51.100.2"}).status_code == 200


def test_expired_counters_are_cleared_out(database_url, clock, tmp_path):
    for app in _serve(limited_app(database_url, clock, tmp_path)):
        try_sign_in(app.test_client())
        db.session.execute(db.update(RateLimitCounter).values(expires_at=RateLimitCounter.expires_at - 3600))
        db.session.commit()
        assert "deleted 1 expired rate-limit counters" in run_time_events(app)
        assert db.session.scalar(db.select(db.func.count()).select_from(RateLimitCounter)) == 0
