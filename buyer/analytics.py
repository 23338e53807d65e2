"""An authority's own analytics: its placements, spend, prices, referrals and market signals over the quarters
chosen, each figure a chart, a table and a CSV download (portal.services.analytics computes them)."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from buyer.views import blueprint
from portal.clock import now
from portal.errors import NotFound
from portal.services import analytics, analytics_snapshots
from portal.services.vacancies import member_dps_ids
from portal.timezone import uk_today


def _scope():
    moment = now()
    lots = analytics.lots_of(member_dps_ids(current_user.organisation_id))
    try:
        filters = analytics.read_filters(request.args, uk_today(moment), [lot.id for lot in lots])
    except NotFound:
        abort(404)
    scope = analytics.Scope(authority_ids=(current_user.organisation_id,), quarters=filters.quarters,
                            lot_id=filters.lot_id)
    return moment, lots, filters, scope


@blueprint.route("/analytics")
def analytics_page():
    moment, lots, filters, scope = _scope()
    stored = analytics_snapshots.stored_figures(scope, moment)
    return render_template("shared/analytics.html", figures=stored.figures, computed_at=stored.computed_at,
                           filters=filters, lots=lots,
                           options=analytics.filter_options(filters, uk_today(moment), lots),
                           endpoint="buyer.analytics_page", csv_endpoint="buyer.analytics_csv",
                           refresh_endpoint="buyer.analytics_refresh",
                           whose=current_user.organisation.name)


@blueprint.route("/analytics/<key>.csv")
def analytics_csv(key):
    moment, _, filters, scope = _scope()
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
    return redirect(url_for("buyer.analytics_page", **filters.args()))
