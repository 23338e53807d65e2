"""The demo shows the compliance register at each stage: a fall to Inadequate waiting for the assistant director,
a fall with placement reviews due, insurance warned, lapsed and waiting, an enforcement notice, the monthly
review done by one contract manager and pending for the other."""

from portal import demo
from portal.extensions import db
from portal.models import EnforcementNotice, Evidence, Inspection, OfstedImport, Organisation, Restriction, User
from portal.models.compliance import INADEQUATE, SUBMITTED
from portal.models.contract import ENFORCEMENT, INSURANCE_EXPIRED
from portal.models.contract import INADEQUATE as INADEQUATE_CAUSE
from portal.services import compliance


def test_demo_shows_the_compliance_stages(app, clock):
    sign_ins = dict(demo.load())
    assert sign_ins["Assistant director (Tameside): an Inadequate judgement to decide"] == \
        "farid.haddad@tameside.example.org"
    director = db.session.scalar(db.select(User).where(User.email == "farid.haddad@tameside.example.org"))
    [waiting] = compliance.decisions_due(director)
    assert waiting.judgement == INADEQUATE and waiting.setting.provider.name == "Brightwater Transitions CIC"
    assert db.session.scalar(db.select(db.func.count(OfstedImport.id))) == 2
    assert db.session.scalar(db.select(db.func.count(Inspection.id)).where(Inspection.previous_judgement == 2,
                                                                            Inspection.judgement == 3)) == 1
    causes = set(db.session.scalars(db.select(Restriction.cause).where(Restriction.lifted_at.is_(None))))
    assert {INADEQUATE_CAUSE, INSURANCE_EXPIRED, ENFORCEMENT} <= causes
    assert db.session.scalar(db.select(Evidence).where(Evidence.status == SUBMITTED)) is not None
    assert db.session.scalar(db.select(Evidence).where(Evidence.warned_30_at.is_not(None),
                                                      Evidence.lapsed_at.is_(None))) is not None
    assert db.session.scalar(db.select(EnforcementNotice)) is not None
    imogen = db.session.scalar(db.select(User).where(User.email == "imogen.clarke@tameside.example.org"))
    owen = db.session.scalar(db.select(User).where(User.email == "owen.bright@sefton.example.org"))
    now = app.extensions["clock"].now()
    assert not compliance.review_pending(imogen, now)
    assert compliance.review_pending(owen, now)
    assert db.session.scalar(db.select(Organisation).where(Organisation.name == "Harbour Lane Homes")) is not None
