"""The decision clock as evaluators and administrators read it: the working-day count, the date the decision
is due, "paused" while a clarification question is open, and the rule for clarifications in one sentence."""

import re
from datetime import datetime

import pytest

from portal.services import evaluations
from tests.evaluation.helpers import allocate_and_score, apply
from tests.factories import build_world

RULE = "A working day during which a clarification question was open for any part of the day is not counted."


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def february(app, clock):
    """A window that closes on Friday 27 February 2026 at 17:00, with 10 working days to decide, and one
    application allocated to both evaluators."""
    clock.set(datetime(2026, 2, 13, 17, 0))
    world = build_world(clock)
    assert world.window.closes_at == datetime(2026, 2, 27, 17, 0)
    assert world.dps.decision_working_days == 10
    world.alpha = apply(world.provider_a, world.window, clock)
    allocate_and_score(world.alpha, world.admin, [world.admin, world.evaluator], clock, submit=False)
    return world


def pages(world, sign_in):
    evaluator, admin = sign_in(world.evaluator), sign_in(world.admin)
    return {
        "dashboard": text(evaluator.get("/evaluation/")),
        "window": text(evaluator.get(f"/evaluation/windows/{world.window.id}")),
        "application": text(evaluator.get(f"/evaluation/applications/{world.alpha.id}")),
        "admin window": text(admin.get(f"/admin/windows/{world.window.id}")),
    }


def test_a_question_sent_thursday_and_answered_friday_makes_the_decision_due_tuesday_17_march(february, clock,
                                                                                           sign_in):
    world = february
    clock.set(datetime(2026, 3, 2, 9, 0))  # Monday: the first working day after the close
    shown = pages(world, sign_in)
    for name in ("dashboard", "window", "application"):
        assert "1 of 10 working days, decision due Friday 13 March 2026" in shown[name], name
        assert RULE in shown[name], name
    assert "decision due Friday 13 March 2026, paused" not in shown["application"]
    assert "Friday 13 March 2026 for an application with no clarification question" in shown["admin window"]
    assert RULE in shown["admin window"]

    clock.set(datetime(2026, 3, 5, 11, 0))  # Thursday 5 March
    clarification = evaluations.ask_clarification(world.evaluator, world.alpha, "Who is your registered manager?",
                                                  clock.now())
    clock.set(datetime(2026, 3, 6, 9, 0))  # Friday, the question still open: the due date as it stands, paused
    shown = pages(world, sign_in)
    for name in ("dashboard", "window", "application"):
        assert "3 of 10 working days, decision due Tuesday 17 March 2026, paused" in shown[name], name

    clock.set(datetime(2026, 3, 6, 9, 30))
    evaluations.answer_clarification(world.provider_a, world.alpha, clarification.id, "Pat Jones", clock.now())
    clock.set(datetime(2026, 3, 9, 12, 0))  # Monday 9 March: Thursday and Friday are both left out
    shown = pages(world, sign_in)
    for name in ("dashboard", "window", "application"):
        assert "4 of 10 working days, decision due Tuesday 17 March 2026" in shown[name], name
        assert "Tuesday 17 March 2026, paused" not in shown[name], name
    clock.set(datetime(2026, 3, 16, 12, 0))
    assert "9 of 10 working days, decision due Tuesday 17 March 2026" in pages(world, sign_in)["application"]


def test_the_evaluation_window_page_never_says_closed_of_a_future_close(february, clock, sign_in):
    world = february
    clock.set(datetime(2026, 2, 20, 12, 0))
    body = text(sign_in(world.evaluator).get(f"/evaluation/windows/{world.window.id}"))
    assert "Open: closes 27 February 2026 at 5:00pm." in body
    assert "closed 27 February" not in body and "Closed on" not in body
    clock.set(datetime(2026, 3, 2, 9, 0))
    body = text(sign_in(world.evaluator).get(f"/evaluation/windows/{world.window.id}"))
    assert "Closed on 27 February 2026 at 5:00pm." in body
