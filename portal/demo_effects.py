"""Demo data for what standing does across the portal: Harbour Lane Homes suspended on the 16+ DPS since its
employer's liability insurance lapsed yesterday. On that DPS it is passed over by the tier cascade, cannot bid, be
awarded, apply or publish vacancies, and a bid it sent on a referral still open would be set aside at the deadline;
the administrator's register shows "Suspended" on that DPS and filters by it. (The demo's other referrals and the
fostering framework's tier tables are left as the other stages describe them; the tests show a termination's
re-tiering and a bid set aside.)"""

from datetime import datetime, timedelta

from portal.extensions import db
from portal.models import Dps, Organisation, User, UserRole
from portal.models.contract import INSURANCE_EXPIRED
from portal.models.user import ADMINISTRATOR
from portal.services import standing

SIXTEEN_PLUS, SUSPENDED_PROVIDER = "NW-16P-DPS", "Harbour Lane Homes"


def load(moment: datetime, make_user) -> list[tuple[str, str]]:
    """`make_user` is portal/demo.py's (no one new is needed here)."""
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == SIXTEEN_PLUS))
    provider = db.session.scalar(db.select(Organisation).where(Organisation.name == SUSPENDED_PROVIDER))
    if dps is None or provider is None or standing.contract_for(dps.id, provider.id) is None:
        return []
    standing.restrict(dps_id=dps.id, provider_id=provider.id, cause=INSURANCE_EXPIRED, actor=None,
                      now=moment - timedelta(hours=9),
                      reason="Employer's liability insurance expired: no new certificate uploaded")
    db.session.commit()
    admin = db.session.scalar(db.select(User).join(UserRole, UserRole.user_id == User.id)
                              .where(User.organisation_id == dps.lead_authority_id, UserRole.role == ADMINISTRATOR)
                              .order_by(User.id))
    user = db.session.scalar(db.select(User).where(User.organisation_id == provider.id).order_by(User.id))
    return [("Consortium administrator: a provider suspended on one DPS, on the register", admin.email),
            ("Provider suspended on the 16+ DPS (insurance lapsed): no bids, applications or vacancies there",
             user.email)]
