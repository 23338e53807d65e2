"""Demo data for the escalation ladder, built through the services at earlier moments so every stage shows:

- one provider on the 16+ DPS with a notice to improve (its action missed) escalated to a suspension, approved by
  Tameside's head of service, and the provider's appeal waiting for Tameside's assistant director, who took no
  part in it (the DPS's last-admitted provider, so that a bidder on the referral waiting to be weighed stays in good
  standing and can be awarded);
- another with a minor performance issue raised by Sefton's officer, its action due in ten days;
- a third with a contract review whose proposed notice to improve waits for the head of service's approval."""

from datetime import datetime, timedelta

from portal.extensions import db
from portal.models import Approval, Dps, Organisation, ProviderContract, User, UserRole
from portal.models.user import COMMISSIONING_OFFICER, PROVIDER_USER
from portal.services import approvals, ladder

DPS_REFERENCE = "NW-16P-DPS"


def _person(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def _provider_user(provider_id: int) -> User:
    return db.session.scalar(db.select(User).where(
        User.organisation_id == provider_id,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == PROVIDER_USER))).order_by(User.id).limit(1))


def _approve(answerer: User, sanction, kind: str, at: datetime) -> None:
    approval = db.session.scalar(db.select(Approval).where(
        Approval.subject_type == "sanction", Approval.subject_id == sanction.id, Approval.kind == kind,
        Approval.status == "pending"))
    approvals.answer(answerer, approval, approve=True, now=at)


def load(moment: datetime, make_user) -> list[tuple[str, str]]:
    """`make_user` is portal/demo.py's (unused: the ladder's people already exist)."""
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == DPS_REFERENCE))
    contracts = db.session.scalars(db.select(ProviderContract).where(ProviderContract.dps_id == dps.id)
                                   .order_by(ProviderContract.id)).all() if dps else []
    if len(contracts) < 4:
        return []
    manager = _person("imogen.clarke@tameside.example.org")
    head = _person("lorna.bickerstaff@tameside.example.org")
    sefton = db.session.scalar(db.select(Organisation).where(Organisation.local_authority_area == "Sefton",
                                                             Organisation.kind == "authority"))
    officer = db.session.scalar(db.select(User).where(
        User.organisation_id == sefton.id,
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == COMMISSIONING_OFFICER))).order_by(User.id))
    suspended, with_issue, proposed = contracts[-1], contracts[1], contracts[2]

    # A notice to improve missed, escalated to suspension, appealed.
    at = moment - timedelta(days=60)
    review = ladder.open_review(manager, suspended, breach="non_statutory_enforcement",
                                details="Monthly monitoring returns not sent for June, July and August despite "
                                        "two reminders.", now=at)
    notice = ladder.propose(manager, suspended, kind="notice", grounds="Monitoring returns not sent for three "
                            "months (clause 14.2 of the DPS terms).", review_on=None, now=at, review=review,
                            actions=[("Send the missing monitoring returns", (at + timedelta(days=28)).date()),
                                     ("Name a contract lead who will send future returns",
                                      (at + timedelta(days=14)).date())])
    _approve(head, notice, "notice_to_improve", at + timedelta(days=1))
    at = moment - timedelta(days=20)
    suspension = ladder.propose(manager, suspended, kind="suspension",
                                grounds="The notice to improve was not met: the returns are still missing.",
                                review_on=(moment + timedelta(days=40)).date(), actions=[], now=at, previous=notice)
    _approve(head, suspension, "suspension", at + timedelta(days=1))
    provider = _provider_user(suspended.provider_id)
    ladder.appeal(provider, suspension, grounds="Our returns were sent by post in September; we attach the "
                  "recorded-delivery receipts. A suspension is out of proportion.", now=moment - timedelta(days=10))

    # A minor performance issue raised by a member's officer.
    ladder.raise_issue(officer, with_issue, severity="minor",
                       description="Weekly placement reports sent late three weeks running.",
                       actions=[("Send each weekly report by Friday noon", (moment + timedelta(days=10)).date())],
                       placement_id=None, now=moment - timedelta(days=5))

    # A proposed notice waiting for the head of service.
    at = moment - timedelta(days=2)
    review = ladder.open_review(manager, proposed, breach="other_breach",
                                details="Staff training records not kept up to date at the last visit.", now=at)
    ladder.propose(manager, proposed, kind="notice", grounds="Training records incomplete for four staff.",
                   review_on=None, now=at, review=review,
                   actions=[("Bring every staff training record up to date", (moment + timedelta(days=21)).date())])
    db.session.commit()
    return [("Provider suspended on the 16+ DPS, its appeal waiting", provider.email),
            ("Provider with a minor performance issue", _provider_user(with_issue.provider_id).email)]
