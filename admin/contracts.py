"""Allocating each provider on a DPS to a contract manager (the lead's administrators; portal.services.allocation
holds the rules)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import HiddenField

from admin.views import _status, blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import (
    FlaskForm,
    GovSelect,
    GovSubmitInput,
    SelectField,
    SubmitField,
    add_domain_error,
    choices,
    record_id,
)
from portal.models.contract import STANDING_LABELS
from portal.services import allocation


class AllocationForm(FlaskForm):
    manager = SelectField("Contract manager", widget=GovSelect(), validate_choice=False,
                          description="At the lead authority or a member authority of the arrangement")
    version = HiddenField()
    submit = SubmitField("Save allocation", widget=GovSubmitInput())


def _dps(dps_id: int):
    try:
        return allocation.dps_for_allocation(current_user, dps_id)
    except NotFound:
        abort(404)


@blueprint.route("/dps/<int:dps_id>/contracts")
def dps_contracts(dps_id):
    dps = _dps(dps_id)
    manager, standing = request.args.get("manager") or None, request.args.get("standing") or None
    search = request.args.get("q", "")
    page = allocation.allocations(current_user, dps, manager=manager, standing=standing, search=search,
                                  page=request.args.get("page", 1, type=int))
    return render_template("admin/contracts/list.html", dps=dps, page=page, manager=manager, standing=standing,
                           search=search, managers=allocation.eligible_managers(dps), standings=STANDING_LABELS,
                           unallocated=allocation.UNALLOCATED)


@blueprint.route("/dps/<int:dps_id>/contracts/<int:contract_id>", methods=["GET", "POST"])
def dps_contract_allocation(dps_id, contract_id):
    dps = _dps(dps_id)
    try:
        contract = allocation.contract_for_allocation(current_user, dps, contract_id)
    except NotFound:
        abort(404)
    managers = allocation.eligible_managers(dps)
    form = AllocationForm()
    form.manager.choices = choices([("", "Choose a contract manager")] + [
        (str(person.id), f"{person.name}, {person.organisation.name}") for person in managers])
    if request.method == "GET":
        form.manager.data = str(contract.contract_manager_id or "")
        form.version.data = str(contract.version)
    elif form.validate_on_submit():
        try:
            allocation.allocate(current_user, contract, manager_id=record_id(form.manager.data),
                                version=record_id(form.version.data), now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"{contract.provider.name} allocated to {contract.contract_manager.name}", "success")
            return redirect(url_for("admin.dps_contracts", dps_id=dps.id))
    return render_template("admin/contracts/allocation.html", dps=dps, contract=contract, form=form,
                           has_managers=bool(managers)), _status(form)
