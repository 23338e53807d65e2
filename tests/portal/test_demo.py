from portal import demo, scheduler
from portal.extensions import db
from portal.models import Application, EntryWindow, LotMembership, Notification, Organisation
from portal.models.application import DRAFT, SUBMITTED
from portal.services import accounts


def test_demo_loads_a_consortium_with_an_open_window_and_applications(app, clock):
    assert demo.is_empty()
    sign_ins = demo.load()
    now = clock.now()

    windows = db.session.scalars(db.select(EntryWindow).order_by(EntryWindow.opens_at)).all()
    assert [w.status(now) for w in windows] == ["closed", "open", "scheduled"]
    statuses = [a.status for a in db.session.scalars(db.select(Application))]
    assert statuses.count(SUBMITTED) == 2 and statuses.count(DRAFT) == 2
    assert db.session.scalar(db.select(db.func.count(LotMembership.id))) == 4
    providers = db.session.scalars(db.select(Organisation).where(Organisation.kind == "provider")).all()
    assert len(providers) == 6
    # Every provider user was told the window opened.
    assert db.session.scalar(db.select(db.func.count(Notification.id))) >= 6
    # Every printed sign-in works with the printed password.
    for _, email in sign_ins:
        assert accounts.authenticate(email, demo.PASSWORD, now).email == email
    assert not demo.is_empty()


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
