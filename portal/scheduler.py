"""The one place time events run: `flask scheduler run` starts a blocking APScheduler process.

Web workers start no scheduler (each would run every job again). Jobs are idempotent and catch
up at start on whatever fell due while no scheduler ran.
"""

import logging

from apscheduler.schedulers.blocking import BlockingScheduler

from portal import rate_limits
from portal.clock import now
from portal.services import (
    accounts,
    agreements,
    jobs,
    ladder,
    mail,
    quarterly_returns,
    referrals,
    reminders,
    sessions,
    windows,
)
from portal.services.compliance import run_due as compliance_due

log = logging.getLogger("portal.scheduler")
_app = None


def run_time_events(app=None) -> list[str]:
    """Do everything that has fallen due: windows opening, closing and reminders, referral rounds closing, the
    reminders to providers, officers and evaluators, then e-mail, then clearing out expired sessions and counters."""
    app = app or _app
    with app.app_context(), app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
        moment = now()
        done = windows.run_due(moment)
        done += referrals.run_due(moment)  # catches failures per referral
        done += reminders.run_due(moment)  # catches failures per kind
        done += quarterly_returns.run_due(moment)  # requests at each quarter's end, reminders, overdue
        done += agreements.sync_weekly_costs(moment)  # prices approved earlier taking effect today
        done += compliance_due(moment)  # evidence warnings and lapses, the monthly Ofsted review reminders
        done += jobs.run_each([("overdue ladder actions", ladder.run_due)], moment, family="ladder",
                              line=lambda name, count: f"escalated {count} {name}")
        sent = mail.dispatch_outbox(moment)
        if sent:
            done.append(f"sent {sent} e-mails")
        done += _clean_up(moment)
    for line in done:
        log.info(line)
    return done


def _clean_up(moment) -> list[str]:
    """Forget sessions, sign-in failures and rate-limit counters that no longer count for anything."""
    purged = {
        "expired sessions": sessions.purge_expired(moment),
        "old sign-in failures": accounts.purge_sign_in_failures(moment),
        "expired rate-limit counters": rate_limits.purge_expired(),
    }
    return [f"deleted {count} {what}" for what, count in purged.items() if count]


def run_forever(app, interval_seconds: int = 60) -> None:
    global _app
    _app = app
    run_time_events(app)  # catch up before the first tick
    scheduler = BlockingScheduler(timezone="Europe/London")
    scheduler.add_job(run_time_events, "interval", seconds=interval_seconds, id="time-events",
                      replace_existing=True, max_instances=1, coalesce=True)
    log.info("scheduler running every %s seconds", interval_seconds)
    scheduler.start()
