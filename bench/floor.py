"""The floor: a bare Flask + SQLAlchemy + Jinja app that does for each benchmarked page only what cannot be
avoided. It loads the signed-in user as the portal does (the server-side session by the token in the portal's own
signed cookie, then the user row), runs the page's main query (bench/pages.py) and renders the rows as a plain
HTML table: no layout, no GOV.UK macros, no navigation.

Served by gunicorn beside the portal: `gunicorn 'bench.floor:create_floor()'`, with the portal's SECRET_KEY and
DATABASE_URL (and PORTAL_FIXED_NOW), so the cookie from signing in to the portal is accepted here too.
"""

import json
import os

from flask import Flask, abort, render_template_string, session

from bench.pages import BY_NAME
from portal.clock import from_config, now
from portal.config import Config
from portal.extensions import db
from portal.models import User
from portal.services import sessions

ROWS = """<!DOCTYPE html>
<html lang="en"><head><title>{{ name }}</title></head><body>
<table>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>
</body></html>
"""


def _signed_in_user():
    """As portal.auth.load_user: the cookie names the user and a session token; the session must be live."""
    user_id, _, fingerprint = str(session.get("_user_id", "")).partition(":")
    token = session.get("session_token")
    if not user_id.isdecimal() or not isinstance(token, str):
        return None
    if sessions.check(token, int(user_id), now()) != sessions.ACTIVE:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or fingerprint != user.password_hash[-16:]:
        return None
    return user


def create_floor(ids: dict | None = None, overrides: dict | None = None) -> Flask:
    """The floor app. `ids` are the manifest's ids (default: the JSON in the BENCH_IDS environment variable)."""
    app = Flask(__name__)
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    app.extensions["clock"] = from_config(app.config["PORTAL_FIXED_NOW"])
    db.init_app(app)
    # Some services link to the portal's pages (url_for); the floor has none of them and shows no links.
    app.url_build_error_handlers.append(lambda error, endpoint, values: "#")
    sessions.init_app(app)
    ids = ids if ids is not None else json.loads(os.environ.get("BENCH_IDS", "{}"))

    @app.route("/floor/<name>")
    def page(name):
        if name not in BY_NAME:
            abort(404)
        user = _signed_in_user()
        if user is None:
            abort(401)
        return render_template_string(ROWS, name=name, rows=BY_NAME[name].rows(user, ids, now()))

    return app
