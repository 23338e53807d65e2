from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.auth import require_roles_for_blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import pounds
from portal.forms import add_domain_error, choices
from portal.models import Dps, EntryWindow
from portal.models.dps import EVIDENCE_KINDS
from portal.models.user import PROVIDER_USER
from portal.services import (
    accounts,
    applications,
    bids,
    cautions,
    counting,
    evaluations,
    outcomes,
    quarterly_returns,
    staff,
    sufficiency,
    windows,
)
from portal.services import agreements as agreement_service
from portal.services import placements as placement_service
from portal.staff_forms import (
    StaffInviteForm,
    StaffRolesForm,
    role_choices,
    set_active_from_request,
    withdraw_invitation_from_request,
)
from portal.timezone import uk_today
from supplier.forms import CautionEvidenceForm, RefereeForm, UploadForm

blueprint = Blueprint("supplier", __name__)
require_roles_for_blueprint(blueprint, PROVIDER_USER)


def _own(application_id: int):
    try:
        return applications.get_own(current_user, application_id)
    except NotFound:
        abort(404)


@blueprint.route("/")
def dashboard():
    moment = now()
    today = uk_today(moment)
    all_dps = db.session.scalars(db.select(Dps).options(selectinload(Dps.lead_authority)).order_by(Dps.name)).all()
    by_dps = windows.open_and_next_by_dps([dps.id for dps in all_dps], moment)
    arrangements = [{"dps": dps, "open": by_dps[dps.id][0], "next": by_dps[dps.id][1]} for dps in all_dps]
    own = applications.for_provider(current_user.organisation)
    by_window = {application.window_id: application for application in own}
    # The dashboard's figures, counted in one statement.
    open_referrals, sufficiency_count, current_placements, returns_to_submit, agreements_waiting = counting.counts([
        bids.open_invitation_counter(current_user, moment),
        sufficiency.counter_for_provider(current_user.organisation, today),
        placement_service.current_counter_for_provider(current_user, today),
        quarterly_returns.outstanding_counter(current_user.organisation_id),
        agreement_service.waiting_for_provider_counter(current_user.organisation_id)])
    return render_template("supplier/dashboard.html", arrangements=arrangements, applications=own,
                           by_window=by_window, moment=moment,
                           progress=lambda application: applications.progress(application, moment),
                           open_referrals=open_referrals,
                           under_caution=cautions.is_under_caution(current_user.organisation),
                           sufficiency_count=sufficiency_count, current_placements=current_placements,
                           returns_to_submit=returns_to_submit, agreements_waiting=agreements_waiting)


@blueprint.route("/windows/<int:window_id>/apply", methods=["POST"])
def start_application(window_id):
    window = db.session.get(EntryWindow, window_id)
    if window is None:
        abort(404)
    try:
        application = applications.start(current_user, window, now())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("supplier.dashboard"))
    return redirect(url_for("supplier.application", application_id=application.id))


@blueprint.route("/applications/<int:application_id>")
def application(application_id):
    application = _own(application_id)
    moment = now()
    missing = applications.missing_items(application, moment) if application.is_draft else []
    return render_template("supplier/application.html", application=application, moment=moment, missing=missing,
                           sections_to_fix=applications.incomplete_sections(missing),
                           published=outcomes.published_for_provider(current_user, application),
                           editable=application.is_draft and application.window.is_open(moment))


def _render_section(template, application, status=200, **context):
    moment = now()
    # The form posts to this page with its query (a return to check your answers) and without the fragment the
    # Change link jumped to, which the browser would otherwise carry through the redirect after saving.
    form_action = request.full_path.rstrip("?")
    return render_template(template, application=application, moment=moment, from_check=_from_check(),
                           form_action=form_action,
                           editable=application.is_draft and application.window.is_open(moment), **context), status


def _from_check() -> bool:
    """The provider came from the check-your-answers page through a "Change" link, and goes back there."""
    return request.args.get("from") == "check"


def _after_save(application, endpoint: str = "supplier.application"):
    if _from_check():
        return redirect(url_for("supplier.application_submit", application_id=application.id))
    return redirect(url_for(endpoint, application_id=application.id))


@blueprint.route("/applications/<int:application_id>/lots", methods=["GET", "POST"])
def application_lots(application_id):
    application = _own(application_id)
    chosen = {al.lot_id for al in application.lots}
    if request.method == "POST":
        lot_ids = request.form.getlist("lots", type=int)
        try:
            applications.set_lots(current_user, application, lot_ids, now())
        except DomainError as error:
            return _render_section("supplier/lots.html", application, 400, chosen=set(lot_ids), error=error.message,
                                   held=applications.held_lot_ids(application.provider_id))
        flash("Lots saved", "success")
        return _after_save(application)
    return _render_section("supplier/lots.html", application, chosen=chosen, error=None,
                           held=applications.held_lot_ids(application.provider_id))


@blueprint.route("/applications/<int:application_id>/prices", methods=["GET", "POST"])
def application_prices(application_id):
    application = _own(application_id)
    values = {category.id: pounds(price) for al in application.lots for category, price in al.priced_categories}
    if request.method == "POST":
        submitted = {category.id: request.form.get(f"price-{category.id}", "")
                     for al in application.lots for category in al.lot.categories}
        try:
            errors = applications.set_prices(current_user, application, submitted, now())
        except DomainError as error:
            return _render_section("supplier/prices.html", application, 400, values=submitted, errors={},
                                   error=error.message)
        if errors:
            return _render_section("supplier/prices.html", application, 400, values=submitted, errors=errors,
                                   error=None)
        flash("Weekly prices saved", "success")
        return _after_save(application)
    return _render_section("supplier/prices.html", application, values=values, errors={}, error=None)


@blueprint.route("/applications/<int:application_id>/answers", methods=["GET", "POST"])
def application_answers(application_id):
    application = _own(application_id)
    values = {answer.question_id: answer.text for answer in application.answers}
    if request.method == "POST":
        questions = application.window.question_set.questions
        submitted = {q.id: request.form.get(f"answer-{q.id}", "") for q in questions}
        try:
            errors = applications.save_answers(current_user, application, submitted, now())
        except DomainError as error:
            return _render_section("supplier/answers.html", application, 400, values=submitted, errors={},
                                   error=error.message)
        if errors:
            return _render_section("supplier/answers.html", application, 400, values=submitted, errors=errors,
                                   error=None)
        flash("Answers saved", "success")
        return _after_save(application)
    return _render_section("supplier/answers.html", application, values=values, errors={}, error=None)


@blueprint.route("/applications/<int:application_id>/documents", methods=["GET", "POST"])
def application_documents(application_id):
    application = _own(application_id)
    required = applications.required_evidence(application)
    form = UploadForm()
    form.kind.choices = choices([("", "Choose a document")] + [(kind, EVIDENCE_KINDS[kind]) for kind in required])
    if request.method == "GET" and request.args.get("kind") in required:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            applications.upload_document(
                current_user, application, kind=form.kind.data, filename=upload.filename if upload else "",
                data=upload.read() if upload else b"", expires_on=form.expires_on.data, now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"{EVIDENCE_KINDS[form.kind.data]} uploaded", "success")
            return _after_save(application, "supplier.application_documents")
    documents = {doc.kind: doc for doc in application.documents}
    status = 400 if form.errors or form.form_errors else 200
    return _render_section("supplier/documents.html", application, status, form=form, required=required,
                           documents=documents, labels=EVIDENCE_KINDS)


@blueprint.route("/applications/<int:application_id>/referees", methods=["GET", "POST"])
def application_referees(application_id):
    application = _own(application_id)
    form = RefereeForm()
    if form.validate_on_submit():
        try:
            applications.add_referee(
                current_user, application, authority_name=form.authority_name.data,
                contact_name=form.contact_name.data, job_title=form.job_title.data, email=form.email.data,
                telephone=form.telephone.data, now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Referee added", "success")
            return _after_save(application, "supplier.application_referees")
    status = 400 if form.errors or form.form_errors else 200
    return _render_section("supplier/referees.html", application, status, form=form)


@blueprint.route("/applications/<int:application_id>/referees/<int:referee_id>/remove", methods=["GET", "POST"])
def remove_referee(application_id, referee_id):
    """Removing a referee asks first: only a "yes" to the question removes it; anything else changes nothing."""
    application = _own(application_id)
    referee = next((r for r in application.referees if r.id == referee_id), None)
    if referee is None:
        abort(404)
    error = None
    if request.method == "POST":
        answer = request.form.get("confirm")
        if answer == "no":
            return redirect(url_for("supplier.application_referees", application_id=application.id))
        if answer != "yes":
            error = f"Select yes if you want to remove {referee.contact_name} as a referee"
        else:
            try:
                applications.remove_referee(current_user, application, referee_id, now())
            except NotFound:
                abort(404)
            except DomainError as problem:
                error = problem.message
            else:
                flash(f"Referee {referee.contact_name} removed", "success")
                return redirect(url_for("supplier.application_referees", application_id=application.id))
    return _render_section("supplier/remove_referee.html", application, 400 if error else 200, referee=referee,
                           error=error)


@blueprint.route("/applications/<int:application_id>/submit", methods=["GET", "POST"])
def application_submit(application_id):
    """Check your answers: every lot and price, answer, document and referee, each with a way to change it; the
    application is submitted from here."""
    application = _own(application_id)
    moment = now()
    error = None
    if request.method == "POST":
        try:
            applications.submit(current_user, application, moment)
        except DomainError as problem:
            error = problem.message
        else:
            flash("Your application has been submitted", "success")
            return redirect(url_for("supplier.application_receipt", application_id=application.id))
    missing = applications.missing_items(application, moment) if application.is_draft else []
    answers = {answer.question_id: answer.text for answer in application.answers}
    return _render_section("supplier/submit.html", application, 400 if error else 200, missing=missing, error=error,
                           answers=answers, required=applications.required_evidence(application),
                           documents={doc.kind: doc for doc in application.documents}, labels=EVIDENCE_KINDS)


@blueprint.route("/applications/<int:application_id>/receipt")
def application_receipt(application_id):
    application = _own(application_id)
    if application.is_draft:
        return redirect(url_for("supplier.application", application_id=application.id))
    return render_template("supplier/receipt.html", application=application, labels=EVIDENCE_KINDS)


@blueprint.route("/team", methods=["GET", "POST"])
def team():
    """The provider's people. Its user administrators invite colleagues and manage their roles and accounts."""
    organisation = current_user.organisation
    manages = staff.may_manage_colleagues(current_user)
    form = StaffInviteForm()
    form.roles.choices = role_choices(accounts.allowed_roles(current_user, organisation))
    if request.method == "POST" and not manages:
        abort(403)
    if form.validate_on_submit():
        try:
            accounts.invite(current_user, organisation, form.email.data, set(form.roles.data), now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"Invitation sent to {form.email.data}", "success")
            return redirect(url_for("supplier.team"))
    people = db.paginate(staff.staff_query(organisation), page=request.args.get("page", 1, type=int),
                         per_page=25, error_out=False)
    pending = accounts.pending_invitations(organisation, now())
    status = 400 if form.errors or form.form_errors else 200
    return render_template("supplier/team.html", form=form, pending=pending, people=people, manages=manages), status


def _colleague(user_id: int):
    if not staff.may_manage_colleagues(current_user):
        abort(403)
    try:
        return staff.colleague(current_user, user_id)
    except NotFound:
        abort(404)


@blueprint.route("/team/<int:user_id>", methods=["GET", "POST"])
def team_member(user_id):
    user = _colleague(user_id)
    form = StaffRolesForm()
    form.roles.choices = role_choices(accounts.allowed_roles(current_user, user.organisation))
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
    elif form.validate_on_submit():
        try:
            accounts.change_roles(current_user, user, set(form.roles.data), now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"Roles of {user.name} saved", "success")
            return redirect(url_for("supplier.team_member", user_id=user.id))
    return render_template("supplier/team_member.html", user=user, form=form, limit_form=None, weekly=None,
                           may_manage=True), 400 if form.errors or form.form_errors else 200


@blueprint.route("/team/invitations/<int:invitation_id>/withdraw", methods=["POST"])
def team_invitation_withdraw(invitation_id):
    if not staff.may_manage_colleagues(current_user):
        abort(403)
    withdraw_invitation_from_request(invitation_id, now())
    return redirect(url_for("supplier.team"))


@blueprint.route("/team/<int:user_id>/active", methods=["POST"])
def team_member_active(user_id):
    user = _colleague(user_id)
    set_active_from_request(user, now())
    return redirect(url_for("supplier.team_member", user_id=user.id))


@blueprint.route("/applications/<int:application_id>/clarifications", methods=["GET", "POST"])
def clarifications(application_id):
    application = _own(application_id)
    errors = {}
    if request.method == "POST":
        clarification_id = request.form.get("clarification_id", type=int) or 0
        try:
            evaluations.answer_clarification(current_user, application, clarification_id,
                                             request.form.get("answer", ""), now())
        except NotFound:
            abort(404)
        except DomainError as error:
            db.session.rollback()
            errors[clarification_id] = error.message
        else:
            flash("Your answer has been sent to the evaluators", "success")
            return redirect(url_for("supplier.clarifications", application_id=application.id))
    return render_template("supplier/clarifications.html", application=application,
                           errors=errors), 400 if errors else 200


@blueprint.route("/caution", methods=["GET", "POST"])
def caution():
    """The provider's own caution: where it applies, the evidence sent, the decisions; and a form to send more."""
    form = CautionEvidenceForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            cautions.send_evidence(current_user, note=form.note.data, filename=upload.filename if upload else "",
                                   data=upload.read() if upload else b"", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Your evidence has been sent to the lead authority", "success")
            return redirect(url_for("supplier.caution"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("supplier/caution.html", form=form,
                           summary=cautions.summary_for_provider(current_user, request.args.get("page", 1, type=int))
                           ), status


def _published(application_id: int):
    application = _own(application_id)
    if not outcomes.published_for_provider(current_user, application):
        abort(404)
    return application


@blueprint.route("/applications/<int:application_id>/outcome")
def outcome(application_id):
    application = _published(application_id)
    return render_template("supplier/outcome.html", application=application,
                           tier_lines=outcomes.published_tier_lines(application),
                           current_lines=outcomes.own_tier_lines(application), retiered_since=outcomes.retiered_since,
                           scores=sorted(application.moderated_scores, key=lambda m: m.question.number))


@blueprint.route("/applications/<int:application_id>/letter.pdf")
def letter(application_id):
    from flask import Response

    from portal.documents.evaluation import outcome_letter

    application = _published(application_id)
    pdf = outcome_letter(application, issued_at=application.window.outcomes_published_at)
    name = f"{application.window.dps.reference}-{application.window.label.replace(' ', '-')}-outcome-letter.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


from supplier import (  # noqa: E402,F401
    agreements,
    annual_reviews,
    compliance,
    contracts,
    ladder,
    placements,
    referrals,
    returns,
    settings,
    vacancies,
)
