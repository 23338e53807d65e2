"""The annual contract review at an authority: the contract manager sends the questionnaire, moderates the
answers, records the meeting and the costs, rates and issues the action plan; every member authority's contract
readers read it. Every endpoint is named `contracts_…` (buyer/views.py). The rules live in
portal.services.annual_reviews."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from buyer.annual_review_forms import (
    ActionDoneForm,
    ActionForm,
    CostCheckForm,
    IssueForm,
    MeetingForm,
    ModerationForm,
    PlainForm,
    RatingForm,
    SendForm,
)
from buyer.views import blueprint
from portal.clock import now
from portal.documents.annual_review import action_plan
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import add_domain_error
from portal.models.annual_review import ISSUED, MODERATION_LABELS, STATUS_LABELS
from portal.services import annual_reviews, contracts

POSTED_FORMS = ("moderation", "meeting", "cost", "rating", "action", "issue", "done")


@blueprint.app_template_global("annual_review_tasks")
def annual_review_tasks():
    """The Tasks page's section of the annual reviews, for the signed-in contract manager."""
    return annual_reviews.tasks_for(current_user, now())


def _review(review_id: int):
    try:
        return annual_reviews.review_for_reader(current_user, review_id)
    except NotFound:
        abort(404)


def _managed(review_id: int):
    """The review, for its contract manager: others who read it get 403."""
    review = _review(review_id)
    if not annual_reviews.is_manager(current_user, review.contract):
        abort(403)
    return review


def _page(review, *, posted: str | None = None, form=None, item_id: int | None = None, status: int = 200):
    moment = now()
    forms = {"moderation": ModerationForm(formdata=None), "meeting": MeetingForm(formdata=None, prefix="meeting"),
             "rating": RatingForm(formdata=None, prefix="rating"), "action": ActionForm(formdata=None, prefix="action"),
             "issue": IssueForm(formdata=None), "remove": PlainForm(formdata=None)}
    if review.meeting_on is not None:
        forms["meeting"] = MeetingForm(formdata=None, prefix="meeting", held_on=review.meeting_on,
                                       attendees=review.meeting_attendees, notes=review.meeting_notes)
    if review.rating:
        forms["rating"] = RatingForm(formdata=None, prefix="rating", rating=review.rating,
                                     risk_factors=review.risk_factor_keys, notes=review.rating_notes,
                                     best_practice=review.best_practice)
    lines = annual_reviews.cost_lines(review, moment)
    cost_forms = {line.placement.id: CostCheckForm(formdata=None, prefix=f"cost-{line.placement.id}",
                                                   outcome=line.check.outcome if line.check else None,
                                                   note=line.check.note if line.check else "")
                  for line in lines}
    done_forms = {action.id: ActionDoneForm(formdata=None, prefix=f"done-{action.id}") for action in review.actions}
    if posted == "cost":
        cost_forms[item_id] = form
    elif posted == "done":
        done_forms[item_id] = form
    elif posted:
        forms[posted] = form
    return render_template("buyer/contracts/annual_review.html", review=review, forms=forms, cost_forms=cost_forms,
                           done_forms=done_forms,
                           lines=lines, posted=posted, posted_form=form, moment=moment,
                           is_manager=annual_reviews.is_manager(current_user, review.contract),
                           overdue_actions=annual_reviews.overdue_actions(review, moment),
                           moderation_labels=MODERATION_LABELS,
                           moderation_errors=getattr(form, "answer_errors", {}) if posted == "moderation" else {},
                           moderation_values=request.form if posted == "moderation" else {}), status


def _failed(form, error: DomainError) -> None:
    db.session.rollback()
    add_domain_error(form, error)


@blueprint.route("/contracts/annual-reviews")
def contracts_annual_reviews():
    """The annual reviews of the providers the user manages, open ones first."""
    status = request.args.get("status", "open")
    if status not in ("", "open", *STATUS_LABELS):
        status = "open"
    page = annual_reviews.managed_reviews(current_user, status=status, page=request.args.get("page", 1, type=int))
    return render_template("buyer/contracts/annual_reviews.html", page=page, status=status,
                           status_labels=STATUS_LABELS)


@blueprint.route("/contracts/dps/<int:dps_id>/providers/<int:provider_id>/annual-review", methods=["GET", "POST"])
def contracts_annual_review_new(dps_id, provider_id):
    """Send the year's self-assessment questionnaire to the provider."""
    try:
        contract = contracts.contract_of(current_user, dps_id, provider_id)
    except NotFound:
        abort(404)
    if not annual_reviews.is_manager(current_user, contract):
        abort(403)
    form = SendForm()
    if form.validate_on_submit():
        try:
            review = annual_reviews.send(current_user, contract, due_on=form.due_on.data,
                                         documents=form.documents.data or "", now=now())
        except DomainError as error:
            _failed(form, error)
        else:
            flash(f"The questionnaire was sent to {contract.provider.name}", "success")
            return redirect(url_for("buyer.contracts_annual_review", review_id=review.id))
    elif request.method == "POST":
        form.form_errors.append("The form has expired. Send it again.")
    return render_template("buyer/contracts/annual_review_new.html", contract=contract, form=form,
                           questionnaire=annual_reviews.questionnaire_of(contract.dps_id),
                           summary=annual_reviews.summary_for(contract, current_user, now())), \
        400 if form.errors or form.form_errors else 200


@blueprint.route("/contracts/annual-reviews/<int:review_id>")
def contracts_annual_review(review_id):
    return _page(_review(review_id))


@blueprint.route("/contracts/annual-reviews/<int:review_id>/moderate", methods=["POST"])
def contracts_annual_review_moderate(review_id):
    review = _managed(review_id)
    form = ModerationForm()
    form.answer_errors = {}
    if form.validate_on_submit():
        decisions = {answer.id: (request.form.get(f"moderation_{answer.id}", ""),
                                 request.form.get(f"note_{answer.id}", "")) for answer in review.answers}
        try:
            annual_reviews.moderate(current_user, review, decisions, now=now(), version=form.version.data)
        except DomainError as error:
            db.session.rollback()
            for field, message in (getattr(error, "errors", None) or {(error.field or ""): error.message}).items():
                if field:
                    form.answer_errors[field] = message
                else:
                    form.form_errors.append(message)
            return _page(_review(review_id), posted="moderation", form=form, status=400)
        flash("Moderation saved", "success")
        return redirect(url_for("buyer.contracts_annual_review", review_id=review.id))
    form.form_errors.append("The form has expired. Send it again.")
    return _page(review, posted="moderation", form=form, status=400)


def _simple_post(review_id: int, posted: str, form, act, message: str, *, item_id=None):
    review = _managed(review_id)
    if form.validate_on_submit():
        try:
            act(review)
        except NotFound:
            abort(404)
        except DomainError as error:
            _failed(form, error)
            return _page(_review(review_id), posted=posted, form=form, item_id=item_id, status=400)
        flash(message, "success")
        return redirect(url_for("buyer.contracts_annual_review", review_id=review_id))
    if not form.errors:
        form.form_errors.append("The form has expired. Send it again.")
    return _page(review, posted=posted, form=form, item_id=item_id, status=400)


@blueprint.route("/contracts/annual-reviews/<int:review_id>/meeting", methods=["POST"])
def contracts_annual_review_meeting(review_id):
    form = MeetingForm(prefix="meeting")
    return _simple_post(review_id, "meeting", form, lambda review: annual_reviews.record_meeting(
        current_user, review, held_on=form.held_on.data, attendees=form.attendees.data or "",
        notes=form.notes.data or "", now=now()), "Meeting recorded")


@blueprint.route("/contracts/annual-reviews/<int:review_id>/costs/<int:placement_id>", methods=["POST"])
def contracts_annual_review_cost(review_id, placement_id):
    form = CostCheckForm(prefix=f"cost-{placement_id}")
    return _simple_post(review_id, "cost", form, lambda review: annual_reviews.record_cost_check(
        current_user, review, placement_id, outcome=form.outcome.data or "", note=form.note.data or "", now=now()),
        "Cost review recorded", item_id=placement_id)


@blueprint.route("/contracts/annual-reviews/<int:review_id>/rating", methods=["POST"])
def contracts_annual_review_rating(review_id):
    form = RatingForm(prefix="rating")
    return _simple_post(review_id, "rating", form, lambda review: annual_reviews.rate(
        current_user, review, rating=form.rating.data or "", risk_factors=form.risk_factors.data or [],
        notes=form.notes.data or "", best_practice=form.best_practice.data or "", now=now()), "Rating given")


@blueprint.route("/contracts/annual-reviews/<int:review_id>/actions", methods=["POST"])
def contracts_annual_review_action(review_id):
    form = ActionForm(prefix="action")
    return _simple_post(review_id, "action", form, lambda review: annual_reviews.add_action(
        current_user, review, text=form.text.data or "", owner=form.owner.data or "", due_on=form.due_on.data,
        now=now()), "Action added to the plan")


@blueprint.route("/contracts/annual-reviews/<int:review_id>/actions/<int:action_id>/remove", methods=["POST"])
def contracts_annual_review_action_remove(review_id, action_id):
    form = PlainForm()
    return _simple_post(review_id, "remove", form, lambda review: annual_reviews.remove_action(
        current_user, review, action_id, now()), "Action removed from the plan")


@blueprint.route("/contracts/annual-reviews/<int:review_id>/issue", methods=["POST"])
def contracts_annual_review_issue(review_id):
    form = IssueForm()
    return _simple_post(review_id, "issue", form, lambda review: annual_reviews.issue(
        current_user, review, now(), version=form.version.data), "Action plan issued to the provider")


@blueprint.route("/contracts/annual-reviews/<int:review_id>/actions/<int:action_id>/done", methods=["POST"])
def contracts_annual_review_action_done(review_id, action_id):
    form = ActionDoneForm(prefix=f"done-{action_id}")
    return _simple_post(review_id, "done", form, lambda review: annual_reviews.complete_action(
        current_user, review, action_id, note=form.note.data or "", now=now()), "Action recorded as done",
        item_id=action_id)


@blueprint.route("/contracts/annual-reviews/<int:review_id>/action-plan.pdf")
def contracts_annual_review_pdf(review_id):
    review = _review(review_id)
    if review.status != ISSUED:
        abort(404)
    name = f"{review.contract.dps.reference}-annual-review-{review.id}-action-plan.pdf"
    return Response(action_plan(review), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
