from portal import demo, scheduler
from portal.extensions import db
from portal.models import (
    Application,
    EntryWindow,
    Lot,
    LotMembership,
    LotOutcome,
    Notification,
    Organisation,
    TierAward,
)
from portal.models.application import DRAFT, SUBMITTED
from portal.models.evaluation import ADMITTED, ADMITTED_WITH_CAUTION, NOT_ADMITTED
from portal.services import accounts, outcomes


def test_demo_loads_a_consortium_with_an_open_window_and_applications(app, clock):
    assert demo.is_empty()
    sign_ins = demo.load()
    now = clock.now()

    windows = db.session.scalars(db.select(EntryWindow).order_by(EntryWindow.opens_at)).all()
    assert [w.status(now) for w in windows] == ["closed", "open", "scheduled"]
    first, current = windows[0], windows[1]
    statuses = [a.status for a in db.session.scalars(db.select(Application).where(Application.window_id == current.id))]
    assert statuses.count(SUBMITTED) == 2 and statuses.count(DRAFT) == 2
    earlier = db.session.scalars(db.select(Application).where(Application.window_id == first.id)).all()
    assert len(earlier) == 5 and all(a.status == SUBMITTED and a.moderated_at for a in earlier)
    # Places on lots 1 (four providers), 2 (three) and 3 (one), all from the first window.
    memberships = db.session.scalars(db.select(LotMembership)).all()
    assert len(memberships) == 8 and {m.window_id for m in memberships} == {first.id}
    providers = db.session.scalars(db.select(Organisation).where(Organisation.kind == "provider")).all()
    assert len(providers) == 6
    # Every provider user was told the window opened.
    assert db.session.scalar(db.select(db.func.count(Notification.id))) >= 6
    # Every printed sign-in works with the printed password.
    for _, email in sign_ins:
        assert accounts.authenticate(email, demo.PASSWORD, now).email == email
    assert not demo.is_empty()


def test_demo_first_window_was_evaluated_published_and_tiered(app, clock):
    demo.load()
    now = clock.now()
    first = db.session.scalars(db.select(EntryWindow).order_by(EntryWindow.opens_at)).first()
    assert first.status(now) == "closed"
    assert first.closes_at < first.outcomes_published_at < now

    # Every application was scored by two evaluators, with reasons, before it was moderated.
    for application in db.session.scalars(db.select(Application).where(Application.window_id == first.id)):
        assert len(application.allocations) == 2
        assert all(a.submitted_at and len(a.scores) == 5 and all(s.reason for s in a.scores)
                   for a in application.allocations)
        assert len(application.gates) == 3 and all(r.reference_outcome for r in application.referees)
        assert all(m.reason for m in application.moderated_scores)

    outcome_of = {}
    for outcome in db.session.scalars(db.select(LotOutcome)):
        outcome_of.setdefault(outcome.application.provider.name, set()).add(outcome.outcome)
    assert outcome_of["Brightwater Transitions CIC"] == {ADMITTED_WITH_CAUTION}
    assert outcome_of["Pennine Steps Ltd"] == {NOT_ADMITTED}
    assert outcome_of["Mersey Horizons Housing"] == {ADMITTED}
    caution = db.session.scalar(db.select(Organisation).where(Organisation.name == "Brightwater Transitions CIC"))
    assert caution.provider_status == "place_with_caution"
    assert [m.status for m in db.session.scalars(db.select(LotMembership).where(
        LotMembership.provider_id == caution.id))] == ["place_with_caution"]
    not_admitted = db.session.scalar(db.select(Organisation).where(Organisation.name == "Pennine Steps Ltd"))
    assert not db.session.scalars(db.select(LotMembership).where(LotMembership.provider_id == not_admitted.id)).all()

    # Tier tables on lots 1 and 2, over every current member, tiered 1 upwards.
    lots = db.session.scalars(db.select(Lot).order_by(Lot.number)).all()
    for lot, size in ((lots[0], 4), (lots[1], 3)):
        table = outcomes.tier_table(lot)
        assert len(table) == size and all(award.current and award.window_id == first.id for award in table)
        assert [award.rank for award in table] == list(range(1, size + 1))
        assert [award.tier for award in table] == sorted(award.tier for award in table)
        assert table[0].tier == 1 and table[-1].tier > 1
        members = set(db.session.scalars(db.select(LotMembership.provider_id).where(LotMembership.lot_id == lot.id)))
        assert {award.provider_id for award in table} == members
    assert "Brightwater Transitions CIC" in [award.provider.name for award in outcomes.tier_table(lots[0])]
    assert db.session.scalar(db.select(db.func.count(TierAward.id)).where(TierAward.current.is_(True))) == 8


def test_demo_uses_fictional_contact_details(app, clock):
    demo.load()
    for organisation in db.session.scalars(db.select(Organisation)):
        for user in organisation.users:
            assert user.email.endswith(".example.org")
        if organisation.telephone:
            assert organisation.telephone.startswith("0161 496 0")  # Ofcom's range for drama


def test_scheduler_run_catches_up_once_and_is_idempotent(app, clock):
    demo.load()
    clock.advance(days=20)  # past the open window's close
    done = scheduler.run_time_events(app)
    assert any(line.startswith("closed NW-16P-DPS Window 2") for line in done)
    assert scheduler.run_time_events(app) == []
