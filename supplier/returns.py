"""The provider's quarterly returns (list, complete and submit, read once submitted) and its own quarterly KPIs
on each DPS it is on. Only its own: another provider's return is 404 (services.quarterly_returns.get_own), and
the KPI pages are scoped to the signed-in user's organisation."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from wtforms import BooleanField

from portal import kpi_pages
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import FlaskForm, GovTextArea, GovTextInput, StringField, TextAreaField, add_domain_error
from portal.models import Dps, Lot, LotMembership
from portal.quarters import parse
from portal.services import quarterly_returns as returns
from portal.services.kpis import Scope
from supplier.views import blueprint


def _own(return_id: int):
    try:
        return returns.get_own(current_user, return_id)
    except NotFound:
        abort(404)


CONFIRM_LABEL = "These answers are complete and correct: submit them to the consortium"
CONFIRM_MISSING = "Tick to confirm the answers are complete and correct, or save them and come back later"


def return_form(item, formdata=None):
    """A form with a field per question the return was asked (its own copy of the questions)."""
    fields = {}
    for answer in item.answers:
        kind, widget = (StringField, GovTextInput()) if answer.is_number else (TextAreaField, GovTextArea())
        fields[returns.field_name(answer)] = kind(answer.question, widget=widget, description=answer.guidance,
                                                  default=answer.shown)
    # Submitting is final: the provider ticks this first, so Enter in an answer cannot submit a return by mistake
    fields["confirm"] = BooleanField(CONFIRM_LABEL, widget=GovCheckboxInput())
    form_class = type("ReturnForm", (FlaskForm,), fields)
    return form_class(formdata=formdata) if formdata is not None else form_class()


@blueprint.route("/returns")
def returns_list():
    page = db.paginate(returns.provider_returns_query(current_user.organisation_id),
                       page=kpi_pages.page_number(), per_page=25, error_out=False)
    return render_template("supplier/returns/list.html", page=page, today=kpi_pages.today(), parse=parse)


@blueprint.route("/returns/<int:return_id>", methods=["GET", "POST"])
def quarterly_return(return_id):
    item = _own(return_id)
    quarter = parse(item.quarter)
    if request.method == "GET" or item.is_submitted:
        if request.method == "POST":
            flash("This return was already submitted: nothing was changed.", "success")
            return redirect(url_for("supplier.quarterly_return", return_id=item.id))
        form = return_form(item, formdata=None) if not item.is_submitted else None
        return render_template("supplier/returns/return.html", item=item, quarter=quarter, form=form,
                               today=kpi_pages.today())
    form = return_form(item)
    submit = request.form.get("action") == "submit"
    if form.validate_on_submit():
        if submit and not form.confirm.data:
            form.confirm.errors = [CONFIRM_MISSING]
            return render_template("supplier/returns/return.html", item=item, quarter=quarter, form=form,
                                   today=kpi_pages.today()), 400
        try:
            errors = returns.save(current_user, item, request.form, submit=submit, now=now())
        except DomainError as error:
            errors = [error]
        for error in errors:
            add_domain_error(form, error)
        if not errors:
            flash(f"Return for {quarter.short_label} submitted. Thank you." if submit
                  else "Answers saved. Submit the return when it is complete.", "success")
            return redirect(url_for("supplier.quarterly_return", return_id=item.id) if not submit
                            else url_for("supplier.returns_list"))
    db.session.rollback()
    return render_template("supplier/returns/return.html", item=item, quarter=quarter, form=form,
                           today=kpi_pages.today()), 400


def _own_dpss() -> list[Dps]:
    """The DPSs the provider is (or was) admitted to."""
    return db.session.scalars(
        db.select(Dps).where(Dps.id.in_(db.select(Lot.dps_id).join(LotMembership, LotMembership.lot_id == Lot.id)
                                        .where(LotMembership.provider_id == current_user.organisation_id)))
        .order_by(Dps.name)).all()


def _chosen_dps(dpss):
    asked = request.args.get("dps", type=int)
    return next((dps for dps in dpss if dps.id == asked), dpss[0] if dpss else None)


@blueprint.route("/kpis")
def own_kpis():
    dpss = _own_dpss()
    dps = _chosen_dps(dpss)
    if dps is None:
        return render_template("supplier/returns/kpis_none.html")
    provider_id = current_user.organisation_id
    return kpi_pages.render_provider("supplier/returns/kpis.html", dps, provider_id, current_user.organisation.name,
                                     Scope(dps.id), dpss=dpss)


@blueprint.route("/kpis/trend.csv")
def own_kpis_csv():
    dps = kpi_pages.require(_chosen_dps(_own_dpss()))
    provider_id = current_user.organisation_id
    return kpi_pages.trend_csv(dps, provider_id, current_user.organisation.name, Scope(dps.id))

