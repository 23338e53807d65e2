"""The officer's referral pages: the list, a new referral and its draft, the anonymity check, funding, publishing
to the first tier, re-opening to the next, marking the framework exhausted, and withdrawing. Rules live in
portal.services.referrals; these views translate HTTP to its calls and show its errors on the fields."""

from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from buyer.referral_forms import (
    ChooseLotForm,
    ExhaustForm,
    FundingForm,
    PublishForm,
    ReferralForm,
    ReopenForm,
    WithdrawForm,
)
from buyer.views import blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.forms import MAX_RECORD_ID, add_domain_error, choices, parse_time
from portal.models.approval import FUNDING
from portal.models.referral import CLOSED, DRAFT, EXHAUSTED, OPEN, STATUS_LABELS, WITHDRAWN
from portal.services import anonymity, approvals, endings, listing, referrals, vacancies
from portal.services.referrals import FREE_TEXT_FIELDS, ReferralInvalid
from portal.timezone import local_datetime, to_local, uk_today

PER_PAGE = 25
# Where the form puts each field that is not found at its own name: a date's first box.
FIELD_ANCHORS = {"required_start": "required_start-day", "child_date_of_birth": "child_date_of_birth-day"}


def _own(referral_id: int):
    try:
        return referrals.get_for_authority(current_user, referral_id)
    except NotFound:
        abort(404)


def _has_endpoint(endpoint: str) -> bool:
    """Whether another area's page is registered (awards and off-framework pages live in their own modules)."""
    return endpoint in current_app.view_functions


def _show_errors(form, errors: dict[str, str]) -> None:
    for field_name, message in errors.items():
        add_domain_error(form, DomainError(message, field=field_name))


# The list ----------------------------------------------------------------------------------------------------

@blueprint.route("/referrals")
def referral_list():
    moment = now()
    status = request.args.get("status", "")
    status = status if status in STATUS_LABELS else ""
    search = request.args.get("q", "")
    sorting = referrals.REFERRAL_SORTS.choose(request.args.get("sort"), request.args.get("order"))
    try:
        page = referrals.for_authority(current_user, now=moment, status=status or None, search=search,
                                       sorting=sorting, page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    except NotFound:
        abort(404)
    counts = referrals.received_counts([referral.id for referral in page.items])
    return render_template("buyer/referrals/list.html", page=page, counts=counts, status=status, moment=moment,
                           statuses=STATUS_LABELS, search=search, sorting=sorting,
                           may_create=referrals.may_create(current_user))


# A new referral and its draft --------------------------------------------------------------------------------

def _lot_choices() -> list:
    return [(lot.id, f"{dps.name}: {lot.label} (ages {lot.age_band})")
            for dps in referrals.dpss_for(current_user) for lot in dps.lots]


def _render_form(form, lot, referral=None, status=200):
    return render_template("buyer/referrals/form.html", form=form, lot=lot, referral=referral,
                           weighting=lot.dps.current_question_set), status


@blueprint.route("/referrals/new", methods=["GET", "POST"])
def referral_new():
    lot_id = request.values.get("lot_id", type=int)
    if lot_id is None:
        return _choose_lot()
    if not 0 <= lot_id <= MAX_RECORD_ID:
        abort(404)
    try:
        lot = referrals.lot_for(current_user, lot_id)
    except NotFound:
        abort(404)
    form = ReferralForm()
    if request.method == "GET":
        form.lot_id.data = lot.id
        for name, default in (("communication_needs", "not_specified"), ("cultural_needs", "not_known"),
                              ("live_alongside", "no_preference"), ("pets", "not_known"),
                              ("suitability_foster", "not_specified"), ("suitability_residential", "not_specified"),
                              ("suitability_supported", "not_specified")):
            getattr(form, name).data = default
        return _render_form(form, lot)
    if not _checked(form, lot):
        return _render_form(form, lot, status=400)
    try:
        referral = referrals.create(current_user, lot=lot, fields=form.fields_data(), child=form.child_data(),
                                    now=now())
    except ReferralInvalid as error:
        _show_errors(form, error.errors)
        return _render_form(form, lot, status=400)
    except DomainError as error:
        add_domain_error(form, error)
        return _render_form(form, lot, status=400)
    flash(f"Draft referral {referral.reference} saved. Check it for identifying details before publishing.", "success")
    _say_if_linked(referral)
    return redirect(url_for("buyer.referral", referral_id=referral.id))


def _say_if_linked(referral) -> None:
    if getattr(referral, "linked_to_known_child", False):
        child = referral.child
        flash(f"Case number {child.case_number} is already recorded for {child.full_name}: this referral is linked "
              "to that child, whose recorded name and date of birth are kept.", "info")


def _choose_lot():
    form = ChooseLotForm()
    options = _lot_choices()
    form.lot_id.choices = choices(options)
    status = 200
    if request.method == "POST" or request.args.get("chosen"):
        form.lot_id.errors = ["Select the lot the placement is for"]
        status = 400
    return render_template("buyer/referrals/choose_lot.html", form=form, has_lots=bool(options)), status


def _checked(form: ReferralForm, lot) -> bool:
    """Read the form and check it with the service's rules, showing every problem at once."""
    form.validate()
    unreadable = form.typing_errors()
    problems = referrals.problems(lot, form.fields_data(), form.child_data(), now())
    _show_errors(form, {name: message for name, message in problems.items() if name not in unreadable})
    return not any(field.errors for field in form) and not form.form_errors


@blueprint.route("/referrals/<int:referral_id>/edit", methods=["GET", "POST"])
def referral_edit(referral_id):
    referral = _own(referral_id)
    if referral.status(now()) != DRAFT:
        flash("Only a draft can be changed: this referral has been published.", "error")
        return redirect(url_for("buyer.referral", referral_id=referral.id))
    form = ReferralForm()
    if request.method == "GET":
        form.fill_from(referral)
        return _render_form(form, referral.lot, referral)
    if not _checked(form, referral.lot):
        return _render_form(form, referral.lot, referral, status=400)
    try:
        referrals.update(current_user, referral, fields=form.fields_data(), child=form.child_data(), now=now())
    except ReferralInvalid as error:
        _show_errors(form, error.errors)
        return _render_form(form, referral.lot, referral, status=400)
    except DomainError as error:
        add_domain_error(form, error)
        return _render_form(form, referral.lot, referral, status=400)
    flash("Draft saved", "success")
    _say_if_linked(referral)
    return redirect(url_for("buyer.referral", referral_id=referral.id))


# The referral ------------------------------------------------------------------------------------------------

def _render_referral(referral, status=200, funding_form=None, error=None):
    moment = now()
    state = referral.status(moment)
    funding_form = funding_form or FundingForm()
    responses = referrals.responses_for_officer(referral, moment)
    return render_template(
        "buyer/referrals/referral.html", referral=referral, status=state, moment=moment,
        summary=referrals.anonymised(referral, moment), received=referrals.received_counts([referral.id]).get(
            referral.id, 0),
        rounds=[(round_, referrals.skipped_tiers(referral, round_)) for round_ in referral.rounds],
        next_tier=referrals.next_tier(referral) if state == CLOSED else None,
        findings=referrals.check(referral) if state == DRAFT else {},
        still_to_do=referrals.still_to_do(referral) if state == DRAFT else {}, field_anchors=FIELD_ANCHORS,
        funding_form=funding_form, exhaust_form=ExhaustForm(), error=error,
        responses=responses, invited_page=_page_of(responses.providers, INVITED_PER_PAGE),
        bids_link=_has_endpoint("buyer.referral_bids") and state not in (DRAFT, OPEN, WITHDRAWN),
        off_framework_link=_has_endpoint("buyer.referral_off_framework") and state == EXHAUSTED,
        award_link=_has_endpoint("buyer.referral_award") and state == CLOSED,
        is_officer=referrals.is_officer_of(current_user, referral), approval_list=approvals.of_subject(referral),
        funding=referrals.funding_approval(referral), funding_asked=approvals.latest(referral, FUNDING),
        funding_problem=referrals.funding_problem(referral) if state == DRAFT else None,
        new_search=_new_search(referral) if state == DRAFT else None,
        matching_vacancies=vacancies.for_referral(referral, uk_today(moment)) if state == DRAFT else None,
    ), status


def _new_search(referral):
    """After the child's unplanned ending: the placement that ended and the two agreements asked (or None)."""
    ended = endings.unplanned_ending_before(referral)
    return {"ended": ended, "asked": endings.new_search_approvals(referral),
            "problems": endings.new_search_problems(referral)} if ended is not None else None


@blueprint.route("/referrals/<int:referral_id>")
def referral(referral_id):
    # Read by its authority's officers, and by those who decide its approvals (budget holders and the like).
    try:
        return _render_referral(referrals.get_for_reader(current_user, referral_id))
    except NotFound:
        abort(404)


@blueprint.route("/referrals/<int:referral_id>/check")
def referral_check(referral_id):
    referral = _own(referral_id)
    moment = now()
    findings = referrals.check(referral)
    sections = [
        {"name": name, "label": label, "text": getattr(referral, name) or "",
         "segments": anonymity.highlight(getattr(referral, name) or "", findings.get(name, [])),
         "findings": findings.get(name, [])}
        for name, label in FREE_TEXT_FIELDS.items()
    ]
    is_draft = referral.status(moment) == DRAFT
    other = referrals.publication_problems(referral, moment, anonymity_too=False) if is_draft else []
    return render_template("buyer/referrals/check.html", referral=referral, sections=sections, findings=findings,
                           other=other, is_draft=is_draft)


@blueprint.route("/referrals/<int:referral_id>/funding", methods=["POST"])
def referral_funding(referral_id):
    referral = _own(referral_id)
    form = FundingForm()
    form.validate()
    try:
        asked = referrals.ask_funding(current_user, referral, expected_weekly=form.expected_weekly.data, now=now())
    except DomainError as error:
        add_domain_error(form, error)
        return _render_referral(referral, 400, form)
    if asked.already_asked:
        flash("The funding was already " + ("approved" if asked.is_approved else "asked for: it is waiting for an "
                                            "answer"), "success")
    else:
        flash("Approval of the funding asked for: the budget holders who may approve it are told", "success")
    return redirect(url_for("buyer.referral", referral_id=referral.id, _anchor="funding"))


def _deadline_from(form) -> datetime | None:
    """The deadline typed as a London date and time, in UTC; None with the form's errors set if unreadable."""
    form.validate()
    if form.deadline_date.errors:
        return None
    if form.deadline_date.data is None:
        form.deadline_date.errors = ["Enter the date bids close"]
        return None
    at = parse_time(form.deadline_time.data)
    if at is None:
        form.deadline_time.errors = ["Enter the time bids close, for example 12:00 or 17:00"]
        return None
    return local_datetime(form.deadline_date.data, at)


def _fill_deadline(form, deadline: datetime) -> None:
    local = to_local(deadline)
    form.deadline_date.data = local.date()
    form.deadline_time.data = local.strftime("%H:%M")


INVITEES_PER_PAGE = 50  # providers a publication would invite, on the publish and re-open pages
INVITED_PER_PAGE = 50  # providers invited, on the referral's page


def _page_of(rows: list, per_page: int) -> listing.Page:
    """The page asked for (`page` in the address) of a list a tier long: a first tier may hold hundreds."""
    number = listing.page_within(request.args.get("page", type=int), len(rows), per_page)
    return listing.Page(rows[(number - 1) * per_page:number * per_page], page=number, per_page=per_page,
                        total=len(rows))


def _invitee_page(memberships: list) -> listing.Page:
    return _page_of(memberships, INVITEES_PER_PAGE)


def _render_publish(referral, form, status=200):
    moment = now()
    tier, memberships = referrals.invitees_preview(referral)
    reasons = referrals.publication_problems(referral, moment) if referral.status(moment) == DRAFT else []
    return render_template("buyer/referrals/publish.html", referral=referral, form=form, tier=tier,
                           memberships=memberships, invitees=_invitee_page(memberships),
                           category=referrals.category_of(referral),
                           reasons=reasons, is_draft=referral.status(moment) == DRAFT,
                           weighting=referral.dps.current_question_set), status


@blueprint.route("/referrals/<int:referral_id>/publish", methods=["GET", "POST"])
def referral_publish(referral_id):
    referral = _own(referral_id)
    form = PublishForm()
    if request.method == "GET":
        if referral.bid_deadline or referral.needed_by:  # an incomplete draft may not say yet how urgent it is
            _fill_deadline(form, referral.bid_deadline or referrals.default_deadline(referral.needed_by, now()))
        return _render_publish(referral, form)
    deadline = _deadline_from(form)
    if deadline is None:
        return _render_publish(referral, form, 400)
    try:
        round_ = referrals.publish(current_user, referral, now(), deadline=deadline)
    except DomainError as error:
        add_domain_error(form, DomainError(error.message, field="deadline_date" if error.field == "deadline" else None))
        return _render_publish(referral, form, 400)
    count = len([invitation for invitation in referral.invitations if invitation.round_id == round_.id])
    flash(f"Referral {referral.reference} published: {count} provider{'s' if count != 1 else ''} invited to bid",
          "success")
    return redirect(url_for("buyer.referral", referral_id=referral.id))


def _render_reopen(referral, form, status=200):
    moment = now()
    state = referral.status(moment)
    tier, memberships = referrals.invitees_preview(referral) if state == CLOSED else (None, [])
    return render_template("buyer/referrals/reopen.html", referral=referral, form=form, tier=tier,
                           memberships=memberships, invitees=_invitee_page(memberships),
                           category=referrals.category_of(referral), status=state,
                           moment=moment), status


@blueprint.route("/referrals/<int:referral_id>/reopen", methods=["GET", "POST"])
def referral_reopen(referral_id):
    referral = _own(referral_id)
    form = ReopenForm()
    if request.method == "GET":
        _fill_deadline(form, referrals.default_deadline(referral.needed_by, now()))
        return _render_reopen(referral, form)
    deadline = _deadline_from(form)
    if deadline is None:
        return _render_reopen(referral, form, 400)
    try:
        round_ = referrals.reopen_to_next_tier(current_user, referral, deadline=deadline, now=now())
    except DomainError as error:
        add_domain_error(form, DomainError(error.message, field="deadline_date" if error.field == "deadline" else None))
        return _render_reopen(referral, form, 400)
    flash(f"Referral {referral.reference} re-opened to tier {round_.tier}", "success")
    return redirect(url_for("buyer.referral", referral_id=referral.id))


@blueprint.route("/referrals/<int:referral_id>/exhaust", methods=["POST"])
def referral_exhaust(referral_id):
    referral = _own(referral_id)
    form = ExhaustForm()
    form.validate()
    try:
        referrals.mark_exhausted(current_user, referral, now())
    except DomainError as error:
        return _render_referral(referral, 400, error=error.message)
    flash("The framework is marked as exhausted: you may now search off the framework", "success")
    return redirect(url_for("buyer.referral", referral_id=referral.id))


@blueprint.route("/referrals/<int:referral_id>/withdraw", methods=["GET", "POST"])
def referral_withdraw(referral_id):
    referral = _own(referral_id)
    form = WithdrawForm()
    moment = now()
    if request.method == "POST":
        form.validate()
        try:
            referrals.withdraw(current_user, referral, form.reason.data or "", moment)
        except DomainError as error:
            add_domain_error(form, error)
            return render_template("buyer/referrals/withdraw.html", referral=referral, form=form,
                                   status=referral.status(moment)), 400
        flash(f"Referral {referral.reference} withdrawn", "success")
        return redirect(url_for("buyer.referral", referral_id=referral.id))
    return render_template("buyer/referrals/withdraw.html", referral=referral, form=form,
                           status=referral.status(moment))
