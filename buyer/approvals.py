"""Approval pages: a request with its figures, the answer (approve, or refuse with a reason) by someone who may
give it, and the requester's withdrawal. Who may answer is decided by portal.services.approvals."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from buyer.approval_forms import AnswerForm, WithdrawRequestForm
from buyer.views import blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.forms import add_domain_error
from portal.models.user import ROLE_LABELS
from portal.services import approvals


def _approval(approval_id: int):
    try:
        return approvals.get_for_authority(current_user, approval_id)
    except NotFound:
        abort(404)


def _render(approval, *, form=None, status=200):
    role = approvals.role_to_answer(current_user, approval)
    return render_template(
        "buyer/approvals/approval.html", approval=approval, subject=approval.subject, role=role,
        role_label=ROLE_LABELS.get(role, ""), own=approval.requested_by_id == current_user.id,
        figures=approvals.shows_figures(approval), decided=approvals.decision_rows(approval),
        why_not=approvals.why_not(current_user, approval) if approval.is_pending and role is None else "",
        form=form or AnswerForm(formdata=None), withdraw_form=WithdrawRequestForm(formdata=None)), status


@blueprint.route("/approvals/<int:approval_id>")
def approval(approval_id):
    return _render(_approval(approval_id))


@blueprint.route("/approvals/<int:approval_id>/answer", methods=["POST"])
def approval_answer(approval_id):
    approval = _approval(approval_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            if form.decision.data not in ("approve", "refuse"):
                raise DomainError("Choose whether you approve or refuse", field="decision")
            approvals.answer(current_user, approval, approve=form.decision.data == "approve",
                             reason=form.reason.data or "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"{approval.kind_label}: {approval.status_label.lower()}. {approval.requested_by.name} is told.",
                  "success")
            return redirect(url_for("buyer.tasks"))
    return _render(approval, form=form, status=400)


@blueprint.route("/approvals/<int:approval_id>/withdraw", methods=["POST"])
def approval_withdraw(approval_id):
    approval = _approval(approval_id)
    form = WithdrawRequestForm()
    if form.validate_on_submit():
        try:
            approvals.withdraw(current_user, approval, now())
        except DomainError as error:
            shown = AnswerForm(formdata=None)  # the page's error summary
            add_domain_error(shown, DomainError(error.message))
            return _render(approval, form=shown, status=400)
        flash("Request withdrawn", "success")
    return redirect(url_for("buyer.approval", approval_id=approval.id))
