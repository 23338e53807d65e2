"""Test fixtures: an app per test on a migrated database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL names one), a frozen clock, and signed-in clients for each role."""

import os
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from portal import create_app
from portal.clock import FrozenClock
from portal.extensions import db

# A Monday in November, 10:00 UTC (10:00 in London too).
START = datetime(2026, 11, 2, 10, 0)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        url = sa.engine.make_url(base)
        name = f"{url.database}_{_worker()}"
        admin_engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin_engine.dispose()
        database = url.set(database=name).render_as_string(hide_password=False)
    else:
        database = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.db'}"
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database


def _empty_tables() -> None:
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    # DELETE is quicker than TRUNCATE on tables this small, on PostgreSQL as on SQLite.
    with db.engine.begin() as connection:
        # A referral and its awarded bid point at each other: untie them before either is deleted.
        connection.execute(sa.text("UPDATE referral SET awarded_bid_id = NULL WHERE awarded_bid_id IS NOT NULL"))
        for table in tables:
            connection.execute(sa.text(f"DELETE FROM {table}"))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context (its own `g` and database session), as in production.

    The `app` fixture keeps one app context open for the whole test; without this, Flask-Login's
    cached user in `g` would leak from one test client to the next."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(database_url: str, clock: FrozenClock, upload_folder: Path, **overrides):
    app = create_app("testing", clock=clock, overrides={
        "SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": str(upload_folder),
        "WTF_CSRF_ENABLED": False, "PORTAL_BASE_URL": "http://portal.test", **overrides,
    })
    app.test_client_class = IsolatedClient
    return app


def _serve(app):
    with app.app_context():
        _empty_tables()
    with app.test_request_context(base_url="http://portal.test"):
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database_url, clock, tmp_path):
    yield from _serve(make_app(database_url, clock, tmp_path / "uploads"))


@pytest.fixture
def csrf_app(database_url, clock, tmp_path):
    """An app with CSRF protection on, as in production."""
    yield from _serve(make_app(database_url, clock, tmp_path / "uploads", WTF_CSRF_ENABLED=True))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app, clock):
    """A consortium with a DPS, an open window, and a user of every role (see tests/factories.py)."""
    from tests.factories import build_world

    return build_world(clock)


@pytest.fixture
def sign_in(app):
    """sign_in(user) gives a test client signed in as that user."""
    from tests.factories import PASSWORD

    def _sign_in(user):
        client = app.test_client()
        response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _sign_in
