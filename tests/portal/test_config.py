import pytest

from portal import create_app
from portal.config import DEVELOPMENT_SECRET


def test_production_refuses_to_start_with_the_development_secret():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", overrides={"SECRET_KEY": DEVELOPMENT_SECRET})


def test_production_refuses_a_short_secret():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", overrides={"SECRET_KEY": "short"})


def test_production_starts_with_a_real_secret(tmp_path):
    app = create_app("production", overrides={"SECRET_KEY": "x" * 48,
                                               "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_pool_size_per_process_is_set_from_the_environment():
    from portal.config import engine_options

    assert engine_options({}) == {"pool_pre_ping": True}
    assert engine_options({"DATABASE_POOL_SIZE": "2", "DATABASE_MAX_OVERFLOW": "0"}) == {
        "pool_pre_ping": True, "pool_size": 2, "max_overflow": 0}
