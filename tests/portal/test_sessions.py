"""Server-side sessions: signing out ends the session for good, sessions end after SESSION_MINUTES idle or 12
hours after signing in, each browser has its own, and expired ones are cleared out. In the database by
default, in Redis when REDIS_URL is set."""

import html
import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from werkzeug.test import EnvironBuilder

from portal.extensions import db
from portal.models import OutboxMessage, UserSession
from portal.scheduler import run_time_events
from portal.services import accounts, sessions
from tests.conftest import _serve, make_app
from tests.factories import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/0"
IDLE_MESSAGE = "You were signed out because you had not used the portal for a while. Sign in again."
TOO_OLD_MESSAGE = "You were signed out because you signed in more than 12 hours ago. Sign in again."


def redis_is_running() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.fixture(params=["database", "redis"])
def store_app(request, database_url, clock, tmp_path):
    """The app with its sessions in the database, then in Redis."""
    if request.param == "redis" and not redis_is_running():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    overrides = {"REDIS_URL": REDIS_URL} if request.param == "redis" else {}
    yield from _serve(make_app(database_url, clock, tmp_path / "uploads", **overrides))


@pytest.fixture
def world_in(store_app, clock):
    from tests.factories import build_world

    return build_world(clock)


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def copy_of(app, client):
    """Another browser given a copy of the client's session cookie, as a thief would replay it."""
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
    return thief


def goes_to_sign_in(response) -> bool:
    return response.status_code == 302 and urlparse(response.headers["Location"]).path == "/sign-in"


def session_rows() -> list[UserSession]:
    db.session.expire_all()
    return db.session.scalars(db.select(UserSession)).all()


def test_a_copy_of_the_cookie_is_refused_after_signing_out(store_app, world_in, clock):
    client = signed_in(store_app, world_in.provider_a)
    replay = copy_of(store_app, client)
    assert replay.get("/provider/").status_code == 200  # the copy works while the session lasts
    assert client.post("/sign-out").status_code == 302
    clock.advance(minutes=5)  # past the minute after which a visit renews the session
    assert goes_to_sign_in(replay.get("/provider/"))
    assert goes_to_sign_in(replay.get("/provider/"))
    assert goes_to_sign_in(client.get("/provider/"))


def test_signing_out_in_one_browser_leaves_another_browser_signed_in(store_app, world_in):
    office = signed_in(store_app, world_in.provider_a)
    laptop = signed_in(store_app, world_in.provider_a)
    office.post("/sign-out")
    assert goes_to_sign_in(office.get("/provider/"))
    assert laptop.get("/provider/").status_code == 200


def test_a_password_change_ends_every_session_of_the_account(store_app, world_in, clock):
    office = signed_in(store_app, world_in.provider_a)
    laptop = signed_in(store_app, world_in.provider_a)
    colleague = signed_in(store_app, world_in.colleague_a)
    accounts.request_password_reset(world_in.provider_a.email, clock.now())
    body = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id.desc())).first().body
    link = re.search(r"http://portal\.test(/reset-password/\S+)", body).group(1)
    assert store_app.test_client().post(link, data={"password": "a brand new long passphrase"}).status_code == 302
    assert goes_to_sign_in(office.get("/provider/"))
    assert goes_to_sign_in(laptop.get("/provider/"))
    assert colleague.get("/provider/").status_code == 200


def test_deactivation_ends_every_session_in_either_store(store_app, world_in, clock):
    """With sessions in the database or in Redis: every browser of the account is signed out at once, and
    reactivating the account does not bring those sessions back."""
    browsers = [signed_in(store_app, world_in.member_officer) for _ in range(2)]
    other = signed_in(store_app, world_in.lead_officer)
    accounts.set_active(world_in.admin, world_in.member_officer, False, clock.now())
    accounts.set_active(world_in.admin, world_in.member_officer, True, clock.now())
    for browser in browsers:
        assert goes_to_sign_in(browser.get("/authority/"))
    assert other.get("/authority/").status_code == 200


def test_an_idle_session_ends_and_a_copy_of_its_cookie_does_not_revive_it(store_app, world_in, clock):
    client = signed_in(store_app, world_in.provider_a)
    replay = copy_of(store_app, client)
    idle = store_app.config["PERMANENT_SESSION_LIFETIME"]
    clock.advance(seconds=idle.total_seconds() + 1)
    response = client.get("/provider/")
    assert goes_to_sign_in(response)
    assert IDLE_MESSAGE in html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    clock.advance(seconds=-idle.total_seconds())  # even when presented "in time" again, it is gone
    assert goes_to_sign_in(replay.get("/provider/"))


def test_a_session_ends_12_hours_after_signing_in_however_busy(store_app, world_in, clock):
    client = signed_in(store_app, world_in.provider_a)
    for _ in range(11 * 2 + 1):  # a visit every half hour keeps it from going idle...
        clock.advance(minutes=30)
        assert client.get("/provider/").status_code == 200, clock.now()
    clock.advance(minutes=29, seconds=59)
    assert client.get("/provider/").status_code == 200
    clock.advance(seconds=1)  # ...until 12 hours after signing in
    response = client.get("/provider/")
    assert goes_to_sign_in(response)
    assert TOO_OLD_MESSAGE in html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert signed_in(store_app, world_in.provider_a).get("/provider/").status_code == 200


def test_ended_sessions_still_say_why_after_the_scheduler_runs_then_are_cleared_out_later(app, world, clock):
    idle = app.config["PERMANENT_SESSION_LIFETIME"]
    gone = signed_in(app, world.provider_a)
    clock.advance(seconds=idle.total_seconds() + 60)
    assert not any("sessions" in line for line in run_time_events(app))  # ended, but kept for a while
    response = gone.get("/provider/")
    assert goes_to_sign_in(response)
    assert IDLE_MESSAGE in html.unescape(gone.get(response.headers["Location"]).get_data(as_text=True))

    away = signed_in(app, world.provider_b)  # away for days: idleness ended the session before its 12 hours
    clock.advance(days=3)
    assert not any("sessions" in line for line in run_time_events(app))
    response = away.get("/provider/")
    assert IDLE_MESSAGE in html.unescape(away.get(response.headers["Location"]).get_data(as_text=True))

    forgotten = signed_in(app, world.colleague_a)
    clock.advance(seconds=idle.total_seconds() + 60)
    clock.advance(seconds=sessions.KEPT_AFTER_ENDING.total_seconds() - 120)
    assert sessions.purge_expired(clock.now()) == 0
    live = signed_in(app, world.provider_b)
    clock.advance(minutes=2)
    assert "deleted 1 expired sessions" in run_time_events(app)
    assert [row.user_id for row in session_rows()] == [world.provider_b.id]
    assert goes_to_sign_in(forgotten.get("/provider/"))

    # Busy or not, a session ends 12 hours after it began, and goes a while after that.
    start = session_rows()[0].created_at
    while clock.now() < start + sessions.ABSOLUTE_LIFETIME - timedelta(minutes=30):
        clock.advance(minutes=30)
        assert live.get("/provider/").status_code == 200
    clock.set(start + sessions.ABSOLUTE_LIFETIME)
    assert sessions.purge_expired(clock.now()) == 0
    clock.set(start + sessions.ABSOLUTE_LIFETIME + sessions.KEPT_AFTER_ENDING)
    assert sessions.purge_expired(clock.now()) == 1
    assert session_rows() == []
    assert goes_to_sign_in(live.get("/provider/"))


def test_the_cookie_holds_a_random_token_and_the_database_only_its_hash(app, world):
    client = signed_in(app, world.provider_a)
    [row] = session_rows()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert row.id not in cookie
    request = app.request_class(EnvironBuilder(
        headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}).get_environ())
    token = app.session_interface.open_session(app, request)["session_token"]
    assert len(token) >= 43 and sessions._key(token) == row.id


def test_sessions_in_redis_carry_an_expiry(world, clock, database_url, tmp_path):
    if not redis_is_running():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    redis_app = make_app(database_url, clock, tmp_path / "uploads", REDIS_URL=REDIS_URL)
    with redis_app.app_context():
        token = sessions.start(world.provider_a.id, clock.now())
        store = redis_app.extensions["session_store"]
        ttl = store.redis.ttl(store.PREFIX + sessions._key(token))
        idle = redis_app.config["PERMANENT_SESSION_LIFETIME"]
        assert idle.total_seconds() < ttl <= (idle + sessions.KEPT_AFTER_ENDING).total_seconds()
        assert session_rows() == []  # nothing in the database
        sessions.end(token)
        assert store.redis.exists(store.PREFIX + sessions._key(token)) == 0
