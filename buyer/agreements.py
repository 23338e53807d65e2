"""The authority's side of the individual placement agreement agreed in the portal: the officer issues a version
(after the award, or an amendment), records a change of weekly price for the budget holder's approval; a budget
holder countersigns what the provider signed; both download every version. The rules are in
services.agreements. The placement page shows it through the `placement_life` global (a partial of its own)."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from buyer.agreement_forms import CountersignForm, IssueForm, PriceChangeForm
from buyer.views import blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.formatting import money
from portal.forms import add_domain_error
from portal.services import agreements, awards, placement_records, reviews


def _placement(placement_id: int):
    try:
        return awards.placement_for_authority(current_user, placement_id)
    except NotFound:
        abort(404)


def _version(version_id: int):
    try:
        return agreements.version_for_authority(current_user, version_id)
    except NotFound:
        abort(404)


@blueprint.app_template_global("placement_life")
def placement_life(placement):
    """What the placement page's partials show: the agreement, reviews, feedback and incidents (read once per
    request: each partial asks)."""
    if getattr(placement, "_life", None) is not None:
        return placement._life
    moment = now()
    held = reviews.reviews_of(placement)
    months = reviews.interval_months(placement.authority_id)
    placement._life = {
        "agreement": agreements.summary(placement), "can_issue": agreements.can_issue(
            placement, agreements.today_at(moment)),
        "price_today": agreements.price_in_force(placement, agreements.today_at(moment)),
        "reviews": held, "months": months,
        "next_review": reviews.next_due(placement, held[0].held_on if held else None, months),
        "today": agreements.today_at(moment), "cost_reviews": reviews.cost_reviews_of(placement),
        "feedback": placement_records.feedback_of(placement), "incidents": placement_records.incidents_of(placement),
    }
    return placement._life


@blueprint.app_template_global("placement_tasks")
def placement_tasks():
    """The Tasks page's section of the placement's life, for the signed-in user."""
    moment = now()
    due = reviews.reviews_due(current_user, moment)
    cost_due = reviews.cost_reviews_due(current_user, moment)
    totals = reviews.due_totals(current_user, moment) if reviews.TASKS_SHOWN in (len(due), len(cost_due)) \
        else (len(due), len(cost_due))
    return {"agreements": agreements.tasks_for(current_user, moment), "reviews": due, "cost_reviews": cost_due,
            "reviews_total": totals[0], "cost_reviews_total": totals[1], "shown": reviews.TASKS_SHOWN}


@blueprint.route("/placements/<int:placement_id>/agreement/issue", methods=["GET", "POST"])
def agreement_issue(placement_id):
    placement = _placement(placement_id)
    summary = agreements.summary(placement)
    form = IssueForm()
    if form.validate_on_submit():
        try:
            version = agreements.issue(current_user, placement, amendment=form.amendment.data or "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Version {version.number} of the agreement issued: {placement.provider_name}'s signatories are "
                  "told to sign it", "success")
            return redirect(url_for("buyer.placement", placement_id=placement.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("buyer/placements/issue.html", placement=placement, summary=summary, form=form), status


@blueprint.route("/agreements/<int:version_id>.pdf")
def agreement_pdf(version_id):
    version = _version(version_id)
    return Response(agreements.pdf_of(version), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{version.filename}"', "Cache-Control": "no-store"})


@blueprint.route("/agreements/<int:version_id>/countersign", methods=["GET", "POST"])
def agreement_countersign(version_id):
    version = _version(version_id)
    form = CountersignForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            agreements.countersign(current_user, version, sha256=form.sha256.data or "", now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Version {version.number} of {version.placement.agreement_reference} countersigned: it is in force",
                  "success")
            return redirect(url_for("buyer.tasks"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("buyer/placements/countersign.html", version=version, placement=version.placement,
                           form=form), status


@blueprint.route("/placements/<int:placement_id>/price-change", methods=["GET", "POST"])
def price_change(placement_id):
    placement = _placement(placement_id)
    form = PriceChangeForm()
    if form.validate_on_submit():
        try:
            change = agreements.request_price_change(
                current_user, placement, weekly_cost=form.weekly_cost.data or "",
                effective_from=form.effective_from.data, reason=form.reason.data or "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Change to {money(change.weekly_cost)} a week asked for: the budget holders who may approve it are "
                  "told", "success")
            return redirect(url_for("buyer.placement", placement_id=placement.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("buyer/placements/price_change.html", placement=placement, form=form,
                           price_today=agreements.price_in_force(placement, agreements.today_at(now())),
                           pending=agreements.pending_change(placement)), status
