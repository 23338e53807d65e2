from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.auth import require_roles_for_blueprint
from portal.clock import now
from portal.extensions import db
from portal.models import Dps, DpsMember
from portal.models.user import COMMISSIONING_OFFICER, CONTRACT_MANAGER, USER_ADMINISTRATOR
from portal.services import lot_lists, standing, windows
from portal.services import referrals as referral_service
from portal.services.approvals import DECIDERS

blueprint = Blueprint("buyer", __name__)
# Officers use every page. Those who decide approvals (budget holders, heads of service, assistant directors) reach
# only their Tasks, the approval pages and their authority's referrals (the list and each), read only; user
# administrators reach the staff pages (buyer/staff.py). Contract managers and deciders reach the contract
# management pages (every endpoint named `buyer.contracts_…`, buyer/contracts.py and the modules beside it), whose
# services check who may do what; contract managers also reach their Tasks and the approval pages.
DECIDER_ENDPOINTS = {"buyer.tasks", "buyer.approval", "buyer.approval_answer", "buyer.approval_withdraw",
                     "buyer.referral_list", "buyer.referral", "buyer.agreement_countersign", "buyer.agreement_pdf"}
require_roles_for_blueprint(blueprint, COMMISSIONING_OFFICER, USER_ADMINISTRATOR, CONTRACT_MANAGER, *DECIDERS)


@blueprint.before_request
def officers_only_beyond_approvals_and_staff():
    if current_user.has_role(COMMISSIONING_OFFICER):
        return None
    endpoint = request.endpoint or ""
    if current_user.has_role(*DECIDERS) and endpoint in DECIDER_ENDPOINTS:
        return None
    if current_user.has_role(CONTRACT_MANAGER, *DECIDERS) and endpoint.startswith("buyer.contracts_"):
        return None
    if current_user.has_role(CONTRACT_MANAGER) and endpoint in {"buyer.tasks", "buyer.approval"}:
        return None
    if current_user.has_role(USER_ADMINISTRATOR) and endpoint.startswith("buyer.staff_"):
        return None
    abort(403)


def _member_dpss():
    org_id = current_user.organisation_id
    return db.session.scalars(
        db.select(Dps).where(db.or_(Dps.lead_authority_id == org_id,
                                    Dps.id.in_(db.select(DpsMember.dps_id).where(DpsMember.authority_id == org_id,
                                                                                 DpsMember.left_on.is_(None)))))
        .options(selectinload(Dps.lead_authority), selectinload(Dps.lots))
        .order_by(Dps.name)).all()


@blueprint.route("/")
def dashboard():
    dpss = _member_dpss()
    return render_template("buyer/dashboard.html", dpss=dpss,
                           by_dps=windows.open_and_next_by_dps([dps.id for dps in dpss], now()),
                           referral_counts=referral_service.status_counts(current_user, now()))


@blueprint.route("/dps/<int:dps_id>")
def dps(dps_id):
    dps = next((item for item in _member_dpss() if item.id == dps_id), None)
    if dps is None:
        abort(404)
    pages = lot_lists.admitted_pages(dps.lots, {lot.id: request.args.get(f"page-{lot.id}", type=int)
                                                for lot in dps.lots})
    shown = {membership.provider_id for page in pages.values() for membership in page.items}
    return render_template("buyer/dps.html", dps=dps, pages=pages,  # standing on this DPS: portal.services.standing
                           standings=standing.standings(dps.id, shown))


from buyer import (  # noqa: E402,F401  (their routes register on import)
    agreements,
    analytics,
    annual_reviews,
    approvals,
    awards,
    compliance,
    contracts,
    kpis,
    ladder,
    off_framework,
    placements,
    referrals,
    reviews,
    staff,
    vacancies,
)
