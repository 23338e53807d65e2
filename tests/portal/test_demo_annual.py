"""The demo's annual contract reviews: a questionnaire per DPS with contracts, a provider at each stage, and the
sign-in lines that lead to them."""

from portal import demo
from portal.extensions import db
from portal.models import AnnualReview, ReviewQuestionnaire, User
from portal.models.annual_review import ISSUED, RATED, RETURNED, SENT


def test_demo_shows_the_annual_review_at_each_stage(app, clock):
    sign_ins = dict(demo.load())
    statuses = set(db.session.scalars(db.select(AnnualReview.status)))
    assert {ISSUED, RATED, RETURNED, SENT} <= statuses
    assert all(questionnaire.is_locked for questionnaire in db.session.scalars(
        db.select(ReviewQuestionnaire).where(ReviewQuestionnaire.id.in_(db.select(AnnualReview.questionnaire_id)))))
    issued = db.session.scalar(db.select(AnnualReview).where(AnnualReview.status == ISSUED))
    assert issued.rating and len(issued.actions) == 2 and issued.provider_comment
    labelled = {label: email for label, email in sign_ins.items() if "annual review" in label}
    assert len(labelled) >= 4
    for email in labelled.values():
        assert db.session.scalar(db.select(User).where(User.email == email)) is not None
