"""Contract management pages at an authority. Every endpoint here is named `contracts_…`: contract managers and
the deciders (budget holders, heads of service, assistant directors) reach them as well as officers
(buyer/views.py). The rules live in portal.services (contracts, standing and the modules they name)."""

from flask import abort, render_template, request
from flask_login import current_user

from buyer.views import blueprint
from portal.clock import now
from portal.errors import NotFound
from portal.forms import record_id
from portal.models.contract import STANDING_LABELS
from portal.models.user import CONTRACT_MANAGER
from portal.services import annual_reviews, compliance, contracts, ladder, portfolio


@blueprint.route("/contracts")
def contracts_dashboard():
    """The contract manager's providers, one row per contract, what is overdue or due first."""
    dps_id = record_id(request.args.get("dps"))
    standing, due = request.args.get("standing") or None, request.args.get("due") or None
    search = request.args.get("q", "")
    annual_reviews.reuse_dues_in_this_request()  # for the menu's Tasks count too
    page = portfolio.dashboard(current_user, dps_id=dps_id, standing=standing, due=due, search=search,
                               page=request.args.get("page", 1, type=int), now=now())
    return render_template("buyer/contracts/dashboard.html", page=page, dps_id=dps_id, standing=standing, due=due,
                           search=search, arrangements=portfolio.arrangements_of(current_user),
                           standings=STANDING_LABELS, due_filters=portfolio.DUE_FILTERS,
                           is_contract_manager=current_user.has_role(CONTRACT_MANAGER))


@blueprint.route("/contracts/dps/<int:dps_id>/providers/<int:provider_id>")
def contracts_provider(dps_id, provider_id):
    """A provider's contract on a DPS: standing and why, contract manager, settings, live placements."""
    try:
        contract = contracts.contract_of(current_user, dps_id, provider_id)
    except NotFound:
        abort(404)
    moment = now()
    return render_template("buyer/contracts/provider.html", record=contracts.record(contract, moment),
                           dues=contracts.dues([contract.id], moment)[contract.id],
                           annual=annual_reviews.summary_for(contract, current_user, moment),
                           compliance=compliance.summary_for(contract, current_user, moment),
                           ladder=ladder.summary_for(contract, current_user, moment))
