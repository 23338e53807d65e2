"""The provider's annual contract reviews: complete the self-assessment (save, then submit), answer a request for
more evidence, comment on the rating, read the action plan and mark its actions done. The rules live in
portal.services.annual_reviews."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.clock import now
from portal.documents.annual_review import action_plan
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import add_domain_error
from portal.models.annual_review import ISSUED
from portal.services import annual_reviews
from supplier.annual_review_forms import ActionDoneForm, AnswersForm, CommentForm
from supplier.views import blueprint


def _review(review_id: int):
    try:
        return annual_reviews.own_review(current_user, review_id)
    except NotFound:
        abort(404)


def _page(review, *, answers_form=None, comment_form=None, done_form=None, done_id=None, answer_errors=None,
          status=200):
    done_forms = {action.id: ActionDoneForm(formdata=None, prefix=f"done-{action.id}") for action in review.actions}
    if done_form is not None:
        done_forms[done_id] = done_form
    posted = answers_form or comment_form or done_form
    return render_template("supplier/annual_reviews/review.html", review=review,
                           answers_form=answers_form or AnswersForm(formdata=None),
                           comment_form=comment_form or CommentForm(formdata=None, comment=review.provider_comment),
                           done_forms=done_forms, posted_form=posted, answer_errors=answer_errors or {},
                           answer_values=request.form if answers_form is not None else {},
                           overdue_actions=annual_reviews.overdue_actions(review, now())), status


@blueprint.route("/annual-reviews")
def annual_reviews_list():
    page = annual_reviews.own_reviews(current_user, page=request.args.get("page", 1, type=int))
    return render_template("supplier/annual_reviews/list.html", page=page)


@blueprint.route("/annual-reviews/<int:review_id>", methods=["GET", "POST"])
def annual_review(review_id):
    review = _review(review_id)
    if request.method == "GET":
        return _page(review)
    form = AnswersForm()
    if not form.validate_on_submit():
        form.form_errors.append("The form has expired. Send it again.")
        return _page(review, answers_form=form, status=400)
    submit = bool(form.submit.data)
    answers = {answer.id: request.form.get(f"answer_{answer.id}", "") for answer in review.answers}
    try:
        annual_reviews.save_answers(current_user, review, answers, submit=submit, now=now(), version=form.version.data)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        errors = {}
        for field, message in (getattr(error, "errors", None) or {(error.field or ""): error.message}).items():
            if field:
                errors[field] = message
            else:
                form.form_errors.append(message)
        return _page(_review(review_id), answers_form=form, answer_errors=errors, status=400)
    flash("Self-assessment submitted: the contract manager moderates it next" if submit else "Answers saved",
          "success")
    return redirect(url_for("supplier.annual_review", review_id=review_id))


@blueprint.route("/annual-reviews/<int:review_id>/comment", methods=["POST"])
def annual_review_comment(review_id):
    review = _review(review_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            annual_reviews.comment(current_user, review, form.comment.data or "", now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
            return _page(_review(review_id), comment_form=form, status=400)
        flash("Your comment was sent to the contract manager", "success")
        return redirect(url_for("supplier.annual_review", review_id=review_id))
    form.form_errors.append("The form has expired. Send it again.")
    return _page(review, comment_form=form, status=400)


@blueprint.route("/annual-reviews/<int:review_id>/actions/<int:action_id>/done", methods=["POST"])
def annual_review_action_done(review_id, action_id):
    review = _review(review_id)
    form = ActionDoneForm(prefix=f"done-{action_id}")
    if form.validate_on_submit():
        try:
            annual_reviews.complete_action(current_user, review, action_id, note=form.note.data or "", now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
            return _page(_review(review_id), done_form=form, done_id=action_id, status=400)
        flash("Action marked done", "success")
        return redirect(url_for("supplier.annual_review", review_id=review_id))
    form.form_errors.append("The form has expired. Send it again.")
    return _page(review, done_form=form, done_id=action_id, status=400)


@blueprint.route("/annual-reviews/<int:review_id>/action-plan.pdf")
def annual_review_pdf(review_id):
    review = _review(review_id)
    if review.status != ISSUED:
        abort(404)
    name = f"{review.contract.dps.reference}-annual-review-action-plan.pdf"
    return Response(action_plan(review), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
