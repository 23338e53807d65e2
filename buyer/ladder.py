"""The escalation ladder at an authority: performance issues, contract reviews, sanctions (propose, record a
notice met, review a suspension, escalate), letters and appeal decisions. Every endpoint is named `contracts_…`
(contract managers and deciders reach them); portal.services.ladder decides who may do what."""

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from buyer.ladder_forms import (
    ActionDoneForm,
    AppealDecisionForm,
    CloseIssueForm,
    CloseReviewForm,
    IssueForm,
    NoticeMetForm,
    ProposeForm,
    ReviewForm,
    SuspensionReviewForm,
    action_rows,
)
from buyer.views import blueprint
from portal.clock import now
from portal.documents import sanction_letter
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import add_domain_error, choices, record_id
from portal.models import LadderAction, Placement, Referral
from portal.services import approvals, contracts, ladder, uploads
from portal.timezone import uk_today


def _found(function, *args):
    try:
        return function(*args)
    except NotFound:
        abort(404)


def _manager_only(contract) -> None:
    """Actions only a contract manager takes: anyone else who reads the contract is refused (403)."""
    if not ladder.is_manager(current_user, contract):
        abort(403)


def _placements(contract):
    """The user's own authority's placements with the provider on the DPS, for the issue form (one query)."""
    rows = db.session.scalars(db.select(Placement).join(Referral, Referral.id == Placement.referral_id).where(
        Placement.provider_id == contract.provider_id, Placement.authority_id == current_user.organisation_id,
        Referral.dps_id == contract.dps_id).order_by(Placement.start_date.desc(), Placement.id.desc()).limit(200))
    return choices([("", "Not about one placement")] + [(str(p.id), p.agreement_reference) for p in rows])


# Performance issues ------------------------------------------------------------------------------------------

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


@blueprint.route("/contracts/dps/<int:dps_id>/providers/<int:provider_id>/issues/new", methods=["GET", "POST"])
def contracts_issue_new(dps_id, provider_id):
    contract = _found(contracts.contract_of, current_user, dps_id, provider_id)
    if not ladder.may_raise(current_user, contract):
        abort(403)  # a decider reads the contract but raises no issue
    form = IssueForm()
    form.placement_id.choices = _placements(contract)
    if request.method == "POST" and form.validate_on_submit():
        try:
            issue = ladder.raise_issue(current_user, contract, severity=form.severity.data or "",
                                       description=form.description.data, actions=action_rows(form),
                                       placement_id=record_id(form.placement_id.data), now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("This issue was already raised: nothing changed." if issue.already_raised else
                  "Issue raised: the contract manager and the provider are told." if issue.status == "open" else
                  "Issue recorded: it is raised once your head of service or a budget holder agrees.", "success")
            return redirect(url_for("buyer.contracts_issue", issue_id=issue.id))
    return render_template("buyer/ladder/issue_new.html", contract=contract, form=form), \
        400 if request.method == "POST" else 200


@blueprint.route("/contracts/issues/<int:issue_id>")
def contracts_issue(issue_id):
    issue = _found(ladder.issue_for, current_user, issue_id)
    return render_template("buyer/ladder/issue.html", issue=issue, done_form=ActionDoneForm(formdata=None),
                           close_form=CloseIssueForm(formdata=None), today=uk_today(now()),
                           may_act=ladder.is_manager(current_user, issue.contract),
                           approval=approvals.latest(issue, "significant_issue"))


def _action(owner_attribute: str, owner_id: int, action_id: int) -> LadderAction:
    action = db.session.get(LadderAction, action_id)
    if action is None or getattr(action, owner_attribute) != owner_id:
        abort(404)
    return action


@blueprint.route("/contracts/issues/<int:issue_id>/actions/<int:action_id>/done", methods=["POST"])
def contracts_issue_action_done(issue_id, action_id):
    issue = _found(ladder.issue_for, current_user, issue_id)
    _manager_only(issue.contract)
    return _action_done(_action("issue_id", issue.id, action_id), url_for("buyer.contracts_issue", issue_id=issue.id))


def _action_done(action, back):
    form = ActionDoneForm()
    if form.validate_on_submit():
        try:
            ladder.action_done(current_user, action, note=form.note.data or "", now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("Action recorded as done", "success")
    return redirect(back)


@blueprint.route("/contracts/issues/<int:issue_id>/close", methods=["POST"])
def contracts_issue_close(issue_id):
    issue = _found(ladder.issue_for, current_user, issue_id)
    if CloseIssueForm().validate_on_submit():
        try:
            ladder.close_issue(current_user, issue, now())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("Issue closed", "success")
    return redirect(url_for("buyer.contracts_issue", issue_id=issue.id))


# Contract reviews --------------------------------------------------------------------------------------------

@blueprint.route("/contracts/dps/<int:dps_id>/providers/<int:provider_id>/reviews/new", methods=["GET", "POST"])
def contracts_review_new(dps_id, provider_id):
    contract = _found(contracts.contract_of, current_user, dps_id, provider_id)
    _manager_only(contract)
    form = ReviewForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            review = ladder.open_review(current_user, contract, breach=form.breach.data or "",
                                       details=form.details.data, now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Contract review opened", "success")
            return redirect(url_for("buyer.contracts_review", review_id=review.id))
    return render_template("buyer/ladder/review_new.html", contract=contract, form=form), \
        400 if request.method == "POST" else 200


def _render_review(review, *, propose_form=None, close_form=None, status=200):
    return render_template("buyer/ladder/review.html", review=review, may_act=ladder.is_manager(current_user,
                                                                                                review.contract),
                           propose_form=propose_form or ProposeForm(formdata=None),
                           close_form=close_form or CloseReviewForm(formdata=None),
                           sanctions=db.session.scalars(db.select(ladder.Sanction).where(
                               ladder.Sanction.review_id == review.id)).all()), status


@blueprint.route("/contracts/reviews/<int:review_id>")
def contracts_review(review_id):
    return _render_review(_found(ladder.review_for, current_user, review_id))


@blueprint.route("/contracts/reviews/<int:review_id>/propose", methods=["POST"])
def contracts_review_propose(review_id):
    review = _found(ladder.review_for, current_user, review_id)
    _manager_only(review.contract)
    form = ProposeForm()
    sanction = _propose(form, review.contract, review=review)
    if sanction is not None:
        return redirect(url_for("buyer.contracts_sanction", sanction_id=sanction.id))
    return _render_review(review, propose_form=form, status=400)


def _propose(form: ProposeForm, contract, **where):
    """The step the valid form proposes (after a review, or escalating a step: `where`), or None with the
    problems on the form."""
    if not form.validate_on_submit():
        return None
    try:
        step = ladder.propose(current_user, contract, kind=form.kind.data or "", grounds=form.grounds.data,
                              review_on=form.review_on.data, actions=action_rows(form), now=now(), **where)
    except NotFound:
        abort(404)
    except DomainError as error:
        add_domain_error(form, error)
        return None
    flash(f"{step.kind_label} proposed: the lead's deciders are asked to approve it.", "success")
    return step


@blueprint.route("/contracts/reviews/<int:review_id>/close", methods=["POST"])
def contracts_review_close(review_id):
    review = _found(ladder.review_for, current_user, review_id)
    _manager_only(review.contract)
    form = CloseReviewForm()
    if form.validate_on_submit():
        try:
            ladder.close_review(current_user, review, outcome=form.outcome.data, now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Contract review completed with no sanction", "success")
            return redirect(url_for("buyer.contracts_review", review_id=review.id))
    return _render_review(review, close_form=form, status=400)


# Sanctions and appeals ---------------------------------------------------------------------------------------

def _render_sanction(sanction, *, met_form=None, review_form=None, escalate_form=None, appeal_form=None,
                     status=200):
    moment = now()
    return render_template(
        "buyer/ladder/sanction.html", sanction=sanction, case=ladder.case_of(sanction), today=uk_today(moment),
        may_act=ladder.is_manager(current_user, sanction.contract),
        approval=approvals.latest(sanction, ladder.KIND_FOR[sanction.kind]),
        may_decide=sanction.appeal is not None and ladder.may_decide_appeal(current_user, sanction.appeal),
        done_form=ActionDoneForm(formdata=None), met_form=met_form or NoticeMetForm(formdata=None),
        review_form=review_form or SuspensionReviewForm(formdata=None),
        escalate_form=escalate_form or ProposeForm(formdata=None),
        appeal_form=appeal_form or AppealDecisionForm(formdata=None)), status


@blueprint.route("/contracts/sanctions/<int:sanction_id>")
def contracts_sanction(sanction_id):
    return _render_sanction(_found(ladder.sanction_for, current_user, sanction_id))


@blueprint.route("/contracts/sanctions/<int:sanction_id>/letter.pdf")
def contracts_sanction_letter(sanction_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    return Response(sanction_letter.letter(sanction, issued_at=sanction.in_force_at or sanction.proposed_at),
                    mimetype="application/pdf", headers={
                        "Content-Disposition": f'attachment; filename="{sanction_letter.filename(sanction)}"',
                        "Cache-Control": "no-store"})


@blueprint.route("/contracts/sanctions/<int:sanction_id>/actions/<int:action_id>/done", methods=["POST"])
def contracts_sanction_action_done(sanction_id, action_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    _manager_only(sanction.contract)
    return _action_done(_action("sanction_id", sanction.id, action_id),
                        url_for("buyer.contracts_sanction", sanction_id=sanction.id))


@blueprint.route("/contracts/sanctions/<int:sanction_id>/met", methods=["POST"])
def contracts_sanction_met(sanction_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    _manager_only(sanction.contract)
    form = NoticeMetForm()
    if form.validate_on_submit():
        try:
            ladder.end_notice(current_user, sanction, reason=form.reason.data, now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Notice to improve recorded as met: the provider is told", "success")
            return redirect(url_for("buyer.contracts_sanction", sanction_id=sanction.id))
    return _render_sanction(sanction, met_form=form, status=400)


@blueprint.route("/contracts/sanctions/<int:sanction_id>/review", methods=["POST"])
def contracts_sanction_review(sanction_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    _manager_only(sanction.contract)
    form = SuspensionReviewForm()
    if form.validate_on_submit():
        try:
            ladder.review_suspension(current_user, sanction, decision=form.decision.data or "",
                                     reason=form.reason.data, review_on=form.review_on.data, now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Suspension review recorded: the provider is told", "success")
            return redirect(url_for("buyer.contracts_sanction", sanction_id=sanction.id))
    return _render_sanction(sanction, review_form=form, status=400)


@blueprint.route("/contracts/sanctions/<int:sanction_id>/escalate", methods=["POST"])
def contracts_sanction_escalate(sanction_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    _manager_only(sanction.contract)
    form = ProposeForm()
    step = _propose(form, sanction.contract, previous=sanction)
    if step is not None:
        return redirect(url_for("buyer.contracts_sanction", sanction_id=step.id))
    return _render_sanction(sanction, escalate_form=form, status=400)


@blueprint.route("/contracts/sanctions/<int:sanction_id>/appeal", methods=["POST"])
def contracts_appeal_decide(sanction_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    if sanction.appeal is None:
        abort(404)
    if not current_user.has_role(*ladder.APPEAL_DECIDERS):
        abort(403)
    form = AppealDecisionForm()
    if form.validate_on_submit():
        try:
            ladder.decide_appeal(current_user, sanction.appeal, outcome=form.outcome.data or "",
                                 reason=form.reason.data, reduced_to=form.reduced_to.data,
                                 review_on=form.review_on.data, actions=action_rows(form), now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Appeal {sanction.appeal.outcome_label.lower()}: the provider and the contract manager are told",
                  "success")
            return redirect(url_for("buyer.contracts_sanction", sanction_id=sanction.id))
    return _render_sanction(sanction, appeal_form=form, status=400)


@blueprint.app_template_global("ladder_tasks")
def ladder_tasks():
    """The Tasks page's section of the ladder: overdue actions, suspension reviews and contract reviews for a
    contract manager; appeals to decide for the lead's heads of service and assistant directors."""
    return ladder.tasks_for(current_user, now())


@blueprint.route("/contracts/sanctions/<int:sanction_id>/appeal/document")
def contracts_appeal_document(sanction_id):
    sanction = _found(ladder.sanction_for, current_user, sanction_id)
    return send_appeal_document(sanction.appeal)
