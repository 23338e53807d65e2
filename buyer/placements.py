"""Officers' placement pages: the authority's placements (status, filters, the export), each placement with its
history and its ending, spend by provider, the children and each child's history, and the agreements a new
search needs after an unplanned ending. The rules are in portal/services/placements.py, endings.py and
children.py."""

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from buyer.placement_forms import EndingForm
from buyer.views import blueprint
from portal import areas
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import pounds
from portal.forms import add_domain_error, choices, record_id
from portal.models.placement import STATUSES
from portal.models.placement_life import ENDING_REASONS, NOTICE_BY
from portal.models.user import ROLE_LABELS
from portal.services import awards, children, endings, off_framework, placements, referrals
from portal.services.endings import Ending, EndingInvalid
from portal.services.off_framework import FRAMEWORK_FILTERS
from portal.services.placements import AREA_FILTERS, Filters
from portal.timezone import format_date, format_datetime, to_local


def _found(getter, *args):
    try:
        return getter(current_user, *args)
    except NotFound:
        abort(404)


def _today():
    return placements.uk_today(now())


# The list ---------------------------------------------------------------------------------------------------

def _sorting():
    return off_framework.PLACEMENT_SORTS.choose(request.args.get("sort"), request.args.get("order"))


@blueprint.route("/placements", endpoint="placements")
def placements_list():
    filters, sorting, today = Filters.read(request.args), _sorting(), _today()
    page = _found(lambda user: placements.list_for(user, filters, today=today, sorting=sorting,
                                                   page=request.args.get("page", 1, type=int)))
    lots, providers = placements.filter_choices(current_user)
    return render_template("buyer/placements/list.html", page=page, filters=filters, sorting=sorting, today=today,
                           moment=now(), lots=lots, providers=providers, frameworks=FRAMEWORK_FILTERS,
                           areas=AREA_FILTERS, statuses=STATUSES, cost_to_date=placements.cost_to_date,
                           search=filters.search)


CSV_HEADINGS = ["Agreement reference", "Referral", "Provider", "On framework", "Weekly cost (£)", "Start date",
                "Local authority area", "In home area", "Preferred location", "Cost approved by", "Cost approved on",
                "QA visit due", "QA visit made", "Placed on", "Status", "End date", "Ending reason",
                "Cost to date (£)"]


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _cost_approver(placement) -> tuple[str, str]:
    """Who approved the cost (with their role) and the day, for the export."""
    approval = placement.cost_approval
    if approval is None:
        return "", ""
    if approval.recorded_before_portal:
        who = f"{approval.recorded_approver} (recorded before approvals in the portal)"
    else:
        who = f"{approval.answered_by.name} ({ROLE_LABELS.get(approval.answered_role, approval.answered_role)})"
    return who, to_local(approval.answered_at).date().isoformat()


@blueprint.route("/placements.csv")
def placements_csv():
    filters, today = Filters.read(request.args), _today()
    rows = _found(lambda user: placements.all_for(user, filters, today=today, sorting=_sorting()))
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(CSV_HEADINGS)
    for placement in rows:
        writer.writerow([_cell(value) for value in (
            placement.agreement_reference, placement.referral.reference, placement.provider_name,
            _yes_no(placement.on_framework), pounds(placement.weekly_cost), placement.start_date.isoformat(),
            placement.location_area_label, *map(areas.flag_label, placements.place_flags(placement)),
            *_cost_approver(placement),
            format_datetime(placement.qa_visit_due_at), format_datetime(placement.qa_visit_at),
            format_date(placement.created_at), STATUSES[placement.status(today)],
            placement.end_date.isoformat() if placement.end_date else "",
            ENDING_REASONS.get(placement.ending_reason or "", ""),
            pounds(placements.cost_to_date(placement, today)))])
    return Response(output.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="placements.csv"'})


# One placement ----------------------------------------------------------------------------------------------

def _placement_page(placement, *, area_error: str | None = None, status: int = 200):
    today = _today()
    return render_template("buyer/awards/placement.html", placement=placement, referral=placement.referral,
                           moment=now(), today=today, status=placement.status(today), statuses=STATUSES,
                           history=placements.history(placement, today), cost=placements.cost_to_date(placement, today),
                           weekly_now=placements.weekly_price_on(placement, today), notice_by=NOTICE_BY,
                           reasons=ENDING_REASONS, area_error=area_error, flags=placements.place_flags(placement),
                           area_choices=areas.lowest_tier_choices() if placement.location_area_code is None else []
                           ), status


@blueprint.route("/placements/<int:placement_id>")
def placement(placement_id):
    return _placement_page(_found(awards.placement_for_authority, placement_id))


@blueprint.route("/placements/<int:placement_id>/area", methods=["POST"])
def placement_area(placement_id):
    """The area of a home typed before areas were data, chosen from the list."""
    placement = _found(awards.placement_for_authority, placement_id)
    try:
        placements.confirm_area(current_user, placement, area_code=request.form.get("area_code", ""), now=now())
    except DomainError as error:
        db.session.rollback()
        return _placement_page(placement, area_error=error.message, status=400)
    flash(f"The home's area is confirmed as {placement.location_area}", "success")
    return redirect(url_for("buyer.placement", placement_id=placement.id) + "#details")


def _ending_of(form: EndingForm) -> Ending:
    return Ending(notice_given_by=form.notice_given_by.data or None, notice_given_on=form.notice_given_on.data,
                  end_date=form.end_date.data, planned={"yes": True, "no": False}.get(form.planned.data),
                  reason=form.reason.data or None, detail=form.detail.data or "",
                  next_placement_id=record_id(form.next_placement_id.data))


@blueprint.route("/placements/<int:placement_id>/ending", methods=["GET", "POST"])
def placement_ending(placement_id):
    placement = _found(awards.placement_for_authority, placement_id)
    form = EndingForm()
    following = endings.following_choices(placement)
    form.next_placement_id.choices = choices([("", "None: no placement follows in the portal"), *(
        (str(other.id), f"{other.agreement_reference}, {other.provider_name}, from {format_date(other.start_date)}")
        for other in following)])
    status = 200
    if request.method == "GET":
        form.fill_from(placement)
    elif form.validate_on_submit():
        try:
            endings.record(current_user, placement, _ending_of(form), now())
        except EndingInvalid as error:
            for name, message in error.errors.items():
                getattr(form, name).errors = [message]
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Ending of {placement.agreement_reference} recorded"
                  + (": the provider gave short notice, recorded as a breach" if placement.short_notice_breach
                     else ""), "success")
            return redirect(url_for("buyer.placement", placement_id=placement.id))
    if request.method == "POST":
        status = 400
    return render_template("buyer/placements/ending.html", placement=placement, form=form), status


# Spend ------------------------------------------------------------------------------------------------------

@blueprint.route("/spend")
def spend():
    today = _today()
    total = _found(placements.authority_spend, today)
    page = placements.spend_by_provider(current_user, today, page=request.args.get("page", 1, type=int))
    return render_template("buyer/placements/spend.html", total=total, page=page, today=today)


# Children ---------------------------------------------------------------------------------------------------

@blueprint.route("/children", endpoint="children")
def children_list():
    search = request.args.get("q", "")
    sorting = children.CHILD_SORTS.choose(request.args.get("sort"), request.args.get("order"))
    page = _found(lambda user: children.list_for(user, search=search, sorting=sorting,
                                                 page=request.args.get("page", 1, type=int)))
    return render_template("buyer/children/list.html", page=page, search=search, sorting=sorting,
                           counts=children.counts_of(page.items))


@blueprint.route("/children/<int:child_id>")
def child(child_id):
    child = _found(children.get_for_authority, child_id)
    today = _today()
    return render_template("buyer/children/child.html", child=child, history=children.history(child), today=today,
                           moment=now(), statuses=STATUSES, reasons=ENDING_REASONS)


# The agreements a new search needs after an unplanned ending ----------------------------------------------------

@blueprint.route("/referrals/<int:referral_id>/new-search", methods=["POST"])
def referral_new_search(referral_id):
    referral = _found(referrals.get_for_authority, referral_id)
    try:
        asked = endings.ask_new_search(current_user, referral, now())
    except DomainError as error:
        flash(error.message, "error")
    else:
        if all(approval.already_asked for approval in asked):
            flash("Both agreements were already asked for", "info")
        else:
            flash("A head of service and an assistant director are asked to agree to the new search", "success")
    return redirect(url_for("buyer.referral", referral_id=referral.id, _anchor="new-search"))
