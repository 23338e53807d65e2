"""Demo data for what standing does across the portal: a Tameside referral whose bid from Harbour Lane Homes was
set aside at the deadline (its employer's liability insurance had lapsed; the restriction was lifted the next
morning: Harbour is in good standing again and the bid stays set aside), and a fostering agency's contract on the
North West Fostering Framework terminated ten days ago (the agency with the fewest children placed there): it left
the framework's lots, which were re-tiered, and each of its placements there has a review due; they continue."""

from datetime import datetime, timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models import Dps, Lot, Organisation, Placement, User, UserRole
from portal.models.contract import INSURANCE_EXPIRED
from portal.models.placement import ENDED
from portal.models.user import ADMINISTRATOR, COMMISSIONING_OFFICER
from portal.services import standing
from portal.timezone import to_local

SET_ASIDE_PROVIDER, OTHER_BIDDER = "Harbour Lane Homes", "Mersey Horizons Housing"
TERMINATED_PROVIDER, FOSTERING = "Moorland Foster Families", "NW-FOS-DPS"


def load(moment: datetime, make_user) -> list[tuple[str, str]]:
    """`make_user` is portal/demo.py's (no one new is needed here)."""
    from portal import demo  # the referral helpers; imported here, as portal.demo imports this module

    lead = db.session.scalar(db.select(Organisation).where(Organisation.name == demo.LEAD))
    officer = _staff(lead, COMMISSIONING_OFFICER) if lead is not None else None
    harbour, mersey = _user(SET_ASIDE_PROVIDER), _user(OTHER_BIDDER)
    lot = db.session.scalar(db.select(Lot).join(Dps, Dps.id == Lot.dps_id)
                            .where(Dps.lead_authority_id == officer.organisation_id).order_by(Lot.number))
    if None in (officer, harbour, mersey, lot):
        return []
    _set_aside(demo, officer, _staff(lead, ADMINISTRATOR) or officer, lot, harbour, mersey, moment)
    signs_in = [("Commissioning officer (Tameside): a bid set aside at the deadline", officer.email),
                ("Provider whose bid was set aside (its insurance lapsed before the deadline)", harbour.email)]
    admin = _terminated(moment)
    if admin is not None:
        signs_in.append(("Fostering framework administrator: a provider terminated, on the register", admin.email))
    db.session.commit()
    return signs_in


def _staff(organisation: Organisation, role: str) -> User | None:
    return db.session.scalar(db.select(User).join(UserRole, UserRole.user_id == User.id)
                             .where(User.organisation_id == organisation.id, UserRole.role == role)
                             .order_by(User.id))


def _user(provider_name: str) -> User | None:
    return db.session.scalar(db.select(User).join(Organisation, Organisation.id == User.organisation_id)
                             .where(Organisation.name == provider_name).order_by(User.id))


def _set_aside(demo, officer: User, admin: User, lot, harbour: User, mersey: User, moment: datetime) -> None:
    """Published five days ago, closed yesterday at noon: Harbour's insurance lapsed in between, so its bid was set
    aside at the deadline; the new certificate was accepted the next morning."""
    from portal.services import referrals

    today = to_local(moment).date()
    deadline = demo._at(today - timedelta(days=1), 12)
    referral = demo._published(officer, lot, created=demo._at(today - timedelta(days=6), 15),
                               published=demo._at(today - timedelta(days=5), 9), deadline=deadline,
                               fields=demo._fields(
        age_years=17, required_start=today + timedelta(days=12), indicative_weekly_price=Decimal("1280.00"),
        **demo._preferred("Tameside or Stockport"), live_alongside="with_other_children", pets="no",
        education_needs="On an electrician's apprenticeship, at college one day a week.",
        needs_summary="Young person aged 17 needing semi-independent accommodation with eight hours' key-work a "
                      "week, to practise cooking, budgeting and keeping a tenancy before moving on at 18."),
        child={"first_names": "Callum James", "surname": "Oyelaran-Pike", "known_as": "",
               "date_of_birth": demo._born(today, 17, 40), "case_number": "TMBC-CS-90417"})
    published = referral.published_at
    start = today + timedelta(days=12)
    demo._bid(mersey, referral, published + timedelta(days=1, hours=3), core="1295.00", start=start, area="Stockport",
              home="A four-bedroom shared house with staff on site from 8am to 11pm and on call overnight.",
              how="Eight hours' key-work a week and a tenancy-ready course run with the local housing association.")
    demo._bid(harbour, referral, published + timedelta(days=2, hours=1), core="1240.00", start=start,
              area="Tameside", home="A two-bedroom flat shared with a young person of 18, staff visiting daily.",
              how="Eight hours' key-work a week, weekly cooking sessions and a savings plan.")
    lapsed = published + timedelta(days=3, hours=-9)  # midnight: the scheduler's lapse
    restriction = standing.restrict(
        dps_id=lot.dps_id, provider_id=harbour.organisation_id, cause=INSURANCE_EXPIRED, actor=None, now=lapsed,
        reason="Employer's liability insurance expired: no new certificate uploaded")
    db.session.commit()
    referrals.run_due(deadline)
    standing.lift(restriction, reason="New employer's liability certificate accepted", actor=admin,
                  now=deadline + timedelta(hours=21))
    db.session.commit()


def _terminated(moment: datetime) -> User | None:
    """An agency's contract on the fostering framework terminated ten days ago: it left the lots, which were
    re-tiered, and its placements there got reviews."""
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == FOSTERING))
    if dps is None:
        return None
    # The agency with the fewest children placed on the framework and still there (Moorland when it has any).
    today = to_local(moment).date()
    placed = db.session.execute(
        db.select(Organisation, db.func.count(Placement.id))
        .join(Placement, Placement.provider_id == Organisation.id).join(Lot, Lot.id == Placement.lot_id)
        .where(Lot.dps_id == dps.id, db.not_(Placement.status_clause(ENDED, today)))
        .group_by(Organisation.id).order_by(Organisation.name != TERMINATED_PROVIDER, db.func.count(Placement.id),
                                            Organisation.name)).first()
    provider = placed[0] if placed else db.session.scalar(
        db.select(Organisation).where(Organisation.name == TERMINATED_PROVIDER))
    if provider is None:
        return None
    contract = standing.contract_for(dps.id, provider.id, now=moment - timedelta(days=400))
    admin = _staff(dps.lead_authority, ADMINISTRATOR)
    standing.terminate(contract, actor=admin, now=moment - timedelta(days=10),
                       reason="Contract review: a notice to improve and a suspension failed to secure safe care")
    return admin
