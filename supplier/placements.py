"""The provider's outcome of a referral it bid for, once the referral is awarded: the award itself for the
winner (weekly cost, itemised, start date, agreement reference), and for every bidder its own scores on each
criterion, the officer's notes, its total and rank of N. Nothing of the child's identity, of the officer, or of
another provider's bid (services.awards). Then the provider's own placements, anonymised as referrals are (never
the child's name, case number or date of birth), where it can give written notice to end one."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.forms import add_domain_error
from portal.models.bid import CRITERION_MAX
from portal.models.placement import STATUSES
from portal.models.placement_life import ENDING_REASONS, NOTICE_BY, NOTICE_DAYS
from portal.services import agreements, awards, endings, placement_records, reviews
from portal.services import placements as placement_service
from portal.services.endings import EndingInvalid
from portal.timezone import format_date
from supplier.forms import NoticeForm
from supplier.views import blueprint


@blueprint.route("/referrals/<int:referral_id>/outcome")
def referral_outcome(referral_id):
    try:
        outcome = awards.outcome_for_provider(current_user, referral_id, now())
    except NotFound:
        abort(404)
    return render_template("supplier/placements/outcome.html", outcome=outcome, summary=outcome.referral,
                           criterion_max=CRITERION_MAX)


# The provider's own placements -------------------------------------------------------------------------------

@blueprint.route("/placements")
def placements():
    page = placement_service.for_provider(current_user, page=request.args.get("page", 1, type=int))
    today = placement_service.uk_today(now())
    return render_template("supplier/placements/list.html", page=page, today=today, statuses=STATUSES,
                           weekly_price_on=placement_service.weekly_price_on)


def _own_placement(placement_id):
    try:
        return placement_service.get_for_provider(current_user, placement_id)
    except NotFound:
        abort(404)


@blueprint.route("/placements/<int:placement_id>", methods=["GET", "POST"])
def placement(placement_id):
    placement = _own_placement(placement_id)
    form = NoticeForm()
    moment = now()
    status = 200
    if form.validate_on_submit():
        try:
            endings.give_notice(current_user, placement, end_date=form.end_date.data, reason=form.reason.data or None,
                                detail=form.detail.data or "", now=moment)
        except EndingInvalid as error:
            for name, message in error.errors.items():
                getattr(form, name).errors = [message]
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Notice given: placement {placement.agreement_reference} ends on {format_date(placement.end_date)}"
                  + (". It is fewer than 28 days' notice, recorded as a breach of the agreement"
                     if placement.short_notice_breach else ""), "success")
            return redirect(url_for("supplier.placement", placement_id=placement.id))
    if request.method == "POST":
        status = 400
    today = placement_service.uk_today(moment)
    return render_template("supplier/placements/placement.html", placement=placement, form=form, today=today,
                           statuses=STATUSES, reasons=ENDING_REASONS, notice_by=NOTICE_BY, notice_days=NOTICE_DAYS,
                           earliest_in_time=today + timedelta(days=NOTICE_DAYS),
                           weekly=placement_service.weekly_price_on(placement, today),
                           versions=agreements.versions_of(placement) if placement.on_framework else [],
                           outcomes=reviews.outcomes_for_provider(placement),
                           incidents=placement_records.incidents_for_provider(placement),
                           reference=placement_service.referral_reference(placement)), status
