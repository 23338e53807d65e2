"""The officer's records of a placement's life: review meetings, cost reviews, the interval between reviews,
feedback from the social worker or IRO, and allegations, safeguarding concerns and incidents. The rules are in
services.reviews and services.placement_records."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from buyer.agreement_forms import CostReviewForm, FeedbackForm, IncidentForm, IntervalForm, OutcomeForm, ReviewForm
from buyer.views import blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.forms import add_domain_error
from portal.models.placement_review import INTERVAL_CHOICES
from portal.services import awards, placement_records, reviews
from portal.timezone import format_date


def _placement(placement_id: int):
    try:
        return awards.placement_for_authority(current_user, placement_id)
    except NotFound:
        abort(404)


def _status(form) -> int:
    return 400 if form.errors or form.form_errors else 200


def _back(placement, message: str):
    flash(message, "success")
    return redirect(url_for("buyer.placement", placement_id=placement.id))


@blueprint.route("/placements/<int:placement_id>/reviews/new", methods=["GET", "POST"])
def placement_review_new(placement_id):
    placement = _placement(placement_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            review = reviews.record_review(current_user, placement, held_on=form.held_on.data,
                                           attendees=form.attendees.data or "", meets_needs=form.meets_needs.data or "",
                                           notes=form.notes.data or "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _back(placement, f"Review of {format_date(review.held_on)} recorded")
    return render_template("buyer/placements/review.html", placement=placement, form=form), _status(form)


@blueprint.route("/placements/<int:placement_id>/costs/<int:cost_id>/review", methods=["GET", "POST"])
def cost_review(placement_id, cost_id):
    placement = _placement(placement_id)
    try:
        cost = reviews.cost_of(current_user, placement, cost_id)
    except NotFound:
        abort(404)
    form = CostReviewForm()
    if form.validate_on_submit():
        try:
            reviews.record_cost_review(current_user, placement, cost, decision=form.decision.data or "",
                                       note=form.note.data or "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _back(placement, f"Review of \u201c{cost.description}\u201d recorded")
    return render_template("buyer/placements/cost_review.html", placement=placement, cost=cost, form=form), \
        _status(form)


@blueprint.route("/review-interval", methods=["GET", "POST"])
def review_interval():
    months = reviews.interval_months(current_user.organisation_id)
    form = IntervalForm(data={"months": str(months)})
    if form.validate_on_submit():
        try:
            reviews.set_interval(current_user, form.months.data, now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("The interval between placement reviews is saved", "success")
            return redirect(url_for("buyer.tasks"))
    return render_template("buyer/placements/interval.html", form=form, months=months,
                           choices=INTERVAL_CHOICES), _status(form)


@blueprint.route("/placements/<int:placement_id>/feedback/new", methods=["GET", "POST"])
def placement_feedback_new(placement_id):
    placement = _placement(placement_id)
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            placement_records.record_feedback(current_user, placement, given_on=form.given_on.data,
                                              given_by=form.given_by.data or "", rating=form.rating.data,
                                              comment=form.comment.data or "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _back(placement, "Feedback recorded")
    return render_template("buyer/placements/feedback.html", placement=placement, form=form), _status(form)


@blueprint.route("/placements/<int:placement_id>/incidents/new", methods=["GET", "POST"])
def placement_incident_new(placement_id):
    placement = _placement(placement_id)
    form = IncidentForm()
    if form.validate_on_submit():
        flags = set(form.flags.data or [])
        try:
            placement_records.record_incident(
                current_user, placement, occurred_on=form.occurred_on.data, category=form.category.data or "",
                summary=form.summary.data or "", lado_informed="lado" in flags, police_informed="police" in flags,
                outcome=form.outcome.data or "", ended_placement="ended" in flags, now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _back(placement, "Recorded against the placement")
    return render_template("buyer/placements/incident.html", placement=placement, form=form, incident=None), \
        _status(form)


@blueprint.route("/placements/<int:placement_id>/incidents/<int:incident_id>", methods=["GET", "POST"])
def placement_incident(placement_id, incident_id):
    placement = _placement(placement_id)
    try:
        incident = placement_records.incident_of(current_user, placement, incident_id)
    except NotFound:
        abort(404)
    form = OutcomeForm(data={"outcome": incident.outcome, "flags": ["ended"] if incident.ended_placement else []})
    if form.validate_on_submit():
        try:
            placement_records.record_outcome(current_user, incident, outcome=form.outcome.data or "",
                                             ended_placement="ended" in (form.flags.data or []), now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _back(placement, "Outcome recorded")
    return render_template("buyer/placements/incident.html", placement=placement, form=form, incident=incident), \
        _status(form)
