"""The analytics pages read their figures from a stored snapshot (portal.services.analytics_snapshots): one
statement whatever the data, the figures as computed, shown with their time, computed again by the scheduler once an
hour old and at once when a user asks."""

from datetime import date

from portal.extensions import db
from portal.models import AnalyticsSnapshot, AuditEvent
from portal.scheduler import run_time_events
from portal.services import analytics, analytics_snapshots
from portal.timezone import format_datetime
from tests.buyer.test_analytics_pages import rows_of, with_placements
from tests.portal.test_analytics import placement
from tests.portal.test_market_query_counts import add_market_data
from tests.portal.test_query_counts import FEW, MANY, counting, grown, statements_for

FRAMEWORK = "/admin/analytics/framework.csv?from=2026-Q1&to=2026-Q2"


def test_stored_figures_are_read_in_one_statement_whatever_the_data(world, clock, sign_in):
    client = sign_in(world.admin)
    url = "/admin/analytics?from=2026-Q1&to=2026-Q3"
    add = add_market_data(world)
    add(0, FEW)
    client.get(url)  # the first request computes and stores them
    few = statements_for(client, url)
    add(FEW, MANY)
    clock.advance(hours=2)
    assert analytics_snapshots.refresh_stale(clock.now()) == ["refreshed 1 analytics snapshots"]
    client.get(url)  # marks the snapshot still wanted (at most once an hour)
    many = statements_for(client, url)
    assert len(many) == len(few)
    assert not [statement for statement in many if "FROM placement" in statement or "FROM referral" in statement]
    assert sum("FROM analytics_snapshot" in statement for statement in many) == 1


def test_the_stored_figures_are_the_figures_computed(world, clock):
    add_market_data(world)(0, FEW)
    scope = analytics.Scope(authority_ids=(world.member.id, world.lead.id),
                            quarters=analytics.period("2026-Q1", "2026-Q3", date(2026, 11, 2)))
    analytics_snapshots.stored_figures(scope, clock.now())
    db.session.expire_all()
    stored = analytics_snapshots.stored_figures(scope, clock.now())
    assert stored.figures == analytics.figures(scope, clock.now())
    assert any(value is not None for figure in stored.figures for series in figure.series for value in series.values)


def test_the_page_says_when_its_figures_were_computed_and_the_scheduler_refreshes_them(world, clock, sign_in):
    with_placements(world)
    client = sign_in(world.admin)
    computed = clock.now()
    assert f"Figures as of {format_datetime(computed)}" in client.get("/admin/analytics").get_data(as_text=True)
    assert rows_of(client.get(FRAMEWORK))[1:] == [["Q1 2026-27", "2", "0"], ["Q2 2026-27", "1", "0"]]

    placement(world, start=date(2026, 8, 2), in_area=True, weekly="2000.00", authority=world.member)
    db.session.commit()
    clock.advance(minutes=30)
    run_time_events(client.application)
    assert rows_of(client.get(FRAMEWORK))[1:] == [["Q1 2026-27", "2", "0"], ["Q2 2026-27", "1", "0"]]

    clock.advance(minutes=31)
    assert any("analytics snapshots" in line for line in run_time_events(client.application))
    assert rows_of(client.get(FRAMEWORK))[1:] == [["Q1 2026-27", "2", "0"], ["Q2 2026-27", "2", "0"]]
    page = client.get("/admin/analytics").get_data(as_text=True)
    assert f"Figures as of {format_datetime(clock.now())}" in page


def test_an_administrator_computes_the_figures_again_now_and_it_is_audited(world, clock, sign_in):
    with_placements(world)
    client = sign_in(world.admin)
    assert rows_of(client.get(FRAMEWORK))[1:] == [["Q1 2026-27", "2", "0"], ["Q2 2026-27", "1", "0"]]
    placement(world, start=date(2026, 8, 2), in_area=True, weekly="2000.00", authority=world.member)
    db.session.commit()
    clock.advance(minutes=5)
    response = client.post("/admin/analytics/refresh?from=2026-Q1&to=2026-Q2")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/analytics?from=2026-Q1&to=2026-Q2")
    page = client.get("/admin/analytics?from=2026-Q1&to=2026-Q2").get_data(as_text=True)
    assert "The figures have been computed again" in page
    assert f"Figures as of {format_datetime(clock.now())}" in page
    assert rows_of(client.get(FRAMEWORK))[1:] == [["Q1 2026-27", "2", "0"], ["Q2 2026-27", "2", "0"]]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "analytics.refreshed"))
    assert event is not None and event.actor_id == world.admin.id


def test_an_authority_computes_only_its_own_figures_again(world, sign_in):
    with_placements(world)
    client = sign_in(world.member_officer)
    assert client.post("/authority/analytics/refresh").status_code == 302
    assert client.post("/authority/analytics/refresh?lot=999999").status_code == 404
    assert client.post(f"/admin/analytics/refresh?authority={world.member.id}").status_code == 403


def test_snapshots_nobody_reads_are_not_refreshed_and_then_forgotten(world, clock, sign_in):
    with_placements(world)
    sign_in(world.admin).get("/admin/analytics")
    clock.advance(days=2)
    assert analytics_snapshots.refresh_stale(clock.now()) == []
    clock.advance(days=30)
    assert analytics_snapshots.refresh_stale(clock.now()) == ["deleted 1 unread analytics snapshots"]
    assert db.session.scalar(db.select(db.func.count(AnalyticsSnapshot.id))) == 0


def test_a_read_after_an_hour_marks_the_snapshot_wanted(world, clock):
    with_placements(world)
    scope = analytics.Scope(authority_ids=(world.member.id,), quarters=analytics.period(None, None, date(2026, 11, 2)))
    analytics_snapshots.stored_figures(scope, clock.now())
    clock.advance(hours=20)
    analytics_snapshots.stored_figures(scope, clock.now())  # still read: stays wanted
    clock.advance(hours=20)
    assert analytics_snapshots.refresh_stale(clock.now()) == ["refreshed 1 analytics snapshots"]
    assert db.session.scalar(db.select(AnalyticsSnapshot.computed_at)) == clock.now()


def test_computing_the_figures_again_runs_the_same_statements_whatever_the_data(world, clock):
    add = add_market_data(world)
    scope = analytics.Scope(authority_ids=(world.member.id, world.lead.id),
                            quarters=analytics.period("2026-Q1", "2026-Q3", date(2026, 11, 2)))
    counts = []
    for start, stop in ((0, FEW), (FEW, MANY)):
        add(start, stop)
        analytics_snapshots.stored_figures(scope, clock.now())
        clock.advance(minutes=10)
        with counting() as statements:
            analytics_snapshots.refresh(scope, clock.now())
        counts.append(list(statements))
    assert len(counts[0]) == len(counts[1]), grown(*counts)


def test_asking_again_within_five_minutes_keeps_the_figures_and_says_why(world, clock, sign_in):
    with_placements(world)
    client = sign_in(world.admin)
    client.get("/admin/analytics")
    computed = db.session.scalar(db.select(AnalyticsSnapshot.computed_at))
    clock.advance(minutes=4)
    page = client.post("/admin/analytics/refresh", follow_redirects=True).get_data(as_text=True)
    assert "computed less than 5 minutes ago, so they have not been computed again" in page
    db.session.expire_all()
    assert db.session.scalar(db.select(AnalyticsSnapshot.computed_at)) == computed
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "analytics.refreshed")) is None


def test_a_snapshot_that_fails_goes_to_the_back_and_the_tick_carries_on(world, clock, sign_in, monkeypatch):
    with_placements(world)
    sign_in(world.admin).get("/admin/analytics")
    clock.advance(hours=2)

    def broken(scope, now):
        raise RuntimeError("a figure could not be built")

    monkeypatch.setattr(analytics, "figures", broken)
    done = run_time_events(sign_in(world.admin).application)  # mail and clean-up still run after it
    assert not any("refreshed" in line for line in done)
    db.session.expire_all()
    assert db.session.scalar(db.select(AnalyticsSnapshot.computed_at)) == clock.now()
