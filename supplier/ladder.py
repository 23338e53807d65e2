"""The provider's side of the escalation ladder: its performance issues and sanctions (the whole ladder of its own
case, with letters), recording actions done, and appealing a sanction. portal.services.ladder decides who may see
what: a provider sees only its own records, and nothing proposed but not yet issued."""

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from portal.clock import now
from portal.documents import sanction_letter
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import add_domain_error
from portal.models import LadderAction
from portal.services import ladder, uploads
from portal.timezone import uk_today
from supplier.ladder_forms import ActionDoneForm, AppealForm
from supplier.views import blueprint


def _found(function, *args):
    try:
        return function(*args)
    except NotFound:
        abort(404)


def _action(owner_attribute: str, owner_id: int, action_id: int) -> LadderAction:
    action = db.session.get(LadderAction, action_id)
    if action is None or getattr(action, owner_attribute) != owner_id:
        abort(404)
    return action


def _done(action, back):
    form = ActionDoneForm()
    if form.validate_on_submit():
        try:
            ladder.action_done(current_user, action, note=form.note.data or "", now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("Action recorded as done: your contract manager is told", "success")
    return redirect(back)


def send_appeal_document(appeal):
    """An appeal's supporting document, once the page checked who may read the sanction."""
    if appeal is None or appeal.document_stored_name is None:
        abort(404)
    path = uploads.path_of(appeal.document_stored_name)
    if not path.exists():
        abort(404)
    _label, mimetype = uploads.ALLOWED_TYPES[appeal.document_type]
    return send_file(path, mimetype=mimetype, as_attachment=True,
                     download_name=uploads.download_name(appeal.document_name, appeal.document_type))


@blueprint.route("/contracts/issues/<int:issue_id>")
def contract_issue(issue_id):
    issue = _found(ladder.issue_for, current_user, issue_id)
    return render_template("supplier/ladder/issue.html", issue=issue, today=uk_today(now()),
                           done_form=ActionDoneForm(formdata=None))


@blueprint.route("/contracts/issues/<int:issue_id>/actions/<int:action_id>/done", methods=["POST"])
def contract_issue_action_done(issue_id, action_id):
    issue = _found(ladder.issue_for, current_user, issue_id)
    return _done(_action("issue_id", issue.id, action_id), url_for("supplier.contract_issue", issue_id=issue.id))


def _render(sanction, *, form=None, status=200):
    moment = now()
    case = [step for step in ladder.case_of(sanction) if step.status not in ladder.NEVER_ISSUED]
    return render_template("supplier/ladder/sanction.html", sanction=sanction, case=case, today=uk_today(moment),
                           may_appeal=ladder.may_appeal(sanction, moment), form=form or AppealForm(formdata=None),
                           done_form=ActionDoneForm(formdata=None)), status


@blueprint.route("/contracts/sanctions/<int:sanction_id>")
def contract_sanction(sanction_id):
    return _render(_found(ladder.sanction_for, current_user, sanction_id))


@blueprint.route("/contracts/sanctions/<int:sanction_id>/letter.pdf")
def contract_sanction_letter(sanction_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    return Response(sanction_letter.letter(sanction, issued_at=sanction.in_force_at or sanction.proposed_at),
                    mimetype="application/pdf", headers={
                        "Content-Disposition": f'attachment; filename="{sanction_letter.filename(sanction)}"',
                        "Cache-Control": "no-store"})


@blueprint.route("/contracts/sanctions/<int:sanction_id>/actions/<int:action_id>/done", methods=["POST"])
def contract_sanction_action_done(sanction_id, action_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    return _done(_action("sanction_id", sanction.id, action_id),
                 url_for("supplier.contract_sanction", sanction_id=sanction.id))


@blueprint.route("/contracts/sanctions/<int:sanction_id>/appeal", methods=["POST"])
def contract_appeal(sanction_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    form = AppealForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            upload = request.files.get("document")
            ladder.appeal(current_user, sanction, grounds=form.grounds.data, now=now(),
                          filename=upload.filename if upload else "", data=upload.read() if upload else b"")
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Appeal sent: someone who took no part in the decision will decide it", "success")
            return redirect(url_for("supplier.contract_sanction", sanction_id=sanction.id))
    return _render(sanction, form=form, status=400)


@blueprint.route("/contracts/sanctions/<int:sanction_id>/appeal/document")
def contract_appeal_document(sanction_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    return send_appeal_document(sanction.appeal)
