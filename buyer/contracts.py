"""Contract management pages at an authority. Every endpoint here is named `contracts_…`: contract managers and
the deciders (budget holders, heads of service, assistant directors) reach them as well as officers
(buyer/views.py). The rules live in portal.services (contracts, standing and the modules they name)."""

from flask import abort, render_template
from flask_login import current_user

from buyer.views import blueprint
from portal.clock import now
from portal.errors import NotFound
from portal.services import contracts, ladder


@blueprint.route("/contracts/dps/<int:dps_id>/providers/<int:provider_id>")
def contracts_provider(dps_id, provider_id):
    """A provider's contract on a DPS: standing and why, contract manager, settings, live placements."""
    try:
        contract = contracts.contract_of(current_user, dps_id, provider_id)
    except NotFound:
        abort(404)
    return render_template("buyer/contracts/provider.html", record=contracts.record(contract, now()),
                           ladder=ladder.summary_for(contract, current_user, now()))
