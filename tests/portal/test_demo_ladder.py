"""The demo shows the ladder's stages: a notice escalated to a suspension with the provider's appeal waiting for
someone uninvolved, a minor performance issue, and a proposed notice waiting for the head of service."""

from portal import demo
from portal.extensions import db
from portal.models import Approval, PerformanceIssue, Sanction, User
from portal.models.contract import SUSPENDED
from portal.services import ladder, standing


def test_demo_shows_every_stage_of_the_ladder(app, clock):
    sign_ins = dict(demo.load())
    assert "Provider suspended on the 16+ DPS, its appeal waiting" in sign_ins
    by_status = {(sanction.kind, sanction.status) for sanction in db.session.scalars(db.select(Sanction))}
    assert {("notice", "escalated"), ("suspension", "in_force"), ("notice", "proposed")} <= by_status
    suspension = db.session.scalar(db.select(Sanction).where(Sanction.kind == "suspension"))
    assert standing.standing_of(suspension.contract.dps_id, suspension.contract.provider_id) == SUSPENDED
    director = db.session.scalar(db.select(User).where(User.email == "farid.haddad@tameside.example.org"))
    head = db.session.scalar(db.select(User).where(User.email == "lorna.bickerstaff@tameside.example.org"))
    assert ladder.may_decide_appeal(director, suspension.appeal)
    assert not ladder.may_decide_appeal(head, suspension.appeal)
    assert db.session.scalar(db.select(PerformanceIssue.status)) == "open"
    assert db.session.scalar(db.select(db.func.count(Approval.id)).where(
        Approval.kind == "notice_to_improve", Approval.status == "pending")) == 1
