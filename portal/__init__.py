"""The placements portal: a dynamic purchasing system for children's placements."""

import os
import secrets

from flask import Flask, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal.clock import from_config as clock_from_config
from portal.config import CONFIGS, check_production_secret
from portal.extensions import csrf, db, limiter, login_manager, migrate
from portal.forms import MAX_RECORD_ID
from portal.rate_limits import SCHEME as DATABASE_LIMITS_SCHEME
from portal.services import sessions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class RecordIdConverter(IntegerConverter):
    """Ids in URLs fit the database's integer columns: a bigger number is no record (404), not an error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_RECORD_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config_name: str | None = None, *, clock=None, overrides: dict | None = None) -> Flask:
    config_name = config_name or os.environ.get("PORTAL_ENV", "development")
    app = Flask(__name__, static_url_path="/assets", template_folder=None)
    app.url_map.converters["int"] = RecordIdConverter
    app.config.from_object(CONFIGS[config_name])
    if overrides:
        app.config.update(overrides)
    check_production_secret(app.config)
    _make_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    app.extensions["clock"] = clock or clock_from_config(app.config["PORTAL_FIXED_NOW"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or f"{DATABASE_LIMITS_SCHEME}://")
    if app.config["TRUSTED_PROXIES"]:
        # The client's address is the one the nearest trusted proxy saw; anything further left could be forged.
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(os.path.join(ROOT, "templates")),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    sessions.init_app(app)
    WTFormsHelpers(app)

    from portal import auth, cli, shared, templating  # noqa: I001 - blueprints import the app's pieces
    from admin import views as admin_views
    from buyer import views as buyer_views
    from evaluation import views as evaluation_views
    from supplier import views as supplier_views

    app.register_blueprint(auth.blueprint)
    app.register_blueprint(shared.blueprint)
    app.register_blueprint(admin_views.blueprint, url_prefix="/admin")
    app.register_blueprint(buyer_views.blueprint, url_prefix="/authority")
    app.register_blueprint(evaluation_views.blueprint, url_prefix="/evaluation")
    app.register_blueprint(supplier_views.blueprint, url_prefix="/provider")
    templating.init_app(app)
    cli.init_app(app)
    _security(app)
    _error_pages(app)
    return app


def _make_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        os.makedirs(os.path.dirname(os.path.abspath(url.removeprefix("sqlite:///"))), exist_ok=True)


def _security(app: Flask) -> None:
    @app.before_request
    def make_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def security_headers(response):
        nonce = getattr(g, "csp_nonce", "")
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config.get("PRODUCTION"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if current_user.is_authenticated and not request.path.startswith("/assets"):
            response.headers["Cache-Control"] = "no-store"
        return response


def _error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(403)
    def forbidden(error):
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(413)
    def too_large(error):
        from portal.services.uploads import size_label

        return render_template("errors/413.html", limit=size_label(app.config["MAX_UPLOAD_BYTES"])), 413

    @app.errorhandler(429)
    def too_many(error):
        return render_template("errors/429.html"), 429
