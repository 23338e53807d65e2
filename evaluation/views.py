from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.auth import require_roles_for_blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import Application, ConflictOfInterest, EntryWindow, Organisation
from portal.models.dps import EVIDENCE_KINDS
from portal.models.evaluation import GATES, SATISFACTORY, UNSATISFACTORY
from portal.models.user import ADMINISTRATOR, EVALUATOR
from portal.services import applications, dps_setup, evaluations, listing, lot_lists, outcomes, windows
from portal.workdays import PAUSE_RULE

blueprint = Blueprint("evaluation", __name__)
require_roles_for_blueprint(blueprint, EVALUATOR, ADMINISTRATOR)


def _window(window_id: int) -> EntryWindow:
    window = db.session.get(EntryWindow, window_id)
    if window is None or window.dps.lead_authority_id != current_user.organisation_id:
        abort(404)
    return window


def _application(application_id: int) -> Application:
    try:
        return evaluations.application_for_lead(current_user, application_id)
    except NotFound:
        abort(404)


@blueprint.route("/")
def dashboard():
    dpss = dps_setup.dpss_led_by(current_user.organisation_id)
    window_list = db.session.scalars(
        db.select(EntryWindow).where(EntryWindow.dps_id.in_([dps.id for dps in dpss]))
        .options(selectinload(EntryWindow.dps)).order_by(EntryWindow.opens_at.desc())).all()
    counts = applications.submitted_counts([window.id for window in window_list])
    to_score = evaluations.queue_of(current_user, scored=False, page=request.args.get("page", type=int))
    scored = evaluations.queue_of(current_user, scored=True, page=request.args.get("scored", type=int))
    moment = now()
    clocks = evaluations.decision_clocks([allocation.application for allocation in [*to_score.items, *scored.items]],
                                         moment)
    return render_template("evaluation/dashboard.html", dpss=dpss, windows=window_list, counts=counts,
                           moment=moment, to_score=to_score, scored=scored, clocks=clocks, pause_rule=PAUSE_RULE)


@blueprint.route("/conflicts", methods=["GET", "POST"])
def conflicts():
    error = None
    if request.method == "POST":
        provider = db.session.get(Organisation, request.form.get("provider_id", type=int) or 0)
        try:
            if provider is None or not provider.is_provider:
                raise DomainError("Choose the provider")
            evaluations.declare_conflict(current_user, provider, request.form.get("note", ""), now())
        except DomainError as problem:
            db.session.rollback()
            error = problem.message
        else:
            flash(f"Conflict of interest with {provider.name} declared", "success")
            return redirect(url_for("evaluation.conflicts"))
    declared = db.session.scalars(
        db.select(ConflictOfInterest).where(ConflictOfInterest.evaluator_id == current_user.id)
        .options(selectinload(ConflictOfInterest.provider)).order_by(ConflictOfInterest.declared_at)).all()
    search = listing.cleaned(request.args.get("q"))
    providers = evaluations.providers_matching(search) if search else []
    return render_template("evaluation/conflicts.html", declared=declared, search=search,
                           providers=providers[:evaluations.PROVIDER_CHOICES],
                           more=len(providers) > evaluations.PROVIDER_CHOICES, error=error), 400 if error else 200


@blueprint.route("/windows/<int:window_id>")
def window(window_id):
    window = _window(window_id)
    moment = now()
    state = request.args.get("state") or None
    listed = evaluations.window_page(window, moment, state=state, page=request.args.get("page", type=int))
    return render_template("evaluation/window.html", window=window, page=listed.rows, states=listed.states,
                           state=state, submitted=listed.total, moment=moment,
                           due_on=windows.decisions_due_on(window), pause_rule=PAUSE_RULE)


@blueprint.route("/windows/<int:window_id>/publish", methods=["POST"])
def publish(window_id):
    window = _window(window_id)
    if not current_user.has_role(ADMINISTRATOR):
        abort(403)
    try:
        outcomes.publish(current_user, window, now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"Outcomes of {window.label} published: providers can see their results and letters", "success")
    return redirect(url_for("evaluation.window", window_id=window.id))


@blueprint.route("/windows/<int:window_id>/tiers")
def tiers(window_id):
    window = _window(window_id)
    categories = [category for lot in window.dps.lots for category in lot.categories]
    pages = lot_lists.tier_table_pages(categories, _pages_asked(categories))
    return render_template("evaluation/tiers.html", window=window,
                           tables=[(category, pages[category.id]) for category in categories])


def _pages_asked(tables) -> dict[int, int | None]:
    """The page asked for of each table of a page with a pager per table (`page-<id>` in the address)."""
    return {table.id: request.args.get(f"page-{table.id}", type=int) for table in tables}


@blueprint.route("/windows/<int:window_id>/report.pdf")
def report(window_id):
    from portal.documents.evaluation import evaluation_report

    window = _window(window_id)
    if not current_user.has_role(ADMINISTRATOR):
        abort(403)  # the whole window's scores and findings are the administrators' record
    pdf = evaluation_report(window, issued_at=now())
    return _pdf_response(pdf, f"{window.dps.reference}-{window.label.replace(' ', '-')}-evaluation-report.pdf")


def _pdf_response(pdf: bytes, name: str):
    from flask import Response

    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blueprint.route("/applications/<int:application_id>")
def application(application_id):
    application = _application(application_id)
    return _render_application(application)


def _render_application(application, status=200, **context):
    moment = now()
    mine = evaluations.own_allocation(current_user, application)
    own_scores = {score.question_id: score for score in mine.scores} if mine else {}
    context.setdefault("score_values", {qid: (s.score, s.reason) for qid, s in own_scores.items()})
    context.setdefault("score_errors", {})
    context.setdefault("errors", [])
    answers = {answer.question_id: answer.text for answer in application.answers}
    evaluators = evaluations.lead_evaluators(application.window.dps.lead_authority_id)
    return render_template(
        "evaluation/application.html", application=application, answers=answers, labels=EVIDENCE_KINDS,
        mine=mine, visible=evaluations.scores_visible_to(current_user, application),
        gates={g.gate: g for g in application.gates}, gate_labels=GATES,
        suggested=evaluations.suggested_gates(application), clock=evaluations.decision_clock(application, moment),
        state=evaluations.evaluation_state(application), evaluators=evaluators,
        allocated={a.evaluator_id for a in application.allocations},
        conflicted=evaluations.conflicted_evaluator_ids([e.id for e in evaluators], application.provider_id),
        can_allocate=current_user.has_role(ADMINISTRATOR),
        moderation_open=evaluations.moderation_open(application),
        satisfactory=SATISFACTORY, unsatisfactory=UNSATISFACTORY, pause_rule=PAUSE_RULE, **context), status


def _marks_from_form() -> dict[int, tuple[int | None, str]]:
    marks = {}
    for key, value in request.form.items():
        if key.startswith("score-"):
            # isdecimal, not isdigit: "²" is a digit that int() cannot read.
            question_id = int(key.removeprefix("score-")) if key.removeprefix("score-").isdecimal() else None
            if question_id is None:
                continue
            score = int(value) if value.strip().lstrip("-").isdecimal() else None
            marks[question_id] = (score, request.form.get(f"reason-{question_id}", ""))
    return marks


@blueprint.route("/applications/<int:application_id>/allocate", methods=["POST"])
def allocate(application_id):
    application = _application(application_id)
    if not current_user.has_role(ADMINISTRATOR):
        abort(403)
    try:
        evaluations.allocate(current_user, application, request.form.getlist("evaluators", type=int), now())
    except DomainError as error:
        db.session.rollback()
        return _render_application(application, 400, errors=[{"text": error.message, "href": "#evaluators"}])
    flash("Evaluators allocated", "success")
    return redirect(url_for("evaluation.application", application_id=application.id))


@blueprint.route("/applications/<int:application_id>/scores", methods=["POST"])
def scores(application_id):
    application = _application(application_id)
    marks = _marks_from_form()
    try:
        errors = evaluations.save_scores(current_user, application, marks, now())
        if errors:
            return _render_application(
                application, 400, score_values=marks, score_errors=errors,
                errors=[{"text": text, "href": f"#score-{qid}"} for qid, text in errors.items()])
        if request.form.get("action") == "submit":
            evaluations.submit_scores(current_user, application, now())
            flash("Your scores are submitted. You can now see the other evaluators' scores.", "success")
        else:
            flash("Your scores are saved as a draft", "success")
    except DomainError as error:
        db.session.rollback()
        return _render_application(application, 400, score_values=marks, errors=[{"text": error.message}])
    return redirect(url_for("evaluation.application", application_id=application.id))


@blueprint.route("/applications/<int:application_id>/gates", methods=["POST"])
def gates(application_id):
    application = _application(application_id)
    gate = request.form.get("gate", "")
    try:
        passed = {"yes": True, "no": False}.get(request.form.get("passed", ""))
        evaluations.record_gate(current_user, application, gate, passed, request.form.get("evidence", ""), now())
    except DomainError as error:
        db.session.rollback()
        return _render_application(application, 400, errors=[{"text": error.message, "href": f"#gate-{gate}"}])
    except NotFound:
        abort(404)
    flash(f"{GATES[gate]} recorded", "success")
    return redirect(url_for("evaluation.application", application_id=application.id) + "#gates")


@blueprint.route("/applications/<int:application_id>/referees/<int:referee_id>", methods=["POST"])
def reference(application_id, referee_id):
    application = _application(application_id)
    try:
        evaluations.record_reference(current_user, application, referee_id, request.form.get("outcome", ""),
                                     request.form.get("note", ""), now())
    except DomainError as error:
        db.session.rollback()
        return _render_application(application, 400,
                                   errors=[{"text": error.message, "href": f"#referee-{referee_id}"}])
    except NotFound:
        abort(404)
    flash("Reference recorded", "success")
    return redirect(url_for("evaluation.application", application_id=application.id) + "#references")


@blueprint.route("/applications/<int:application_id>/clarifications", methods=["POST"])
def clarification(application_id):
    application = _application(application_id)
    try:
        evaluations.ask_clarification(current_user, application, request.form.get("question", ""), now())
    except DomainError as error:
        db.session.rollback()
        return _render_application(application, 400, errors=[{"text": error.message, "href": "#question"}])
    flash("Question sent to the provider. The decision clock is paused until they answer.", "success")
    return redirect(url_for("evaluation.application", application_id=application.id) + "#clarifications")


@blueprint.route("/applications/<int:application_id>/moderate", methods=["GET", "POST"])
def moderate(application_id):
    application = _application(application_id)
    if not evaluations.moderation_open(application) and application.moderated_at is None:
        flash("Moderation opens when every allocated evaluator has submitted their scores", "error")
        return redirect(url_for("evaluation.application", application_id=application.id))
    values, errors, problem, chosen = {}, {}, None, {}
    if request.method == "POST":
        chosen = {key.removeprefix("reason-choice-"): value for key, value in request.form.items()
                  if key.startswith("reason-choice-")}
        for question_id, (score, written) in _marks_from_form().items():
            try:
                reason = evaluations.chosen_reason(application, question_id, chosen.get(str(question_id), ""),
                                                   written)
            except DomainError as error:
                errors[question_id], reason = error.message, written
            values[question_id] = (score, reason)
        try:
            errors = errors or evaluations.moderate(current_user, application, values, now())
        except DomainError as error:
            db.session.rollback()
            problem = error.message
        else:
            if not errors:
                outcome = application.outcomes[0].label if application.outcomes else ""
                flash(f"{application.provider.name}: moderated. Outcome: {outcome}", "success")
                return redirect(url_for("evaluation.application", application_id=application.id))
    agreed = {m.question_id: m for m in application.moderated_scores}
    spread = evaluations.score_spread(application)
    by_evaluator = {a.id: {s.question_id: s for s in a.scores} for a in application.allocations}
    status = 400 if errors or problem else 200
    return render_template("evaluation/moderate.html", application=application, values=values, errors=errors,
                           problem=problem, agreed=agreed, spread=spread, by_evaluator=by_evaluator,
                           starts=evaluations.moderation_starts(application), chosen=chosen,
                           written={qid: request.form.get(f"reason-{qid}", "") for qid in values},
                           gap=application.window.dps.moderation_gap), status
