"""Configuration, read from environment variables with safe development defaults."""

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))
DEVELOPMENT_SECRET = "development-only-secret-key-do-not-use-in-production"


def engine_options(environ) -> dict:
    """SQLAlchemy's engine options: connections checked before use, and the pool's size per process when
    DATABASE_POOL_SIZE and DATABASE_MAX_OVERFLOW are set (see the README's Deployment)."""
    options = {"pool_pre_ping": True}
    for variable, option in (("DATABASE_POOL_SIZE", "pool_size"), ("DATABASE_MAX_OVERFLOW", "max_overflow")):
        if environ.get(variable):
            options[option] = int(environ[variable])
    return options


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = engine_options(os.environ)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
    # Flask refuses larger request bodies outright; leave room for the form around the file.
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 512 * 1024
    TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "true").lower() == "true"
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "placements-portal@example.org")
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000")

    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_MINUTES", 120)))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PASSWORD_RESET_MINUTES = 60
    INVITATION_DAYS = 14
    LOCKOUT_THRESHOLD = 5
    LOCKOUT_MINUTES = 15
    # Sessions and rate limits live in the database, or in Redis when REDIS_URL is set. create_app sets
    # RATELIMIT_STORAGE_URI from it: database:// (portal.rate_limits) or the Redis URL.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_SIGN_IN = "20 per minute"
    # How many proxies in front of the portal add themselves to X-Forwarded-For; 0 trusts no such header.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    PAGE_SIZE = 25
    # A fixed moment (ISO 8601, UTC) for every request and job instead of the system clock: for benchmarks and
    # demonstrations against generated data. Empty in normal use.
    PORTAL_FIXED_NOW = os.environ.get("PORTAL_FIXED_NOW", "")
    WTF_CSRF_TIME_LIMIT = None
    PRODUCTION = False


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    PRODUCTION = True
    SESSION_COOKIE_SECURE = True


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    REDIS_URL = ""
    # Off for the tests that are not about it; tests/portal/test_rate_limits.py turns it on.
    RATELIMIT_ENABLED = False
    FAST_PASSWORD_HASHING = True
    SERVER_NAME = None


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def check_production_secret(config) -> None:
    """Refuse to start in production with the development secret or a short one."""
    if not config.get("PRODUCTION"):
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEVELOPMENT_SECRET or len(secret) < 32:
        raise RuntimeError(
            "Refusing to start in production without a real SECRET_KEY "
            "(set the SECRET_KEY environment variable to at least 32 random characters)."
        )
