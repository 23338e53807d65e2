"""Entry windows: cadence scheduling, opening and closing on time (and catching up), reminders, and
the administrator's early opening, extension and early closing. The clock never moves by itself."""

from datetime import datetime, timedelta

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.models import AuditEvent, Dps, EntryWindow, Notification, OutboxMessage
from portal.services import dps_setup, windows
from portal.services.audit import SYSTEM
from tests.conftest import START
from tests.factories import build_dps, complete_application


def events(action, entity=None):
    query = db.select(AuditEvent).where(AuditEvent.action == action)
    if entity is not None:
        query = query.where(AuditEvent.entity_type == entity.__tablename__, AuditEvent.entity_id == entity.id)
    return db.session.scalars(query.order_by(AuditEvent.id)).all()


def notified(subject_part):
    """The ids of the users with an in-portal notification whose subject contains the text."""
    return sorted(db.session.scalars(
        db.select(Notification.user_id).where(Notification.subject.contains(subject_part))).all())


def mailed(subject_part):
    return sorted(db.session.scalars(
        db.select(OutboxMessage.to_address).where(OutboxMessage.subject.contains(subject_part))).all())


def ids(*users):
    return sorted(user.id for user in users)


def counts():
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(model))
                 for model in (AuditEvent, Notification, OutboxMessage, EntryWindow))


def second_window(world):
    return next(w for w in windows.windows_of(world.dps) if w.number == 2)


def new_dps(world, clock, reference="T-NEW", **kwargs):
    return build_dps(world.admin, clock, reference=reference, **kwargs)


# Dates: add_months and add_days keep the London wall-clock time ---------------------------------

def test_add_months_keeps_london_time_into_summer_time():
    # 10:00 GMT in November is 10:00 UTC; 10:00 BST in May is 09:00 UTC.
    assert windows.add_months(datetime(2026, 11, 2, 10, 0), 6) == datetime(2027, 5, 2, 9, 0)


def test_add_months_keeps_london_time_back_into_winter_time():
    assert windows.add_months(datetime(2027, 5, 2, 9, 0), 6) == datetime(2027, 11, 2, 10, 0)


def test_add_months_across_the_year_end():
    assert windows.add_months(datetime(2026, 11, 15, 10, 0), 4) == datetime(2027, 3, 15, 10, 0)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (datetime(2027, 1, 31, 10, 0), 1, datetime(2027, 2, 28, 10, 0)),
    (datetime(2028, 1, 31, 10, 0), 1, datetime(2028, 2, 29, 10, 0)),  # leap year
    (datetime(2026, 10, 31, 10, 0), 4, datetime(2027, 2, 28, 10, 0)),
    (datetime(2027, 1, 31, 10, 0), 3, datetime(2027, 4, 30, 9, 0)),  # clamped, and in BST
    (datetime(2026, 12, 31, 10, 0), 12, datetime(2027, 12, 31, 10, 0)),
])
def test_add_months_clamps_to_the_last_day_of_a_shorter_month(start, months, expected):
    assert windows.add_months(start, months) == expected


def test_add_days_keeps_london_time_across_the_clock_change():
    # 2027-03-28 is the spring clock change: 28 days after 1 March 10:00 GMT is 29 March 10:00 BST.
    assert windows.add_days(datetime(2027, 3, 1, 10, 0), 28) == datetime(2027, 3, 29, 9, 0)
    assert windows.add_days(datetime(2026, 10, 20, 9, 0), 14) == datetime(2026, 11, 3, 10, 0)


# Cadence: ensure_next_window ----------------------------------------------------------------------

def test_opening_a_window_schedules_the_next_one_by_cadence(world):
    # The world's window opened 1 November 2026 10:00; the DPS has a 4-month cadence and 28-day windows.
    following = second_window(world)
    assert following.opens_at == datetime(2027, 3, 1, 10, 0)
    assert following.closes_at == datetime(2027, 3, 29, 9, 0)  # 10:00 in London, now BST
    assert following.opened_at is None and following.status(START) == "scheduled"
    assert [e.entity_id for e in events("window.scheduled")] == [world.window.id, following.id]


def test_next_window_is_scheduled_once_only(world, clock):
    before = len(windows.windows_of(world.dps))
    assert windows.ensure_next_window(world.dps, clock.now()) is None  # the latest has not opened yet
    clock.advance(days=30)
    windows.run_due(clock.now())
    assert len(windows.windows_of(world.dps)) == before == 2


def test_cadence_across_the_autumn_and_spring_clock_changes(world, clock):
    dps = new_dps(world, clock, cadence_months=6)
    first = windows.schedule_first_window(world.admin, dps, opens_at=START + timedelta(hours=1), now=START)
    assert first.closes_at == datetime(2026, 11, 30, 11, 0)
    assert windows.ensure_next_window(dps, START) is None  # not until the first has opened

    clock.set(START + timedelta(hours=1))
    done = windows.run_due(clock.now())
    assert "scheduled T-NEW Window 2" in done
    second = windows.windows_of(dps)[-1]
    # 11:00 London in November (GMT) -> 11:00 London in May (BST) = 10:00 UTC.
    assert (second.number, second.opens_at, second.closes_at) == (
        2, datetime(2027, 5, 2, 10, 0), datetime(2027, 5, 30, 10, 0))

    clock.set(second.opens_at)
    windows.run_due(clock.now())
    third = windows.windows_of(dps)[-1]
    assert (third.number, third.opens_at) == (3, datetime(2027, 11, 2, 11, 0))


def test_cadence_clamps_the_next_opening_to_the_end_of_a_short_month(world, clock):
    dps = new_dps(world, clock, cadence_months=1, window_length_days=7)
    windows.schedule_first_window(world.admin, dps, opens_at=datetime(2027, 1, 31, 10, 0), now=clock.now())
    clock.set(datetime(2027, 1, 31, 10, 0))
    windows.run_due(clock.now())
    second = windows.windows_of(dps)[-1]
    assert (second.number, second.opens_at, second.closes_at) == (
        2, datetime(2027, 2, 28, 10, 0), datetime(2027, 3, 7, 10, 0))


def test_cadence_counts_from_the_first_window_so_month_end_clamping_does_not_drift(world, clock):
    dps = new_dps(world, clock, cadence_months=1, window_length_days=7)
    windows.schedule_first_window(world.admin, dps, opens_at=datetime(2027, 1, 31, 10, 0), now=clock.now())
    for moment in (datetime(2027, 1, 31, 10, 0), datetime(2027, 2, 28, 10, 0)):
        clock.set(moment)
        windows.run_due(clock.now())
    third = windows.windows_of(dps)[-1]
    # 31 January, 28 February, then 31 March (British Summer Time by then: 09:00 UTC), not 28 March.
    assert (third.number, third.opens_at) == (3, datetime(2027, 3, 31, 9, 0))


def test_after_an_outage_longer_than_a_cadence_the_next_window_is_still_scheduled(world, clock):
    # Nothing ran from 2 November 2026 to 1 September 2027: window 2 (March) came and went, and the
    # July window would have opened and closed unseen. The next run catches up without failing.
    clock.set(datetime(2027, 9, 1, 10, 0))
    done = windows.run_due(clock.now())
    assert "closed T-DPS Window 2" in done and "scheduled T-DPS Window 3" in done
    third = windows.windows_of(world.dps)[-1]
    assert (third.number, third.opens_at, third.closes_at) == (
        3, datetime(2027, 11, 1, 10, 0), datetime(2027, 11, 29, 10, 0))
    assert windows.run_due(clock.now()) == []


def test_no_window_is_scheduled_past_the_end_of_the_arrangement(world, clock):
    # The term runs 2026-01-01 + 2 + 1 + 1 years, so to 1 January 2030.
    dps = new_dps(world, clock, cadence_months=12)
    windows.schedule_first_window(world.admin, dps, opens_at=datetime(2029, 6, 1, 9, 0), now=clock.now())
    clock.set(datetime(2029, 6, 1, 9, 0))
    windows.run_due(clock.now())
    assert [w.number for w in windows.windows_of(dps)] == [1]


def test_continuous_dps_gets_no_cadence_windows(world, clock):
    dps = new_dps(world, clock, cadence_months=None)
    window = windows.schedule_first_window(world.admin, dps, opens_at=START + timedelta(hours=1), now=START)
    assert window.closes_at is None
    clock.set(START + timedelta(days=400))
    windows.run_due(clock.now())
    assert windows.windows_of(dps) == [window]
    assert window.status(clock.now()) == "open" and window.closed_at is None


def test_first_window_rules(world, clock):
    dps = new_dps(world, clock)
    with pytest.raises(DomainError, match="^The opening time must not be in the past$"):
        windows.schedule_first_window(world.admin, dps, opens_at=START - timedelta(minutes=6), now=START)
    windows.schedule_first_window(world.admin, dps, opens_at=START, now=START)
    with pytest.raises(DomainError, match="^This DPS already has windows: later ones follow its cadence$"):
        windows.schedule_first_window(world.admin, dps, opens_at=START + timedelta(days=200), now=START)


# Opening and closing by themselves ----------------------------------------------------------------

def test_window_opens_by_itself_at_its_opening_time(world, clock):
    dps = new_dps(world, clock)
    opens_at = START + timedelta(days=2)
    window = windows.schedule_first_window(world.admin, dps, opens_at=opens_at, now=START)
    subject = "Test arrangement T-NEW is open for applications"

    clock.set(opens_at - timedelta(minutes=1))
    windows.run_due(clock.now())
    assert window.opened_at is None
    assert events("window.opened", window) == []
    assert notified(subject) == []
    assert window.question_set.locked_at is None

    clock.set(opens_at)
    done = windows.run_due(clock.now())
    assert "opened T-NEW Window 1" in done
    assert window.opened_at == opens_at
    assert window.status(clock.now()) == "open"
    [opened] = events("window.opened", window)
    assert opened.actor_id is None and opened.actor_label == SYSTEM and opened.at == opens_at
    # Every provider user, and nobody else, is told in the portal and by e-mail.
    assert notified(subject) == ids(world.provider_a, world.colleague_a, world.provider_b)
    assert mailed(subject) == sorted(u.email for u in (world.provider_a, world.colleague_a, world.provider_b))
    message = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.subject == subject)).first()
    assert "It closes on 2 December 2026 at 10:00am" in message.body
    assert "http://portal.test/provider/" in message.body
    # The questions are fixed from now on.
    assert window.question_set.locked_at == opens_at
    with pytest.raises(DomainError, match="Create a new version"):
        dps_setup.add_question(world.admin, window.question_set, text="Late question?", guidance="",
                               scoring="scored", weight=1, max_score=5, min_score=1, word_limit=100, now=opens_at)


def test_window_closes_by_itself_at_its_closing_time(world, clock):
    window = world.window
    draft = complete_application(world.provider_a, window, clock)
    complete_application(world.provider_b, window, clock, submit=True)

    clock.set(window.closes_at - timedelta(seconds=1))
    windows.run_due(clock.now())
    assert window.closed_at is None and window.status(clock.now()) == "open"
    assert events("window.closed", window) == []

    clock.set(window.closes_at)
    done = windows.run_due(clock.now())
    assert "closed T-DPS Window 1" in done
    assert window.closed_at == window.closes_at
    assert window.status(clock.now()) == "closed"
    [closed] = events("window.closed", window)
    assert closed.actor_label == SYSTEM
    # Only the provider whose draft was never submitted hears that it is too late.
    assert notified("the window has closed") == ids(world.provider_a, world.colleague_a)
    assert draft.status == "draft"


def test_window_whose_opening_and_closing_both_passed_unseen_is_closed_at_the_next_run(world, clock):
    dps = new_dps(world, clock)
    window = windows.schedule_window(dps, opens_at=START + timedelta(days=1), closes_at=START + timedelta(days=3),
                                     now=START, actor=world.admin)
    db.session.commit()

    clock.set(START + timedelta(days=5))  # nothing ran in between
    done = windows.run_due(clock.now())
    assert "closed T-NEW Window 1" in done
    assert window.closed_at == clock.now()
    assert window.opened_at is not None
    assert window.status(clock.now()) == "closed"
    assert len(events("window.closed", window)) == 1
    assert window.question_set.locked_at is not None
    # Too late to invite anyone to a window that has already shut.
    assert notified("Test arrangement T-NEW is open for applications") == []


def test_run_due_twice_does_nothing_the_second_time(world, clock):
    dps = new_dps(world, clock)
    windows.schedule_first_window(world.admin, dps, opens_at=START + timedelta(days=2), now=START)
    for moment in (START + timedelta(days=2), START + timedelta(days=9), START + timedelta(days=14),
                   datetime(2027, 3, 1, 10, 0)):
        clock.set(moment)
        assert windows.run_due(clock.now()) != []
        before = counts()
        assert windows.run_due(clock.now()) == []
        assert counts() == before
    assert len(events("window.opened", world.window)) == 1
    assert len(events("window.reminder_sent", world.window)) == 1
    assert len(events("window.closed", world.window)) == 1


def test_one_bad_window_or_dps_does_not_stop_the_others(world, clock, monkeypatch, caplog):
    one, two = new_dps(world, clock, "T-ONE"), new_dps(world, clock, "T-TWO")
    bad = windows.schedule_first_window(world.admin, one, opens_at=START + timedelta(days=2), now=START)
    good = windows.schedule_first_window(world.admin, two, opens_at=START + timedelta(days=2, minutes=1), now=START)
    # T-ONE is a bad record: its opening fails, and so does working out its next window from its term.
    announce = windows._announce_opening

    def failing(window, now, actor, **kwargs):
        if window.dps.reference == "T-ONE":
            raise RuntimeError("a bad record")
        return announce(window, now, actor, **kwargs)

    monkeypatch.setattr(windows, "_announce_opening", failing)
    db.session.execute(db.update(Dps).where(Dps.id == one.id).values(extension_years="one"))
    db.session.commit()

    clock.set(START + timedelta(days=3))
    done = windows.run_due(clock.now())
    assert "opened T-TWO Window 1" in done and "scheduled T-TWO Window 2" in done
    assert not any("T-ONE" in line for line in done)
    assert good.opened_at is not None and bad.opened_at is None
    assert events("window.opened", bad) == [] and notified("Test arrangement T-ONE") == []
    assert [w.number for w in windows.windows_of(one)] == [1]
    assert "T-ONE" in caplog.text and "a bad record" in caplog.text


# The closing reminder ---------------------------------------------------------------------------

def test_closing_reminder_goes_once_to_providers_without_a_submitted_application(world, clock):
    window = world.window  # closes 16 November; the DPS reminds 5 days before
    complete_application(world.provider_a, window, clock)  # a draft only
    complete_application(world.provider_b, window, clock, submit=True)
    subject = "the window closes on 16 November 2026 at 10:00am"

    clock.set(window.closes_at - timedelta(days=5, seconds=1))
    windows.run_due(clock.now())
    assert window.reminder_sent_at is None and notified(subject) == []

    clock.set(window.closes_at - timedelta(days=5))
    done = windows.run_due(clock.now())
    assert "reminded T-DPS Window 1" in done
    assert window.reminder_sent_at == clock.now()
    assert notified(subject) == ids(world.provider_a, world.colleague_a)
    assert mailed(subject) == sorted([world.provider_a.email, world.colleague_a.email])
    assert len(events("window.reminder_sent", window)) == 1

    clock.advance(days=2)
    windows.run_due(clock.now())
    assert notified(subject) == ids(world.provider_a, world.colleague_a)
    assert len(events("window.reminder_sent", window)) == 1


# The administrator: opening early ---------------------------------------------------------------

def test_open_early(world, clock):
    dps = new_dps(world, clock)
    window = windows.schedule_first_window(world.admin, dps, opens_at=START + timedelta(days=10), now=START)
    closes_at = window.closes_at
    clock.advance(hours=2)

    windows.open_early(world.admin, window, reason="Providers are ready sooner", now=clock.now())
    assert window.opens_at == clock.now() and window.opened_at == clock.now()
    assert window.closes_at == closes_at
    assert window.status(clock.now()) == "open"
    [opened] = events("window.opened", window)
    assert opened.actor_id == world.admin.id
    assert opened.summary == "T-NEW Window 1 opened early: Providers are ready sooner"
    assert notified("Test arrangement T-NEW is open for applications") == ids(
        world.provider_a, world.colleague_a, world.provider_b)
    assert window.question_set.locked_at == clock.now()

    windows.run_due(clock.now())  # the scheduler does not announce it a second time
    assert len(events("window.opened", window)) == 1


def test_open_early_needs_a_reason(world, clock):
    dps = new_dps(world, clock)
    window = windows.schedule_first_window(world.admin, dps, opens_at=START + timedelta(days=10), now=START)
    with pytest.raises(DomainError, match="^Give a reason: providers and auditors will see it$") as error:
        windows.open_early(world.admin, window, reason="   ", now=START)
    assert error.value.field == "reason"
    assert window.opened_at is None and window.opens_at == START + timedelta(days=10)


def test_open_early_refuses_a_window_that_is_not_waiting_to_open(world, clock):
    with pytest.raises(DomainError, match="^Window 1 is not waiting to open, so it cannot be opened early$"):
        windows.open_early(world.admin, world.window, reason="Again", now=clock.now())
    clock.set(world.window.closes_at)
    with pytest.raises(DomainError, match="^Window 1 is not waiting to open, so it cannot be opened early$"):
        windows.open_early(world.admin, world.window, reason="Reopen", now=clock.now())


def test_open_early_refused_while_the_previous_window_is_still_open(world, clock):
    with pytest.raises(DomainError) as error:
        windows.open_early(world.admin, second_window(world), reason="Demand", now=clock.now())
    assert error.value.message == ("Window 1 runs from 1 November 2026 at 10:00am to 16 November 2026 at 10:00am: "
                                   "windows cannot overlap")
    db.session.rollback()  # as the administrator's page does after a refusal
    assert second_window(world).opens_at == datetime(2027, 3, 1, 10, 0)
    assert second_window(world).opened_at is None


# The administrator: extending ---------------------------------------------------------------------

def test_extend(world, clock):
    complete_application(world.provider_b, world.window, clock, submit=True)
    new_close = world.window.closes_at + timedelta(days=7)
    windows.extend(world.admin, world.window, closes_at=new_close, reason="Few applications", now=clock.now())
    assert world.window.closes_at == new_close
    [extended] = events("window.extended", world.window)
    assert extended.actor_id == world.admin.id and "Few applications" in extended.summary
    assert notified("the window now closes on 23 November 2026 at 10:00am") == ids(
        world.provider_a, world.colleague_a)
    clock.set(datetime(2026, 11, 16, 10, 0))  # the old closing time passes: still open
    windows.run_due(clock.now())
    assert world.window.closed_at is None and world.window.is_open(clock.now())


@pytest.mark.parametrize("delta", [timedelta(0), timedelta(hours=-1)])
def test_extend_must_move_the_close_later(world, clock, delta):
    with pytest.raises(DomainError) as error:
        windows.extend(world.admin, world.window, closes_at=world.window.closes_at + delta, reason="Why not",
                       now=clock.now())
    assert error.value.message == "The new closing time must be after the current one, 16 November 2026 at 10:00am"
    assert error.value.field == "closes_at"
    assert events("window.extended") == []


def test_extend_needs_a_reason(world, clock):
    with pytest.raises(DomainError, match="^Give a reason: providers and auditors will see it$"):
        windows.extend(world.admin, world.window, closes_at=world.window.closes_at + timedelta(days=1), reason="",
                       now=clock.now())
    assert world.window.closes_at == START + timedelta(days=14)


def test_extend_rearms_the_closing_reminder(world, clock):
    window = world.window
    clock.set(window.closes_at - timedelta(days=5))
    windows.run_due(clock.now())
    assert window.reminder_sent_at is not None

    windows.extend(world.admin, window, closes_at=window.closes_at + timedelta(days=7), reason="More time",
                   now=clock.now())
    assert window.reminder_sent_at is None
    clock.advance(days=1)
    windows.run_due(clock.now())
    assert len(events("window.reminder_sent", window)) == 1  # not yet: 5 days before the new close

    clock.set(window.closes_at - timedelta(days=5))
    windows.run_due(clock.now())
    assert len(events("window.reminder_sent", window)) == 2
    assert len(notified("the window closes on 23 November 2026 at 10:00am")) == 3


def test_extend_into_the_next_window_is_refused(world, clock):
    with pytest.raises(DomainError) as error:
        windows.extend(world.admin, world.window, closes_at=datetime(2027, 3, 5, 10, 0), reason="Long extension",
                       now=clock.now())
    assert error.value.message == ("Window 2 runs from 1 March 2027 at 10:00am to 29 March 2027 at 10:00am: "
                                   "windows cannot overlap")
    db.session.rollback()  # as the administrator's page does after a refusal
    assert world.window.closes_at == START + timedelta(days=14)
    assert events("window.extended") == []


def test_extend_refuses_windows_that_are_not_open(world, clock):
    with pytest.raises(DomainError, match="^Only an open window with a closing time can be extended; "
                                          "Window 2 is scheduled$"):
        windows.extend(world.admin, second_window(world), closes_at=datetime(2027, 4, 1, 10, 0), reason="x",
                       now=clock.now())
    clock.set(world.window.closes_at)
    with pytest.raises(DomainError, match="^Only an open window with a closing time can be extended; "
                                          "Window 1 is closed$"):
        windows.extend(world.admin, world.window, closes_at=clock.now() + timedelta(days=3), reason="Reopen",
                       now=clock.now())


# The administrator: closing early -----------------------------------------------------------------

def test_close_early(world, clock):
    complete_application(world.provider_a, world.window, clock)
    clock.advance(days=1)
    windows.close_early(world.admin, world.window, reason="Service redesign", now=clock.now())
    assert world.window.closes_at == clock.now() and world.window.closed_at == clock.now()
    assert world.window.status(clock.now()) == "closed"
    [closed] = events("window.closed", world.window)
    assert closed.actor_id == world.admin.id
    assert closed.summary == "T-DPS Window 1 closed early: Service redesign"
    assert notified("the window has closed") == ids(world.provider_a, world.colleague_a)
    clock.advance(days=20)
    windows.run_due(clock.now())
    assert len(events("window.closed", world.window)) == 1


def test_close_early_needs_a_reason(world, clock):
    with pytest.raises(DomainError, match="^Give a reason: providers and auditors will see it$"):
        windows.close_early(world.admin, world.window, reason=" ", now=clock.now())
    assert world.window.closed_at is None and world.window.is_open(clock.now())


def test_close_early_refuses_a_window_that_is_not_open(world, clock):
    with pytest.raises(DomainError, match="^Window 2 is not open, so it cannot be closed$"):
        windows.close_early(world.admin, second_window(world), reason="Cancel", now=clock.now())
    clock.set(world.window.closes_at + timedelta(hours=1))
    with pytest.raises(DomainError, match="^Window 1 is not open, so it cannot be closed$"):
        windows.close_early(world.admin, world.window, reason="Again", now=clock.now())


# Status is derived from the planned times ---------------------------------------------------------

def test_status_follows_the_planned_times():
    window = EntryWindow(number=1, opens_at=datetime(2026, 11, 1, 10, 0), closes_at=datetime(2026, 11, 16, 10, 0))
    assert window.status(datetime(2026, 11, 1, 9, 59, 59)) == "scheduled"
    assert window.status(datetime(2026, 11, 1, 10, 0)) == "open"
    assert window.status(datetime(2026, 11, 16, 9, 59, 59)) == "open"
    assert window.status(datetime(2026, 11, 16, 10, 0)) == "closed"  # exactly at the close: closed
    assert window.status_label(datetime(2026, 11, 20)) == "Closed"
    assert not window.is_open(datetime(2026, 11, 16, 10, 0))


def test_status_ignores_whether_the_announcements_ran():
    window = EntryWindow(number=1, opens_at=datetime(2026, 11, 1, 10, 0), closes_at=datetime(2026, 11, 16, 10, 0),
                         opened_at=None, closed_at=None)
    assert window.status(datetime(2026, 12, 1)) == "closed"


def test_continuous_window_stays_open():
    window = EntryWindow(number=1, opens_at=datetime(2026, 11, 1, 10, 0), closes_at=None)
    assert window.status(datetime(2026, 10, 31)) == "scheduled"
    assert window.status(datetime(2036, 1, 1)) == "open"
