"""The request glue the KPI pages of the administrator (admin), the member authorities' officers (buyer) and the
providers (supplier) share: reading the chosen quarter and KPI from the URL, and rendering the ranking table and
a provider's page. The figures come from portal.services.kpis; who may see which DPS and provider is checked by
each blueprint before it calls these."""

from flask import Response, abort, render_template, request

from portal.clock import now
from portal.quarters import parse
from portal.services import kpis
from portal.services import quarterly_returns as returns
from portal.timezone import to_local


def today():
    return to_local(now()).date()


def chosen_quarter(day):
    """The quarter asked for in ?quarter= if it is one the page offers, else the last that has ended."""
    offered = kpis.quarter_choices(day)
    asked = parse(request.args.get("quarter"))
    return asked if asked in offered else kpis.default_quarter(day), offered


def chosen_kpi() -> str:
    asked = request.args.get("kpi", "")
    return asked if asked in kpis.KPIS else kpis.DEFAULT_KPI


def page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


def render_ranking(template: str, dps, scope_for, **context):
    """The ranking table. `scope_for(args)` gives the Scope from the page's own filters (an authority)."""
    day = today()
    quarter, offered = chosen_quarter(day)
    key = chosen_kpi()
    rows = kpis.ranking(quarter, scope_for(request.args), key, day)
    page = kpis.RowsPage(rows, page_number())
    whole = (kpis.total(row.figures for row in rows), kpis.total(row.previous for row in rows))
    return render_template(template, dps=dps, quarter=quarter, quarters=offered, kpi=kpis.KPIS[key],
                           kpis=kpis.KPIS, page=page, limits=kpis.thresholds(dps.id), whole=whole, **context)


def render_provider(template: str, dps, provider_id: int, name: str, scope, **context):
    day = today()
    quarter, offered = chosen_quarter(day)
    page = kpis.provider_page(quarter, scope, provider_id, day)
    this_return = returns.return_for(dps.id, provider_id, quarter)
    earlier = returns.return_for(dps.id, provider_id, quarter.previous)
    earlier_answers = {answer.question: answer.shown for answer in earlier.answers} if earlier else {}
    return render_template(template, dps=dps, provider_id=provider_id, name=name, quarter=quarter, quarters=offered,
                           page=page, figure=page.figure(), this_return=this_return, earlier_return=earlier,
                           earlier_answers=earlier_answers, today=day, **context)


def trend_csv(dps, provider_id: int, name: str, scope) -> Response:
    day = today()
    quarter, _ = chosen_quarter(day)
    figure = kpis.provider_page(quarter, scope, provider_id, day).figure()
    filename = f"kpis-{dps.reference}-{provider_id}-{quarter.key}.csv"
    return Response(figure.csv(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def require(value):
    if value is None:
        abort(404)
    return value
