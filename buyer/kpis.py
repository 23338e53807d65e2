"""The quarterly KPIs for officers of the DPS's member authorities (and of its lead): the providers ranked on a
KPI and a provider's page, over the whole consortium's placements or their own authority's only. Figures only:
no child, and no other authority's placement, is named."""

from flask import abort, request
from flask_login import current_user

from buyer.views import _member_dpss, blueprint
from portal import kpi_pages
from portal.services import kpis
from portal.services.kpis import Scope


def _dps(dps_id: int):
    dps = next((item for item in _member_dpss() if item.id == dps_id), None)
    if dps is None:
        abort(404)
    return dps


def _scope(dps) -> Scope:
    """?placements=own: the officer's authority's placements only; else the whole consortium's."""
    own = request.args.get("placements") == "own"
    return Scope(dps.id, authority_id=current_user.organisation_id if own else None)


@blueprint.route("/dps/<int:dps_id>/kpis")
def kpi_ranking(dps_id):
    dps = _dps(dps_id)
    return kpi_pages.render_ranking("buyer/kpis/ranking.html", dps, lambda args: _scope(dps),
                                    own=request.args.get("placements") == "own")


def _provider(dps, provider_id: int) -> str:
    return kpi_pages.require(kpis.provider_name(dps.id, provider_id))


@blueprint.route("/dps/<int:dps_id>/kpis/providers/<int:provider_id>")
def kpi_provider(dps_id, provider_id):
    dps = _dps(dps_id)
    return kpi_pages.render_provider("buyer/kpis/provider.html", dps, provider_id, _provider(dps, provider_id),
                                     _scope(dps), own=request.args.get("placements") == "own")


@blueprint.route("/dps/<int:dps_id>/kpis/providers/<int:provider_id>/trend.csv")
def kpi_provider_csv(dps_id, provider_id):
    dps = _dps(dps_id)
    return kpi_pages.trend_csv(dps, provider_id, _provider(dps, provider_id), _scope(dps))
