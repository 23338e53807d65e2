"""The consortium administrator's quarterly KPI pages: the ranking of a DPS's providers, a provider's KPIs, the
thresholds that flag a KPI; and the quarterly returns: their questions, when they are due, the returns of a
quarter and the overdue ones. The rules are in portal.services.kpis and portal.services.quarterly_returns."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin.kpi_forms import RemoveForm, ReturnQuestionForm, ReturnSettingsForm, ThresholdsForm
from admin.views import _dps, _status, blueprint
from portal import kpi_pages
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import add_domain_error
from portal.models import Dps, DpsMember, Organisation
from portal.quarters import parse
from portal.services import dps_setup, kpis
from portal.services import quarterly_returns as returns
from portal.services.kpis import Scope


def _authority_scope(dps):
    """The whole consortium, or one member authority chosen in ?authority= (one of the DPS's members)."""
    members = dict(db.session.execute(
        db.select(Organisation.id, Organisation.name).where(db.or_(
            Organisation.id == dps.lead_authority_id,
            Organisation.id.in_(db.select(DpsMember.authority_id).where(DpsMember.dps_id == dps.id))))).all())
    asked = request.args.get("authority", type=int)
    chosen = asked if asked in members else None
    return Scope(dps.id, authority_id=chosen), members, chosen


@blueprint.route("/dps/<int:dps_id>/kpis")
def kpi_ranking(dps_id):
    dps = _dps(dps_id)
    scope, members, chosen = _authority_scope(dps)
    return kpi_pages.render_ranking("admin/kpis/ranking.html", dps, lambda args: scope, members=members,
                                    chosen_authority=chosen)


def _provider(dps, provider_id: int) -> str:
    return kpi_pages.require(kpis.provider_name(dps.id, provider_id))


@blueprint.route("/dps/<int:dps_id>/kpis/providers/<int:provider_id>")
def kpi_provider(dps_id, provider_id):
    dps = _dps(dps_id)
    name = _provider(dps, provider_id)
    return kpi_pages.render_provider("admin/kpis/provider.html", dps, provider_id, name, Scope(dps.id))


@blueprint.route("/dps/<int:dps_id>/kpis/providers/<int:provider_id>/trend.csv")
def kpi_provider_csv(dps_id, provider_id):
    dps = _dps(dps_id)
    return kpi_pages.trend_csv(dps, provider_id, _provider(dps, provider_id), Scope(dps.id))


@blueprint.route("/dps/<int:dps_id>/kpis/thresholds", methods=["GET", "POST"])
def kpi_thresholds(dps_id):
    dps = _dps(dps_id)
    form = ThresholdsForm()
    if request.method == "GET":
        for key, limit in kpis.thresholds(dps.id).items():
            getattr(form, key).data = format(limit.normalize(), "f")
    if form.validate_on_submit():
        try:
            changed = kpis.set_thresholds(current_user, dps, {key: getattr(form, key).data for key in kpis.KPIS},
                                          now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash("Thresholds saved." if changed else "No threshold changed.", "success")
            return redirect(url_for("admin.kpi_ranking", dps_id=dps.id))
    return render_template("admin/kpis/thresholds.html", dps=dps, form=form, kpis=kpis.KPIS), _status(form)


# The quarterly returns ---------------------------------------------------------------------------------------------

def _questions_page(dps, *, form=None, settings_form=None, status=200):
    settings = returns.settings_of(dps.id)
    if settings_form is None:
        settings_form = ReturnSettingsForm(formdata=None, due_days=settings.due_days,
                                           reminder_days=settings.reminder_days)
    return render_template("admin/kpis/questions.html", dps=dps, questions=returns.questions_of(dps),
                           form=form or ReturnQuestionForm(formdata=None, answer_type="number"),
                           settings_form=settings_form, settings=settings,
                           remove_form=RemoveForm(formdata=None)), status


@blueprint.route("/dps/<int:dps_id>/returns/questions", methods=["GET", "POST"])
def return_questions(dps_id):
    dps = _dps(dps_id)
    if request.method == "GET":
        return _questions_page(dps)
    form = ReturnQuestionForm()
    if form.validate_on_submit():
        try:
            returns.add_question(current_user, dps, text=form.text.data, answer_type=form.answer_type.data,
                                 guidance=form.guidance.data, now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Question added: returns requested from now on ask it.", "success")
            return redirect(url_for("admin.return_questions", dps_id=dps.id))
    return _questions_page(dps, form=form, status=400)


def _question(dps, question_id):
    try:
        return returns.question_of(dps, question_id)
    except NotFound:
        abort(404)


@blueprint.route("/dps/<int:dps_id>/returns/questions/<int:question_id>", methods=["GET", "POST"])
def return_question(dps_id, question_id):
    dps = _dps(dps_id)
    question = _question(dps, question_id)
    form = ReturnQuestionForm(obj=question) if request.method == "GET" else ReturnQuestionForm()
    if form.validate_on_submit():
        try:
            returns.change_question(current_user, question, text=form.text.data, answer_type=form.answer_type.data,
                                    guidance=form.guidance.data, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash("Question changed: returns already requested keep the question as it was asked.", "success")
            return redirect(url_for("admin.return_questions", dps_id=dps.id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/kpis/question.html", dps=dps, question=question, form=form), status


@blueprint.route("/dps/<int:dps_id>/returns/questions/<int:question_id>/remove", methods=["POST"])
def return_question_remove(dps_id, question_id):
    dps = _dps(dps_id)
    question = _question(dps, question_id)
    if RemoveForm().validate_on_submit():
        returns.retire_question(current_user, question, now())
        flash("Question removed: returns already requested keep it.", "success")
    return redirect(url_for("admin.return_questions", dps_id=dps.id))


@blueprint.route("/dps/<int:dps_id>/returns/settings", methods=["POST"])
def return_settings(dps_id):
    dps = _dps(dps_id)
    form = ReturnSettingsForm()
    if form.validate_on_submit():
        try:
            returns.save_settings(current_user, dps, due_days=form.due_days.data,
                                  reminder_days=form.reminder_days.data, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash("Saved: returns requested from now on are due on the new terms.", "success")
            return redirect(url_for("admin.return_questions", dps_id=dps.id))
    return _questions_page(dps, settings_form=form, status=400)


@blueprint.route("/dps/<int:dps_id>/returns")
def dps_returns(dps_id):
    dps = _dps(dps_id)
    day = kpi_pages.today()
    quarter, offered = kpi_pages.chosen_quarter(day)
    page = db.paginate(returns.returns_of_dps_query(dps, quarter), page=kpi_pages.page_number(), per_page=25,
                       error_out=False)
    return render_template("admin/kpis/returns.html", dps=dps, page=page, quarter=quarter, quarters=offered,
                           today=day, overdue=returns.overdue_count([dps.id], day))


@blueprint.route("/returns/overdue")
def overdue_returns():
    day = kpi_pages.today()
    led = db.select(Dps.id).where(Dps.lead_authority_id == current_user.organisation_id)
    page = db.paginate(returns.overdue_query(led, day), page=kpi_pages.page_number(), per_page=25, error_out=False)
    return render_template("admin/kpis/overdue.html", page=page, today=day,
                           dpss=dps_setup.dpss_led_by(current_user.organisation_id))


@blueprint.route("/returns/<int:return_id>")
def quarterly_return(return_id):
    try:
        item = returns.get_for_lead(current_user, return_id)
    except NotFound:
        abort(404)
    return render_template("admin/kpis/return.html", item=item, quarter=parse(item.quarter), today=kpi_pages.today())
