from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from portal.auth import require_roles_for_blueprint
from portal.clock import now
from portal.errors import NotFound
from portal.extensions import db
from portal.models import EntryWindow
from portal.models.dps import EVIDENCE_KINDS
from portal.models.user import ADMINISTRATOR, EVALUATOR
from portal.services import applications, dps_setup, windows

blueprint = Blueprint("evaluation", __name__)
require_roles_for_blueprint(blueprint, EVALUATOR, ADMINISTRATOR)


@blueprint.route("/")
def dashboard():
    dpss = dps_setup.dpss_led_by(current_user.organisation_id)
    window_list = db.session.scalars(
        db.select(EntryWindow).where(EntryWindow.dps_id.in_([dps.id for dps in dpss]))
        .order_by(EntryWindow.opens_at.desc())).all()
    counts = applications.submitted_counts([window.id for window in window_list])
    return render_template("evaluation/dashboard.html", dpss=dpss, windows=window_list, counts=counts, moment=now(),
                           by_dps=windows.open_and_next_by_dps([dps.id for dps in dpss], now()))


@blueprint.route("/windows/<int:window_id>")
def window(window_id):
    window = db.session.get(EntryWindow, window_id)
    if window is None or window.dps.lead_authority_id != current_user.organisation_id:
        abort(404)
    page = applications.submitted_in(window, request.args.get("page", 1, type=int), 25)
    return render_template("evaluation/window.html", window=window, page=page, moment=now())


@blueprint.route("/applications/<int:application_id>")
def application(application_id):
    try:
        application = applications.get_for(current_user, application_id)
    except NotFound:
        abort(404)
    if application.provider_id == current_user.organisation_id:
        abort(404)
    answers = {answer.question_id: answer.text for answer in application.answers}
    return render_template("evaluation/application.html", application=application, answers=answers,
                           labels=EVIDENCE_KINDS)
