from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from admin.forms import (
    CautionDecisionForm,
    DpsForm,
    EditTermsForm,
    ExtendForm,
    ExtensionForm,
    FirstWindowForm,
    InviteUserForm,
    LeaveForm,
    LotForm,
    MemberForm,
    OfstedForm,
    QuestionForm,
    ReasonForm,
    RolesForm,
    WeightingForm,
)
from portal import areas
from portal.auth import require_roles_for_blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import pounds
from portal.forms import add_domain_error, choices, parse_time
from portal.models import (
    Application,
    CategoryMembership,
    Dps,
    DpsMember,
    EntryWindow,
    Invitation,
    Lot,
    LotMembership,
    Organisation,
    QualityQuestion,
    QuestionSet,
    User,
)
from portal.models.application import SUBMITTED
from portal.models.dps import EVIDENCE_KINDS
from portal.models.organisation import PROVIDER_STATUSES
from portal.models.user import ADMINISTRATOR
from portal.services import (
    accounts,
    allocation,  # the provider page's contracts (part 1)
    applications,
    audit,
    cautions,
    dps_setup,
    listing,
    mail,
    members,
    staff,
    windows,
)
from portal.services import providers as provider_register
from portal.services.standing_effects import standings_by_provider
from portal.staff_forms import (
    ApprovalLimitForm,
    StaffInviteForm,
    role_choices,
    save_approval_limit,
    set_active_from_request,
    withdraw_invitation_from_request,
)
from portal.timezone import format_date, local_datetime, to_local
from portal.workdays import PAUSE_RULE

blueprint = Blueprint("admin", __name__)
require_roles_for_blueprint(blueprint, ADMINISTRATOR)


def _dps(dps_id: int):
    try:
        return dps_setup.dps_for_lead(current_user, dps_id)
    except NotFound:
        abort(404)


def _window(window_id: int) -> EntryWindow:
    window = db.session.get(EntryWindow, window_id)
    if window is None or window.dps.lead_authority_id != current_user.organisation_id:
        abort(404)
    return window


def _status(form) -> int:
    return 400 if form.errors or form.form_errors else 200


# The DPS ---------------------------------------------------------------------------------------

@blueprint.route("/")
def dps_list():
    return render_template("admin/dps_list.html", dpss=dps_setup.dpss_led_by(current_user.organisation_id))


@blueprint.route("/dps/new", methods=["GET", "POST"])
def dps_new():
    form = DpsForm()
    if request.method == "GET":
        form.continuous.data = "cadence"
        form.required_evidence.data = list(EVIDENCE_KINDS)
    if form.validate_on_submit():
        try:
            dps = dps_setup.create_dps(
                current_user, reference=form.reference.data, name=form.name.data,
                service_type=form.service_type.data, description=form.description.data or "",
                start_date=form.start_date.data, initial_years=form.initial_years.data,
                extension_years=form.extension_years.data or "",
                cadence_months=None if form.continuous.data == "continuous" else form.cadence_months.data,
                window_length_days=form.window_length_days.data, required_evidence=form.required_evidence.data,
                quality_weight=form.quality_weight.data,
                quality_threshold_percent=form.quality_threshold_percent.data, now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"{dps.name} created. Add its member authorities, lots and questions, then schedule a window.",
                  "success")
            return redirect(url_for("admin.dps_detail", dps_id=dps.id))
    return render_template("admin/dps_new.html", form=form), _status(form)


def _dps_page(dps, *, member_form=None, area_error: tuple[int, str] | None = None, status: int = 200):
    # The members, their authorities and the extensions taken in a few queries, not one per member.
    db.session.scalars(db.select(Dps).where(Dps.id == dps.id)
                       .options(selectinload(Dps.members).selectinload(DpsMember.authority),
                                selectinload(Dps.extension_records),
                                selectinload(Dps.lots).selectinload(Lot.categories))).one()
    return render_template("admin/dps_detail.html", dps=dps, windows=windows.windows_of(dps), moment=now(),
                           member_form=member_form or MemberForm(),
                           unconfirmed=members.unconfirmed_authorities(dps), area_error=area_error,
                           authority_choices=areas.upper_tier_choices()), status


@blueprint.route("/dps/<int:dps_id>")
def dps_detail(dps_id):
    return _dps_page(_dps(dps_id))


@blueprint.route("/dps/<int:dps_id>/terms", methods=["GET", "POST"])
def dps_terms(dps_id):
    dps = _dps(dps_id)
    form = EditTermsForm(obj=dps)
    if request.method == "GET":
        form.continuous.data = "continuous" if dps.is_continuous else "cadence"
        form.required_evidence.data = dps.evidence_kinds
    if form.validate_on_submit():
        try:
            dps_setup.update_terms(
                current_user, dps, name=form.name.data, description=form.description.data or "",
                cadence_months=None if form.continuous.data == "continuous" else form.cadence_months.data,
                window_length_days=form.window_length_days.data, reminder_days=form.reminder_days.data,
                decision_working_days=form.decision_working_days.data,
                required_evidence=form.required_evidence.data, moderation_gap=form.moderation_gap.data, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash("Terms saved", "success")
            return redirect(url_for("admin.dps_detail", dps_id=dps.id))
    return render_template("admin/dps_terms.html", dps=dps, form=form), _status(form)


@blueprint.route("/dps/<int:dps_id>/members", methods=["POST"])
def add_member(dps_id):
    dps = _dps(dps_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            member = members.add(current_user, dps, area_code=form.area_code.data, now=now(),
                                 council_name=form.council_name.data or "")
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"{member.authority.name} added as a member authority", "success")
            return redirect(url_for("admin.dps_detail", dps_id=dps.id) + "#members")
    return _dps_page(dps, member_form=form, status=400)


@blueprint.route("/dps/<int:dps_id>/members/<int:member_id>/leave", methods=["GET", "POST"])
def member_leave(dps_id, member_id):
    dps = _dps(dps_id)
    try:
        member = members.member_of(dps, member_id)
    except NotFound:
        abort(404)
    form = LeaveForm()
    if form.validate_on_submit():
        try:
            members.leave(current_user, member, left_on=form.left_on.data, reason=form.reason.data, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"{member.authority.name} has left {dps.reference}", "success")
            return redirect(url_for("admin.dps_detail", dps_id=dps.id) + "#members")
    return render_template("admin/member_leave.html", dps=dps, member=member, form=form), _status(form)


@blueprint.route("/dps/<int:dps_id>/authorities/<int:authority_id>/area", methods=["POST"])
def confirm_authority_area(dps_id, authority_id):
    dps = _dps(dps_id)
    try:
        authority = members.confirm_area(current_user, dps, authority_id, area_code=request.form.get("area_code", ""),
                                         now=now())
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        return _dps_page(dps, area_error=(authority_id, error.message), status=400)
    flash(f"{authority.name} is the authority for {authority.local_authority_area}", "success")
    return redirect(url_for("admin.dps_detail", dps_id=dps.id) + "#members")


@blueprint.route("/dps/<int:dps_id>/extensions", methods=["GET", "POST"])
def dps_extension(dps_id):
    dps = _dps(dps_id)
    form = ExtensionForm()
    if request.method == "GET":
        form.number.data = str(dps.extensions_taken + 1)
    if form.validate_on_submit():
        number = form.number.data or ""
        try:
            members.record_extension(current_user, dps, number=int(number) if number.isdigit() else None,
                                     taken_on=form.taken_on.data, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"Extension recorded: the term now ends on {format_date(dps.end_date)}", "success")
            return redirect(url_for("admin.dps_detail", dps_id=dps.id))
    return render_template("admin/dps_extension.html", dps=dps, form=form), _status(form)


def _category_rows(lot=None) -> list[tuple[str, str, str]]:
    """The lot form's age category rows: as typed when posted, else the lot's categories, padded to the rows shown."""
    if request.method == "POST":
        # Every row posted, even beyond the rows shown, so that too many categories are refused, not dropped.
        numbers = [int(key.split("-")[1]) for key in request.form
                   if key.startswith("category-") and key.count("-") == 2 and key.split("-")[1].isdecimal()
                   and len(key.split("-")[1]) <= 2]
        last = max([dps_setup.MAX_CATEGORIES, *numbers])
        return [tuple(request.form.get(f"category-{number}-{name}", "") for name in ("age_from", "age_to", "tiers"))
                for number in range(1, last + 1)]
    rows = [(str(c.age_from), str(c.age_to), str(c.tiers)) for c in (lot.categories if lot else [])]
    return rows + [("", "", "")] * (dps_setup.MAX_CATEGORIES - len(rows))


def _render_lot_form(dps, form, lot, category_error=None):
    failed = category_error is not None or bool(form.errors) or bool(form.form_errors)
    return render_template("admin/lot_form.html", dps=dps, form=form, lot=lot, rows=_category_rows(lot),
                           category_error=category_error), (400 if failed else 200)


def _category_problem(lot):
    """What is wrong with the categories typed, checked with the other fields' errors so that every problem shows at
    once; None when they are well formed."""
    try:
        dps_setup.check_categories(dps_setup.parse_categories(_category_rows(lot)))
    except DomainError as error:
        return error
    return None


def _save_lot(dps, form, lot):
    """Add or change the lot from the form; the error, if any, as (field error on the form, category error)."""
    rows = _category_rows(lot)
    retiered = []
    try:
        categories = dps_setup.parse_categories(rows)
        fields = {"name": form.name.data, "description": form.description.data or "", "categories": categories}
        if lot is None:
            lot = dps_setup.add_lot(current_user, dps, **fields, now=now())
        else:
            retiered = dps_setup.update_lot(current_user, lot, **fields, now=now())
    except DomainError as error:
        db.session.rollback()
        if error.field and error.field.startswith("category-"):
            return None, error
        add_domain_error(form, error)
        return None, None
    for message in retiered:
        flash(message, "success")
    return lot, None


@blueprint.route("/dps/<int:dps_id>/lots/new", methods=["GET", "POST"])
def lot_new(dps_id):
    dps = _dps(dps_id)
    form = LotForm()
    category_error = None
    if form.validate_on_submit():
        lot, category_error = _save_lot(dps, form, None)
        if lot is not None:
            flash(f"{lot.label} added", "success")
            return redirect(url_for("admin.dps_detail", dps_id=dps.id) + "#lots")
    elif request.method == "POST":
        category_error = _category_problem(None)
    return _render_lot_form(dps, form, None, category_error)


@blueprint.route("/dps/<int:dps_id>/lots/<int:lot_id>", methods=["GET", "POST"])
def lot_edit(dps_id, lot_id):
    dps = _dps(dps_id)
    lot = db.session.get(Lot, lot_id)
    if lot is None or lot.dps_id != dps.id:
        abort(404)
    form = LotForm(obj=lot)
    category_error = None
    if form.validate_on_submit():
        saved, category_error = _save_lot(dps, form, lot)
        if saved is not None:
            flash(f"{lot.label} saved", "success")
            return redirect(url_for("admin.dps_detail", dps_id=dps.id) + "#lots")
    elif request.method == "POST":
        category_error = _category_problem(lot)
    return _render_lot_form(dps, form, lot, category_error)


# Questions and weighting -----------------------------------------------------------------------

def _question_set(dps, version: int | None) -> QuestionSet:
    if version is None:
        return dps.current_question_set
    found = next((qs for qs in dps.question_sets if qs.version == version), None)
    if found is None:
        abort(404)
    return found


@blueprint.route("/dps/<int:dps_id>/questions", methods=["GET", "POST"])
def questions(dps_id):
    dps = _dps(dps_id)
    question_set = _question_set(dps, request.args.get("version", type=int))
    form = WeightingForm(obj=question_set)
    if form.validate_on_submit():
        try:
            dps_setup.set_weighting(current_user, question_set, quality_weight=form.quality_weight.data,
                                    quality_threshold_percent=form.quality_threshold_percent.data, now=now())
        except DomainError as problem:
            db.session.rollback()
            add_domain_error(form, problem)
        else:
            flash(f"Weighting saved: {question_set.weighting_label}", "success")
            return redirect(url_for("admin.questions", dps_id=dps.id))
    return render_template("admin/questions.html", dps=dps, question_set=question_set, form=form,
                           locked_reason=dps_setup.locked_reason(question_set, now())), _status(form)


@blueprint.route("/dps/<int:dps_id>/questions/new-version", methods=["POST"])
def questions_new_version(dps_id):
    dps = _dps(dps_id)
    try:
        copy = dps_setup.new_version(current_user, dps, now())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"Version {copy.version} created: later windows will use it", "success")
    return redirect(url_for("admin.questions", dps_id=dps.id))


def _question(dps, question_id) -> QualityQuestion:
    question = db.session.get(QualityQuestion, question_id)
    if question is None or question.question_set.dps_id != dps.id:
        abort(404)
    return question


def _question_fields(form) -> dict:
    return {"text": form.text.data, "guidance": form.guidance.data or "", "scoring": form.scoring.data,
            "weight": form.weight.data or 0, "max_score": form.max_score.data or 0,
            "min_score": form.min_score.data or 0, "word_limit": form.word_limit.data}


@blueprint.route("/dps/<int:dps_id>/questions/new", methods=["GET", "POST"])
def question_new(dps_id):
    dps = _dps(dps_id)
    question_set = dps.current_question_set
    form = QuestionForm()
    if request.method == "GET":
        form.scoring.data = "scored"
    locked_error = dps_setup.locked_reason(question_set, now())
    if form.validate_on_submit():
        try:
            dps_setup.add_question(current_user, question_set, **_question_fields(form), now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash("Question added", "success")
            return redirect(url_for("admin.questions", dps_id=dps.id))
    return render_template("admin/question_form.html", dps=dps, form=form, question=None,
                           locked_error=locked_error), _status(form)


@blueprint.route("/dps/<int:dps_id>/questions/<int:question_id>", methods=["GET", "POST"])
def question_edit(dps_id, question_id):
    dps = _dps(dps_id)
    question = _question(dps, question_id)
    form = QuestionForm(obj=question)
    locked_error = dps_setup.locked_reason(question.question_set, now())
    if form.validate_on_submit():
        try:
            dps_setup.update_question(current_user, question, **_question_fields(form), now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"Question {question.number} saved", "success")
            return redirect(url_for("admin.questions", dps_id=dps.id))
    return render_template("admin/question_form.html", dps=dps, form=form, question=question,
                           locked_error=locked_error), _status(form)


@blueprint.route("/dps/<int:dps_id>/questions/<int:question_id>/remove", methods=["POST"])
def question_remove(dps_id, question_id):
    dps = _dps(dps_id)
    question = _question(dps, question_id)
    try:
        dps_setup.remove_question(current_user, question, now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash("Question removed", "success")
    return redirect(url_for("admin.questions", dps_id=dps.id))


# Windows ---------------------------------------------------------------------------------------

@blueprint.route("/dps/<int:dps_id>/windows/first", methods=["GET", "POST"])
def window_first(dps_id):
    dps = _dps(dps_id)
    form = FirstWindowForm()
    if form.validate_on_submit():
        opens_at = local_datetime(form.opens_on.data, parse_time(form.opens_at.data))
        try:
            window = windows.schedule_first_window(current_user, dps, opens_at=opens_at, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"{window.label} scheduled", "success")
            return redirect(url_for("admin.window_detail", window_id=window.id))
    return render_template("admin/window_first.html", dps=dps, form=form), _status(form)


@blueprint.route("/windows/<int:window_id>")
def window_detail(window_id):
    window = _window(window_id)
    return _render_window(window, reason_form=ReasonForm(), extend_form=_extend_form(window))


def _render_window(window, *, reason_form, extend_form, status=200):
    moment = now()
    return render_template("admin/window_detail.html", window=window, moment=moment,
                           counts=applications.counts_by_status(window), reason_form=reason_form,
                           extend_form=extend_form, reminder_text=windows.reminder_text(window, moment),
                           decisions_due_on=windows.decisions_due_on(window), pause_rule=PAUSE_RULE,
                           setup_problems=windows.opening_problems(window, moment)), status


def _extend_form(window, formdata=None):
    # Never bound to the request: a POST to open or close the window carries no closing date to show.
    form = ExtendForm(formdata=formdata)
    if formdata is None and window.closes_at:
        proposed = to_local(window.closes_at + timedelta(days=7))
        form.closes_on.data = proposed.date()
        form.closes_at.data = proposed.strftime("%H:%M")
    return form


def _window_action(window_id, action, success):
    window = _window(window_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            action(current_user, window, reason=form.reason.data, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(success.format(label=window.label), "success")
            return redirect(url_for("admin.window_detail", window_id=window.id))
    return _render_window(window, reason_form=form, extend_form=_extend_form(window), status=400)


@blueprint.route("/windows/<int:window_id>/open", methods=["POST"])
def window_open(window_id):
    return _window_action(window_id, windows.open_early, "{label} is open")


@blueprint.route("/windows/<int:window_id>/close", methods=["POST"])
def window_close(window_id):
    return _window_action(window_id, windows.close_early, "{label} is closed")


@blueprint.route("/windows/<int:window_id>/extend", methods=["POST"])
def window_extend(window_id):
    window = _window(window_id)
    form = ExtendForm()
    if form.validate_on_submit():
        closes_at = local_datetime(form.closes_on.data, parse_time(form.closes_at.data))
        try:
            windows.extend(current_user, window, closes_at=closes_at, reason=form.reason.data, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            closes_on = format_date(form.closes_on.data)
            flash(f"{window.label} now closes on {closes_on} at {form.closes_at.data}", "success")
            return redirect(url_for("admin.window_detail", window_id=window.id))
    return _render_window(window, reason_form=ReasonForm(formdata=None), extend_form=form, status=400)


# Provider register -----------------------------------------------------------------------------

@blueprint.route("/providers")
def providers():
    status = request.args.get("status") or None
    search = request.args.get("q", "")
    sorting = provider_register.REGISTER_SORTS.choose(request.args.get("sort"), request.args.get("order"))
    led = db.session.scalars(db.select(Dps).where(Dps.lead_authority_id == current_user.organisation_id)
                             .order_by(Dps.reference)).all()
    dps_id = request.args.get("dps", type=int)
    dps_ids = [dps.id for dps in led if dps_id in (None, dps.id)]
    dps_standing = request.args.get("dps_standing") or None
    page = provider_register.register(status=status, search=search, sorting=sorting,
                                      page=request.args.get("page", 1, type=int), dps_standing=dps_standing,
                                      dps_ids=dps_ids)
    ids = [provider.id for provider in page.items]
    return render_template("admin/providers.html", page=page, status=status, statuses=PROVIDER_STATUSES,
                           lots_held=provider_register.lots_held(ids), search=search, sorting=sorting,
                           evidence_to_review=cautions.awaiting_review_counts(current_user, ids),
                           led=led, dps_id=dps_id, dps_standing=dps_standing,
                           dps_standings=provider_register.DPS_STANDINGS,
                           standings=standings_by_provider(ids, [dps.id for dps in led]))


@blueprint.route("/providers/<int:provider_id>")
def provider_detail(provider_id, ofsted_form=None, caution_form=None, invite_form=None):
    provider = db.session.get(Organisation, provider_id)
    if provider is None or not provider.is_provider:
        abort(404)
    memberships = db.session.scalars(
        db.select(LotMembership).where(LotMembership.provider_id == provider.id)
        .options(selectinload(LotMembership.lot).selectinload(Lot.dps),
                 selectinload(LotMembership.lot).selectinload(Lot.categories),
                 selectinload(LotMembership.categories).selectinload(CategoryMembership.category))).all()
    submitted = db.session.scalars(
        db.select(Application).where(Application.provider_id == provider.id, Application.status == SUBMITTED)
        .join(EntryWindow).where(EntryWindow.dps.has(lead_authority_id=current_user.organisation_id))
        .order_by(Application.submitted_at.desc())).all()
    linked = provider_register.is_linked(provider, current_user.organisation_id)
    page = request.args.get("page", 1, type=int)
    pending = accounts.pending_invitations(provider, now())
    return render_template("admin/provider_detail.html", provider=provider, memberships=memberships,
                           submitted=submitted, ofsted_form=ofsted_form or OfstedForm(),
                           may_record_ofsted=linked,
                           caution=cautions.summary_for_admin(current_user, provider, page) if linked else None,
                           caution_form=caution_form or CautionDecisionForm(formdata=None),
                           people=db.session.scalars(staff.staff_query(provider)).all(),
                           invite_form=invite_form or StaffInviteForm(formdata=None),
                           step_in_refused=staff.step_in_refusal(provider),
                           pending=pending,
                           withdrawable={invitation.id for invitation in pending
                                         if accounts.may_withdraw(current_user, invitation)},
                           contracts=allocation.contracts_of_provider(current_user, provider),
                           ), 400 if ofsted_form or caution_form or invite_form else 200


@blueprint.route("/providers/<int:provider_id>/caution", methods=["POST"])
def provider_caution(provider_id):
    """Lift or confirm the provider's caution on the lots of the DPSs this authority leads, with a reason."""
    provider = db.session.get(Organisation, provider_id)
    if provider is None or not cautions.may_review(current_user, provider):
        abort(404)
    form = CautionDecisionForm()
    if form.validate_on_submit():
        try:
            review = cautions.review(current_user, provider, decision=form.decision.data, reason=form.reason.data,
                                     now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"{review.label} for {provider.name}", "success")
            return redirect(url_for("admin.provider_detail", provider_id=provider.id))
    return provider_detail(provider_id, caution_form=form)


@blueprint.route("/providers/<int:provider_id>/users", methods=["POST"])
def provider_invite(provider_id):
    """Step in when nobody at the provider can manage its colleagues: invite someone as its user administrator."""
    provider = db.session.get(Organisation, provider_id)
    if provider is None or not provider.is_provider:
        abort(404)
    form = StaffInviteForm()
    form.roles.choices = []
    if form.validate_on_submit():
        try:
            staff.invite_user_administrator(current_user, provider, form.email.data, now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"Invitation sent to {form.email.data} as user administrator of {provider.name}", "success")
            return redirect(url_for("admin.provider_detail", provider_id=provider.id))
    return provider_detail(provider_id, invite_form=form)


@blueprint.route("/providers/<int:provider_id>/users/<int:user_id>/user-administrator", methods=["POST"])
def provider_user_administrator(provider_id, user_id):
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != provider_id or not user.organisation.is_provider:
        abort(404)
    try:
        staff.step_in(current_user, user, now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"{user.name} is now a user administrator of {user.organisation.name}", "success")
    return redirect(url_for("admin.provider_detail", provider_id=provider_id))


@blueprint.route("/providers/<int:provider_id>/ofsted", methods=["POST"])
def provider_ofsted(provider_id):
    provider = db.session.get(Organisation, provider_id)
    if provider is None or not provider.is_provider:
        abort(404)
    form = OfstedForm()
    if form.validate_on_submit():
        try:
            provider_register.record_ofsted_rating(current_user, provider, rating=form.rating.data,
                                           rating_date=form.rating_date.data, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"Ofsted rating of {provider.name} recorded", "success")
            return redirect(url_for("admin.provider_detail", provider_id=provider.id))
    return provider_detail(provider_id, ofsted_form=form)


# Users -----------------------------------------------------------------------------------------

def _consortium_ids() -> list[int]:
    return [org.id for org in accounts.consortium_authorities(current_user.organisation)]


@blueprint.route("/users", methods=["GET", "POST"])
def users():
    authorities = accounts.consortium_authorities(current_user.organisation)
    form = InviteUserForm()
    form.organisation_id.choices = choices([(0, "Choose an authority")] + [(org.id, org.name) for org in authorities])
    if form.validate_on_submit():
        organisation = next((org for org in authorities if org.id == form.organisation_id.data), None)
        if organisation is None:
            form.organisation_id.errors = ["Choose an authority of your consortium"]
        else:
            try:
                accounts.invite(current_user, organisation, form.email.data, set(form.roles.data), now())
            except DomainError as error:
                db.session.rollback()
                add_domain_error(form, error)
            else:
                flash(f"Invitation sent to {form.email.data}", "success")
                return redirect(url_for("admin.users"))
    page = db.paginate(
        db.select(User).where(User.organisation_id.in_([org.id for org in authorities]))
        .options(selectinload(User.organisation)).order_by(User.name),
        page=request.args.get("page", 1, type=int), per_page=25, error_out=False)
    pending = accounts.pending_invitations_of(authorities, now())
    return render_template("admin/users.html", page=page, form=form, pending=pending,
                           withdrawable={invitation.id for invitation in pending
                                         if accounts.may_withdraw(current_user, invitation)}), _status(form)


@blueprint.route("/invitations/<int:invitation_id>/withdraw", methods=["POST"])
def invitation_withdraw(invitation_id):
    """Withdraw an invitation sent to a consortium authority, or to a provider when stepping in."""
    invitation = db.session.get(Invitation, invitation_id)
    withdraw_invitation_from_request(invitation_id, now())
    if invitation.organisation.is_provider:
        return redirect(url_for("admin.provider_detail", provider_id=invitation.organisation_id))
    return redirect(url_for("admin.users"))


def _consortium_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id not in _consortium_ids():
        abort(404)
    return user


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_detail(user_id, limit_form=None):
    user = _consortium_user(user_id)
    form = RolesForm(formdata=None) if limit_form else RolesForm()
    # Only the roles the administrator may give at the user's authority (a member's staff are never evaluators).
    form.roles.choices = role_choices(accounts.allowed_roles(current_user, user.organisation))
    if request.method == "GET" or limit_form:
        form.roles.data = sorted(user.roles)
    if limit_form is None and form.validate_on_submit():
        try:
            accounts.change_roles(current_user, user, set(form.roles.data), now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"Roles of {user.name} saved", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    limit_form = limit_form or ApprovalLimitForm(formdata=None, approval_limit=pounds(user.approval_limit))
    weekly = staff.weekly_equivalent(user.approval_limit) if user.approval_limit else None
    return render_template("admin/user_detail.html", user=user, form=form, limit_form=limit_form,
                           weekly=weekly), 400 if _status(form) == 400 or _status(limit_form) == 400 else 200


@blueprint.route("/users/<int:user_id>/approval-limit", methods=["POST"])
def user_approval_limit(user_id):
    user = _consortium_user(user_id)
    form = ApprovalLimitForm()
    if save_approval_limit(form, user, now()):
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return user_detail(user_id, limit_form=form)


@blueprint.route("/users/<int:user_id>/active", methods=["POST"])
def user_active(user_id):
    user = _consortium_user(user_id)
    set_active_from_request(user, now())
    return redirect(url_for("admin.user_detail", user_id=user.id))


# Audit and outbox ------------------------------------------------------------------------------

DATE_FILTER_YEARS = (2000, 2100)


def _date_arg(name: str) -> tuple[date | None, dict | None]:
    """The day a date filter names, or an error for the summary; an unreadable date is ignored."""
    try:
        day = datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return None, None
    first, last = DATE_FILTER_YEARS
    if not first <= day.year <= last:
        return None, {"text": f"Enter a ‘{name}’ date between the years {first} and {last}", "href": f"#{name}"}
    return day, None


@blueprint.route("/audit")
def audit_log():
    (since, since_error), (until, until_error) = _date_arg("from"), _date_arg("to")
    errors = [error for error in (since_error, until_error) if error]
    sorting = audit.TRAIL_SORTS.choose(request.args.get("sort"), request.args.get("order"))
    query = audit.search(lead_id=current_user.organisation_id, authority_ids=_consortium_ids(), now=now(),
                         action=request.args.get("action") or None, actor=request.args.get("actor") or None,
                         since=local_datetime(since, time.min) if since else None,
                         until=local_datetime(until + timedelta(days=1), time.min) if until else None,
                         text=request.args.get("q", ""), sorting=sorting)
    page = listing.bounded_page(db.session, query, page=request.args.get("page", 1, type=int), per_page=50)
    return render_template("admin/audit.html", page=page, actions=audit.ACTIONS, args=request.args,
                           errors=errors, sorting=sorting), 400 if errors else 200


@blueprint.route("/outbox")
def outbox():
    # Only the consortium's mail. A development or test portal shows every message, with the secrets of
    # password-reset and invitation links hidden; a live portal shows only those that could not be sent yet, without
    # their text, so that an administrator can see a failure and send the message again.
    problems_only = bool(current_app.config.get("PRODUCTION"))
    search = request.args.get("q", "")
    key, _, order = request.args.get("sort", "").partition("-")  # the sort menu's choices are "key-order"
    sorting = mail.OUTBOX_SORTS.choose(key, order)
    page = listing.bounded_page(db.session, mail.outbox_of(lead_id=current_user.organisation_id,
                                                          authority_ids=_consortium_ids(), now=now(),
                                                          search=search, sorting=sorting,
                                                          problems_only=problems_only),
                                page=request.args.get("page", 1, type=int), per_page=25)
    return render_template("admin/outbox.html", page=page, masked=mail.masked, search=search, sorting=sorting,
                           max_attempts=mail.MAX_ATTEMPTS, listing_args=_outbox_listing_args(),
                           problems_only=problems_only)


def _outbox_listing_args() -> dict:
    """The outbox's search, sort and page, kept when a message is sent again."""
    return {name: request.args[name] for name in ("q", "sort", "page") if request.args.get(name)}


@blueprint.route("/outbox/<int:message_id>/send-again", methods=["POST"])
def outbox_send_again(message_id):
    try:
        message = mail.outbox_message_of(message_id, lead_id=current_user.organisation_id,
                                         authority_ids=_consortium_ids(), now=now())
    except NotFound:
        abort(404)
    try:
        mail.send_again(current_user, message, now())
    except DomainError as error:
        flash(error.message)
    else:
        flash(f"The e-mail to {message.to_address} will be sent again at the scheduler’s next run.", "success")
    return redirect(url_for("admin.outbox", **_outbox_listing_args()))


from admin import analytics, annual_reviews, compliance, contracts, kpis  # noqa: E402,F401  (their routes register on import)
