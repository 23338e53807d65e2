"""The main page of each role that the benchmark drives: who reads it, its address in the portal, and the floor's
version of its main query.

A floor query calls the portal's own service function (or, where the page builds its query inline, the same
select) with the page's page size, and returns the rows as plain text cells. The first cell of each row names the
row (a reference, a provider, a subject) and appears on the portal's page too: tests/bench/test_run.py checks it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models import EntryWindow, Referral
from portal.services import (
    accounts,
    analytics,
    analytics_snapshots,
    applications,
    audit,
    awards,
    bids,
    listing,
    lot_lists,
    mail,
    portfolio,
)
from portal.services import evaluations as evaluation_service
from portal.services import referrals as referral_service
from portal.timezone import uk_today

REFERRALS_PER_PAGE = 25  # buyer/referrals.py PER_PAGE
INVITATIONS_PER_PAGE = 20  # supplier/referrals.py PER_PAGE
AUDIT_PER_PAGE = 50  # admin/views.py audit_log
OUTBOX_PER_PAGE = 25  # admin/views.py outbox


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # a key of the manifest's "users"
    path: Callable[[dict], str]  # the portal's address, from the manifest's "ids"
    rows: Callable  # (user, ids, now) -> list of rows, each a tuple of cells


def _referrals(user, ids, now: datetime):
    page = referral_service.for_authority(user, now=now, per_page=REFERRALS_PER_PAGE)
    return [(referral.reference, referral.lot.label, referral.status(now)) for referral in page.items]


def _bids(user, ids, now: datetime):
    referral = db.session.get(Referral, ids["referral_with_bids"])
    return [(item.provider_name, str(item.price), str(item.rank)) for item in awards.ranking_for(user, referral, now)]


def _invitations(user, ids, now: datetime):
    page = bids.invitations_of(user, 1, INVITATIONS_PER_PAGE)
    return [(invitation.referral.reference, invitation.referral.lot.label, invitation.round.deadline.isoformat())
            for invitation in page.items]


def _provider_dashboard(user, ids, now: datetime):
    return [(application.window.dps.name, application.window.label, application.status)
            for application in applications.for_provider(user.organisation)]


def _evaluator_queue(user, ids, now: datetime):
    # evaluation/views.py dashboard: the first page of the allocations to score, and of those scored.
    allocations = [*evaluation_service.queue_of(user, scored=False).items,
                   *evaluation_service.queue_of(user, scored=True).items]
    return [(allocation.application.provider.name, allocation.application.window.label) for allocation in allocations]


def _tiers(user, ids, now: datetime):
    # evaluation/views.py tiers: the first page of each category's tier table.
    window = db.session.get(EntryWindow, ids["tier_window"])
    categories = [category for lot in window.dps.lots for category in lot.categories]
    pages = lot_lists.tier_table_pages(categories, {})
    return [(row.provider_name, str(row.tier), str(row.rank))
            for category in categories for row in pages[category.id].items]


def _consortium_ids(user) -> list[int]:
    return [organisation.id for organisation in accounts.consortium_authorities(user.organisation)]


def _audit(user, ids, now: datetime):
    query = audit.search(lead_id=user.organisation_id, authority_ids=_consortium_ids(user), now=now)
    page = listing.bounded_page(db.session, query, page=1, per_page=AUDIT_PER_PAGE)
    return [(event.summary, event.actor_label, event.at.isoformat()) for event in page.items]


def _outbox(user, ids, now: datetime):
    query = mail.outbox_of(lead_id=user.organisation_id, authority_ids=_consortium_ids(user), now=now)
    page = listing.bounded_page(db.session, query, page=1, per_page=OUTBOX_PER_PAGE)
    return [(message.subject, message.to_address) for message in page.items]


def _contracts(user, ids, now: datetime):
    page = portfolio.dashboard(user, now=now)
    return [(row.contract.provider.name, row.contract.dps.name, row.standing) for row in page.rows]


def _analytics(user, ids, now: datetime):
    # admin/analytics.py _scope with no filters chosen: every authority of the DPSs the user's authority leads.
    dps_ids = analytics.led_dps_ids(user)
    lots = analytics.lots_of(dps_ids)
    authorities = analytics.consortium_authorities(dps_ids)
    filters = analytics.read_filters(MultiDict(), uk_today(now), [lot.id for lot in lots],
                                     [authority.id for authority in authorities])
    scope = analytics.Scope(authority_ids=tuple(authority.id for authority in authorities),
                            quarters=filters.quarters, lot_id=None, dps_ids=dps_ids)
    # The page reads its figures from the stored snapshot (computed on the first request): so does the floor.
    return [(figure.title, *(str(value) for series in figure.series for value in series.values))
            for figure in analytics_snapshots.stored_figures(scope, now).figures]


PAGES = [
    Page("referrals", "officer", lambda ids: "/authority/referrals", _referrals),
    Page("bids", "officer", lambda ids: f"/authority/referrals/{ids['referral_with_bids']}/bids", _bids),
    Page("invitations", "provider", lambda ids: "/provider/referrals", _invitations),
    Page("provider-dashboard", "provider", lambda ids: "/provider/", _provider_dashboard),
    Page("evaluator-queue", "evaluator", lambda ids: "/evaluation/", _evaluator_queue),
    Page("tiers", "evaluator", lambda ids: f"/evaluation/windows/{ids['tier_window']}/tiers", _tiers),
    Page("audit", "administrator", lambda ids: "/admin/audit", _audit),
    Page("outbox", "administrator", lambda ids: "/admin/outbox", _outbox),
    Page("contracts", "contract_manager", lambda ids: "/authority/contracts", _contracts),
    Page("analytics", "administrator", lambda ids: "/admin/analytics", _analytics),
]
BY_NAME = {page.name: page for page in PAGES}
