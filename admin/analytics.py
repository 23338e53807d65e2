"""The consortium administrator's analytics: the figures of every authority of the DPSs its authority leads (their
referrals on those DPSs), or of one of them, over the quarters chosen (portal.services.analytics)."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin.views import blueprint
from portal.clock import now
from portal.errors import NotFound
from portal.services import analytics, analytics_snapshots
from portal.timezone import uk_today


def _scope():
    moment = now()
    dps_ids = analytics.led_dps_ids(current_user)
    lots = analytics.lots_of(dps_ids)
    authorities = analytics.consortium_authorities(dps_ids)
    try:
        filters = analytics.read_filters(request.args, uk_today(moment), [lot.id for lot in lots],
                                         [authority.id for authority in authorities])
    except NotFound:
        abort(404)
    chosen = (filters.authority_id,) if filters.authority_id else tuple(authority.id for authority in authorities)
    scope = analytics.Scope(authority_ids=chosen, quarters=filters.quarters, lot_id=filters.lot_id, dps_ids=dps_ids)
    return moment, lots, authorities, filters, scope


@blueprint.route("/analytics")
def analytics_page():
    moment, lots, authorities, filters, scope = _scope()
    stored = analytics_snapshots.stored_figures(scope, moment)
    named = next((authority.name for authority in authorities if authority.id == filters.authority_id), None)
    return render_template("shared/analytics.html", figures=stored.figures, computed_at=stored.computed_at,
                           filters=filters, lots=lots,
                           options=analytics.filter_options(filters, uk_today(moment), lots, authorities),
                           endpoint="admin.analytics_page", csv_endpoint="admin.analytics_csv",
                           refresh_endpoint="admin.analytics_refresh",
                           whose=named or "All the consortium's authorities")


@blueprint.route("/analytics/<key>.csv")
def analytics_csv(key):
    moment, _, _, filters, scope = _scope()
    if key not in analytics.BUILDERS:
        abort(404)
    figure = analytics_snapshots.stored_figures(scope, moment).figure(key)
    name = f"{key}-{filters.quarters[0].key}-to-{filters.quarters[-1].key}.csv"
    return Response(figure.csv(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blueprint.route("/analytics/refresh", methods=["POST"])
def analytics_refresh():
    """Compute the figures of the page's filters again now, rather than wait for the scheduler."""
    moment, *_, filters, scope = _scope()
    flash(*analytics_snapshots.refresh_message(analytics_snapshots.refresh_asked(scope, moment, actor=current_user)))
    return redirect(url_for("admin.analytics_page", **filters.args()))
