"""A window is neither scheduled nor opened while its DPS's set-up is incomplete: the administrator is refused
with the reason, and the scheduler tells the administrators (in the portal and by e-mail) instead of opening it.
Window pages never say "closed" of a time still to come."""

import re
from datetime import date, timedelta

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.models import EntryWindow, Notification, OutboxMessage
from portal.services import applications, dps_setup, windows
from tests.conftest import START


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def bare_dps(world, clock, *, lots=True):
    dps = dps_setup.create_dps(
        world.admin, reference="T-BARE", name="Bare arrangement", service_type="sixteen_plus", description="",
        start_date=date(2026, 1, 1), initial_years=2, extension_years="1", cadence_months=4, window_length_days=28,
        required_evidence=["ofsted_report"], quality_weight=60, quality_threshold_percent=50, now=clock.now())
    if lots:
        dps_setup.add_lot(world.admin, dps, name="Semi-independence", description="", categories=[(16, 18, 3)],
                          now=clock.now())
    return dps


def add_question(world, question_set, clock):
    return dps_setup.add_question(world.admin, question_set, text="How do you keep young people safe?",
                                  guidance="", scoring="scored", weight=1, max_score=5, min_score=2, word_limit=100,
                                  now=clock.now())


def told(subject_part):
    """(in-portal notifications, e-mails) whose subject contains the text, as (user id, address) lists."""
    return (sorted(db.session.scalars(db.select(Notification.user_id)
                                      .where(Notification.subject.contains(subject_part)))),
            sorted(db.session.scalars(db.select(OutboxMessage.to_address)
                                      .where(OutboxMessage.subject.contains(subject_part)))))


def test_the_first_window_cannot_be_scheduled_until_the_set_up_is_complete(world, clock, sign_in):
    dps = bare_dps(world, clock, lots=False)
    page = f"/admin/dps/{dps.id}/windows/first"
    tomorrow = (START + timedelta(days=1)).date()
    form = {"opens_on": [str(tomorrow.day), str(tomorrow.month), str(tomorrow.year)], "opens_at": "09:00"}
    response = sign_in(world.admin).post(page, data=form)
    assert response.status_code == 400
    assert ("The set-up of T-BARE is not complete: add at least one lot; add at least one quality question. "
            "Complete it first.") in text(response)
    assert windows.windows_of(dps) == []

    dps_setup.add_lot(world.admin, dps, name="Semi-independence", description="", categories=[(16, 18, 3)],
                      now=clock.now())
    add_question(world, dps.current_question_set, clock)
    response = sign_in(world.admin).post(page, data=form)
    assert response.status_code == 302
    assert [w.number for w in windows.windows_of(dps)] == [1]


def test_the_scheduler_holds_a_window_with_no_questions_and_tells_the_administrators_once(world, clock, sign_in):
    dps = bare_dps(world, clock)
    question = add_question(world, dps.current_question_set, clock)
    window = windows.schedule_first_window(world.admin, dps, opens_at=START + timedelta(hours=1), now=START)
    dps_setup.remove_question(world.admin, question, clock.now())  # the version is not locked yet

    clock.set(START + timedelta(hours=2))
    assert "held T-BARE Window 1: set-up incomplete" in windows.run_due(clock.now())
    windows.run_due(clock.now() + timedelta(minutes=1))
    db.session.expire_all()
    window = db.session.get(EntryWindow, window.id)
    assert window.opened_at is None and window.status(clock.now()) == "scheduled"
    assert told("Bare arrangement: Window 1 has not opened") == ([world.admin.id], [world.admin.email])
    assert told("Bare arrangement is open for applications") == ([], [])  # providers were not told
    body = db.session.scalars(db.select(Notification.body).where(Notification.user_id == world.admin.id)
                              .order_by(Notification.id.desc())).first()
    assert "The set-up of T-BARE is not complete: add at least one quality question." in body

    # Providers can neither see it open nor start an application; the administrator's page says why.
    assert "Bare arrangement" in text(sign_in(world.provider_b).get("/provider/"))
    assert "Start an application to Bare arrangement" not in text(sign_in(world.provider_b).get("/provider/"))
    with pytest.raises(DomainError, match="is not open for applications"):
        applications.start(world.provider_b, window, clock.now())
    page = text(sign_in(world.admin).get(f"/admin/windows/{window.id}"))
    assert "This window did not open on 2 November 2026 at 11:00am: the set-up of T-BARE is not complete" in page
    with pytest.raises(DomainError, match="add at least one quality question"):
        windows.open_early(world.admin, window, reason="Now", now=clock.now())

    # Once the set-up is complete, the next run opens it and tells the providers.
    add_question(world, window.question_set, clock)
    clock.advance(minutes=5)
    assert "opened T-BARE Window 1" in windows.run_due(clock.now())
    db.session.expire_all()
    assert db.session.get(EntryWindow, window.id).is_open(clock.now())
    assert world.provider_b.id in told("Bare arrangement is open for applications")[0]
    assert len(told("has not opened")[0]) == 1


def test_a_held_window_that_reaches_its_close_closes_without_ever_opening(world, clock):
    dps = bare_dps(world, clock)
    question = add_question(world, dps.current_question_set, clock)
    window = windows.schedule_first_window(world.admin, dps, opens_at=START + timedelta(hours=1), now=START)
    dps_setup.remove_question(world.admin, question, clock.now())
    clock.set(START + timedelta(hours=2))
    windows.run_due(clock.now())
    clock.set(window.closes_at + timedelta(minutes=1))
    windows.run_due(clock.now())
    db.session.expire_all()
    window = db.session.get(EntryWindow, window.id)
    assert window.status(clock.now()) == "closed" and window.closed_at is not None and window.opened_at is None


def test_the_scheduler_does_not_schedule_the_next_window_while_the_set_up_is_incomplete(world, clock):
    dps = bare_dps(world, clock)
    add_question(world, dps.current_question_set, clock)
    first = windows.schedule_first_window(world.admin, dps, opens_at=START + timedelta(hours=1), now=START)
    clock.set(START + timedelta(hours=2))
    windows.run_due(clock.now())  # opens Window 1 and schedules Window 2 under version 1
    second = windows.windows_of(dps)[-1]
    assert second.number == 2
    db.session.delete(second)  # as if Window 2 were still to be scheduled
    db.session.commit()
    version_2 = dps_setup.new_version(world.admin, dps, clock.now())
    for question in list(version_2.questions):
        dps_setup.remove_question(world.admin, question, clock.now())

    for _ in range(2):
        clock.advance(minutes=1)
        done = windows.run_due(clock.now())
        assert not any("scheduled" in line for line in done)
    assert [w.number for w in windows.windows_of(dps)] == [first.number]
    assert told("Bare arrangement: the next window cannot be scheduled") == ([world.admin.id], [world.admin.email])

    add_question(world, version_2, clock)
    assert "scheduled T-BARE Window 2" in windows.run_due(clock.now())


# "Closed" only of the past ------------------------------------------------------------------------

def test_a_closed_windows_page_does_not_wait_for_a_closing_reminder(world, clock, sign_in):
    admin = sign_in(world.admin)
    page = f"/admin/windows/{world.window.id}"
    assert "Due 11 November 2026 at 10:00am" in text(admin.get(page))  # 5 days before the close on the 16th
    windows.close_early(world.admin, world.window, reason="No more capacity", now=clock.now())
    clock.advance(days=1)
    body = text(sign_in(world.admin).get(page))
    assert "Not sent yet" not in body
    assert "Not sent: the window has closed" in body


def test_the_evaluators_window_page_says_closes_before_the_close(world, clock, sign_in):
    body = text(sign_in(world.evaluator).get(f"/evaluation/windows/{world.window.id}"))
    assert "Open: closes 16 November 2026 at 10:00am." in body
    assert "closed 16 November" not in body
    later = windows.next_window(world.dps, clock.now())
    body = text(sign_in(world.evaluator).get(f"/evaluation/windows/{later.id}"))
    assert "Scheduled: opens" in body and "closed" not in body.split("<main", 1)[1].lower()


def test_providers_are_not_told_a_dps_is_closed_when_its_next_window_is_scheduled(world, clock, sign_in):
    clock.set(world.window.closes_at + timedelta(days=1))
    body = text(sign_in(world.provider_b).get("/provider/"))
    assert "No window is open. The next window opens on" in body
    assert ">Closed<" not in body.replace(" ", "")
