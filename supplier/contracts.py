"""The provider's own contracts: one per DPS it holds a place on, each with its standing and the reason for every
restriction, its contract manager, its settings and its live placements by authority. Other parts add their
panels (templates/supplier/contracts/_NAME.html) with their summary in `contract`'s context."""

from flask import abort, render_template
from flask_login import current_user

from portal.clock import now
from portal.errors import NotFound
from portal.services import allocation, annual_reviews, compliance, contracts, ladder
from supplier.views import blueprint


@blueprint.route("/contracts")
def contracts_list():
    own = contracts.own_contracts(current_user)
    return render_template("supplier/contracts/list.html", contracts=own,
                           standings=allocation.standings_of(own))


@blueprint.route("/contracts/<int:dps_id>")
def contract(dps_id):
    try:
        own = contracts.own_contract(current_user, dps_id)
    except NotFound:
        abort(404)
    moment = now()
    return render_template("supplier/contracts/contract.html", record=contracts.record(own, moment),
                           compliance=compliance.summary_for(own, current_user, moment),
                           annual=annual_reviews.own_summary(own, current_user, moment),
                           ladder=ladder.summary_for(own, current_user, moment))
