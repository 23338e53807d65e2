"""The self-assessment questionnaire of the annual contract review, per DPS, edited by the lead's administrators
and versioned (portal.services.annual_reviews)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from admin.views import blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import FlaskForm, GovSubmitInput, GovTextArea, SubmitField, TextAreaField, add_domain_error
from portal.services import annual_reviews, dps_setup


class ReviewQuestionForm(FlaskForm):
    text = TextAreaField("Question", widget=GovTextArea())
    guidance = TextAreaField("Guidance for the provider (optional)", widget=GovTextArea(),
                             description="For example, the evidence that supports an answer")
    submit = SubmitField("Save the question", widget=GovSubmitInput())


class PlainForm(FlaskForm):
    """A button only (CSRF-protected)."""


def _dps(dps_id: int):
    try:
        return dps_setup.dps_for_lead(current_user, dps_id)
    except NotFound:
        abort(404)


def _question(dps, question_id: int):
    try:
        return annual_reviews.question_of(current_user, dps, question_id)
    except NotFound:
        abort(404)


@blueprint.route("/dps/<int:dps_id>/review-questions", methods=["GET", "POST"])
def review_questions(dps_id):
    """The latest version's questions, and a form to add one while it is not locked."""
    dps = _dps(dps_id)
    form = ReviewQuestionForm()
    status = 200
    if form.validate_on_submit():
        try:
            question = annual_reviews.add_question(current_user, dps, text=form.text.data or "",
                                                   guidance=form.guidance.data or "", now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
            status = 400
        else:
            flash(f"Question {question.number} added", "success")
            return redirect(url_for("admin.review_questions", dps_id=dps.id))
    elif form.is_submitted():
        form.form_errors.append("The form has expired. Send it again.")
        status = 400
    return render_template("admin/review_questions.html", dps=dps, form=form, remove_form=PlainForm(formdata=None),
                           questionnaire=annual_reviews.questionnaire_of(dps.id)), status


@blueprint.route("/dps/<int:dps_id>/review-questions/<int:question_id>", methods=["GET", "POST"])
def review_question_edit(dps_id, question_id):
    dps = _dps(dps_id)
    question = _question(dps, question_id)
    form = ReviewQuestionForm(obj=question)
    status = 200
    if form.validate_on_submit():
        try:
            annual_reviews.edit_question(current_user, dps, question, text=form.text.data or "",
                                         guidance=form.guidance.data or "", now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
            status = 400
        else:
            flash(f"Question {question.number} changed", "success")
            return redirect(url_for("admin.review_questions", dps_id=dps.id))
    elif form.is_submitted():
        form.form_errors.append("The form has expired. Send it again.")
        status = 400
    return render_template("admin/review_question.html", dps=dps, question=question, form=form), status


@blueprint.route("/dps/<int:dps_id>/review-questions/<int:question_id>/remove", methods=["POST"])
def review_question_remove(dps_id, question_id):
    dps = _dps(dps_id)
    question = _question(dps, question_id)
    if not PlainForm().validate_on_submit():
        flash("The form has expired. Send it again.", "error")
        return redirect(url_for("admin.review_questions", dps_id=dps.id))
    try:
        annual_reviews.remove_question(current_user, dps, question, now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash("Question removed", "success")
    return redirect(url_for("admin.review_questions", dps_id=dps.id))


@blueprint.route("/dps/<int:dps_id>/review-questions/new-version", methods=["POST"])
def review_questions_new_version(dps_id):
    dps = _dps(dps_id)
    if not PlainForm().validate_on_submit():
        flash("The form has expired. Send it again.", "error")
        return redirect(url_for("admin.review_questions", dps_id=dps.id))
    try:
        copy = annual_reviews.new_version(current_user, dps, now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"Version {copy.version} made: later reviews are sent with it", "success")
    return redirect(url_for("admin.review_questions", dps_id=dps.id))
