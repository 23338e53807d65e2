"""Setting up a DPS: its terms, and its versioned questions and weighting."""

from datetime import date, timedelta

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.models import AuditEvent, Dps, Organisation
from portal.models.organisation import AUTHORITY
from portal.models.user import ADMINISTRATOR
from portal.services import dps_setup, outcomes, windows
from tests.factories import authority_user, build_dps, complete_application, evaluate

LOCKED = ("Version 1 of the questions and weighting is in use by Window 1, which has opened, so it cannot change. "
          "Create a new version: later windows will use it.")


def terms(**overrides):
    values = dict(reference="NEW-DPS", name="New arrangement", service_type="residential", description="",
                  start_date=date(2027, 1, 1), initial_years=2, extension_years="1+1", cadence_months=6,
                  window_length_days=30, required_evidence=["statement_of_purpose", "pricing_schedule"],
                  quality_weight=60, quality_threshold_percent=50)
    values.update(overrides)
    return values


@pytest.fixture
def admin(app, clock):
    """A lone lead-authority administrator: lighter than the whole world, for the rules of the terms."""
    council = Organisation(name="Solo Council", kind=AUTHORITY, local_authority_area="Solo", created_at=clock.now())
    db.session.add(council)
    return authority_user(council, "Sol Admin", "admin@solo.example.org", [ADMINISTRATOR], clock)


def dps_count():
    return db.session.scalar(db.select(db.func.count(Dps.id)))


def question_kwargs(text="How do you support education?"):
    return dict(text=text, guidance="", scoring="scored", weight=1, max_score=5, min_score=1, word_limit=200)


# Creating a DPS -----------------------------------------------------------------------------------

def test_create_dps(world, clock):
    dps = dps_setup.create_dps(world.admin, **terms(reference="  NEW-DPS ", extension_years=" 1 + 1 "),
                               now=clock.now())
    assert dps.reference == "NEW-DPS" and dps.lead_authority_id == world.lead.id
    assert dps.extension_years == "1+1" and dps.term_label == "2 years + 1 + 1"
    # Until an extension is taken up the term ends after its first two years; at the latest after four.
    assert (dps.end_date, dps.latest_end_date) == (date(2029, 1, 1), date(2031, 1, 1))
    question_set = dps.current_question_set
    assert (question_set.version, question_set.quality_weight, question_set.cost_weight) == (1, 60, 40)
    assert not question_set.is_locked
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "dps.created",
                                                         AuditEvent.entity_id == dps.id)) is not None


def test_create_continuous_dps(admin, clock):
    dps = dps_setup.create_dps(admin, **terms(cadence_months=None, window_length_days=366), now=clock.now())
    assert dps.is_continuous and dps.cadence_label == "Continuously open"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"service_type": "day_care"}, "service_type", "Select the service type"),
    ({"initial_years": 0}, "initial_years", "The initial term must be between 1 and 10 years"),
    ({"initial_years": 11}, "initial_years", "The initial term must be between 1 and 10 years"),
    ({"extension_years": "1+one"}, "extension_years", "Enter extensions as whole years joined by +, like 1+1"),
    ({"extension_years": "6"}, "extension_years", "Enter extensions as whole years joined by +, like 1+1"),
    ({"extension_years": "1+²"}, "extension_years", "Enter extensions as whole years joined by +, like 1+1"),
    ({"start_date": date(1999, 12, 31)}, "start_date", "The start date must be in the years 2000 to 2100"),
    ({"start_date": date(2101, 1, 1)}, "start_date", "The start date must be in the years 2000 to 2100"),
    ({"start_date": date(9999, 12, 31)}, "start_date", "The start date must be in the years 2000 to 2100"),
    ({"cadence_months": 0}, "cadence_months", "Windows must open between every 1 and every 24 months"),
    ({"cadence_months": 25}, "cadence_months", "Windows must open between every 1 and every 24 months"),
    ({"window_length_days": 0}, "window_length_days", "A window must last between 1 and 366 days"),
    ({"window_length_days": 367, "cadence_months": None}, "window_length_days",
     "A window must last between 1 and 366 days"),
    ({"cadence_months": 1, "window_length_days": 29}, "window_length_days",
     "A window must close before the next one opens: shorten the window"),
    ({"required_evidence": []}, "required_evidence", "Select the evidence providers must send"),
    ({"required_evidence": ["pricing_schedule", "tax_return"]}, "required_evidence",
     "Select the evidence providers must send"),
    ({"reference": "   "}, "reference", "Enter a reference"),
    ({"reference": "T-DPS"}, "reference", "Another DPS already has this reference"),
    ({"quality_weight": 101}, "quality_weight", "The quality weight must be between 0 and 100 per cent"),
    ({"quality_weight": -1}, "quality_weight", "The quality weight must be between 0 and 100 per cent"),
    ({"quality_threshold_percent": 101}, "quality_threshold_percent",
     "The quality threshold must be between 0 and 100 per cent"),
])
def test_create_dps_refuses_bad_terms(admin, clock, overrides, field, message):
    dps_setup.create_dps(admin, **terms(reference="T-DPS"), now=clock.now())
    before = dps_count()
    with pytest.raises(DomainError) as error:
        dps_setup.create_dps(admin, **terms(**overrides), now=clock.now())
    assert error.value.message == message
    assert error.value.field == field
    assert dps_count() == before


@pytest.mark.parametrize(("start", "years", "extensions", "end"), [
    (date(2024, 2, 29), 1, "", date(2025, 2, 28)),
    (date(2024, 2, 29), 2, "1+1", date(2028, 2, 29)),  # four years on is a leap year again
    (date(2024, 2, 29), 3, "", date(2027, 2, 28)),
    (date(2027, 3, 31), 2, "1", date(2030, 3, 31)),
])
def test_the_end_date_of_a_dps_starting_on_29_february(admin, clock, start, years, extensions, end):
    dps = dps_setup.create_dps(admin, **terms(start_date=start, initial_years=years, extension_years=extensions),
                               now=clock.now())
    assert dps.latest_end_date == end


def test_a_window_as_long_as_the_cadence_allows_is_accepted(admin, clock):
    dps = dps_setup.create_dps(admin, **terms(cadence_months=1, window_length_days=28), now=clock.now())
    assert dps.window_length_days == 28


# The evidence asked for ---------------------------------------------------------------------------

EVIDENCE = ["ofsted_report", "statement_of_purpose", "childrens_guide", "pricing_schedule", "insurance_certificate"]


def change_terms(world, clock, evidence):
    dps_setup.update_terms(world.admin, world.dps, name="Renamed", description="", cadence_months=4,
                           window_length_days=28, reminder_days=5, decision_working_days=10,
                           required_evidence=evidence, now=clock.now())


def test_the_evidence_asked_for_cannot_change_while_a_window_is_open_or_being_evaluated(world, clock):
    fewer = ["statement_of_purpose", "pricing_schedule"]
    with pytest.raises(DomainError) as error:
        change_terms(world, clock, fewer)
    assert error.value.message == ("The evidence providers must send cannot change while Window 1 is open: "
                                   "change it after the window has closed and its outcomes are published")
    assert error.value.field == "required_evidence"
    db.session.rollback()
    assert world.dps.evidence_kinds == EVIDENCE and world.dps.name == "Test arrangement T-DPS"
    # The other terms can change, with the same evidence in any order.
    change_terms(world, clock, list(reversed(EVIDENCE)))
    assert world.dps.name == "Renamed" and world.dps.evidence_kinds == EVIDENCE

    application = complete_application(world.provider_a, world.window, clock, submit=True)
    clock.set(world.window.closes_at + timedelta(days=1))
    with pytest.raises(DomainError) as error:
        change_terms(world, clock, fewer)
    assert error.value.message == ("The evidence providers must send cannot change while the applications of "
                                   "Window 1 are being evaluated: change it after their outcomes are published")
    db.session.rollback()
    assert world.dps.evidence_kinds == EVIDENCE

    evaluate(application, [world.admin, world.evaluator], clock)
    outcomes.publish(world.admin, world.window, clock.now())
    change_terms(world, clock, fewer)
    assert world.dps.evidence_kinds == fewer


# Questions and weighting are locked once a window opened under them ------------------------------

def test_questions_can_change_before_any_window_opens(admin, clock):
    dps = dps_setup.create_dps(admin, **terms(), now=clock.now())
    question_set = dps.current_question_set
    question = dps_setup.add_question(admin, question_set, **question_kwargs(), now=clock.now())
    dps_setup.update_question(admin, question, **question_kwargs("Reworded?"), now=clock.now())
    dps_setup.set_weighting(admin, question_set, quality_weight=70, quality_threshold_percent=40,
                            now=clock.now())
    assert [q.text for q in question_set.questions] == ["Reworded?"]
    assert question_set.weighting_label == "70% quality, 30% cost"


def test_locked_questions_cannot_be_added(world, clock):
    question_set = world.dps.current_question_set
    assert question_set.is_locked
    with pytest.raises(DomainError) as error:
        dps_setup.add_question(world.admin, question_set, **question_kwargs(), now=clock.now())
    assert error.value.message == LOCKED
    assert len(question_set.questions) == 3


def test_locked_questions_cannot_be_changed_or_removed(world, clock):
    question = world.dps.current_question_set.questions[0]
    with pytest.raises(DomainError, match="Create a new version: later windows will use it"):
        dps_setup.update_question(world.admin, question, **question_kwargs("Changed?"), now=clock.now())
    with pytest.raises(DomainError, match="Create a new version: later windows will use it"):
        dps_setup.remove_question(world.admin, question, clock.now())
    db.session.refresh(question)
    assert question.text == "How do you keep young people safe?"
    assert len(world.dps.current_question_set.questions) == 3


def test_locked_weighting_cannot_change(world, clock):
    question_set = world.dps.current_question_set
    with pytest.raises(DomainError) as error:
        dps_setup.set_weighting(world.admin, question_set, quality_weight=40, quality_threshold_percent=50,
                                now=clock.now())
    assert error.value.message == LOCKED
    db.session.refresh(question_set)
    assert (question_set.quality_weight, question_set.cost_weight) == (60, 40)


def test_questions_lock_when_a_window_opens_even_before_the_scheduler_runs(world, clock):
    dps = build_dps(world.admin, clock, reference="T-NEW")
    window = windows.schedule_first_window(world.admin, dps, opens_at=clock.now() + timedelta(days=1),
                                           now=clock.now())
    question_set = dps.current_question_set
    clock.advance(days=1)  # the window has opened; the scheduler has not run
    assert window.opened_at is None and question_set.locked_at is None
    with pytest.raises(DomainError) as error:
        dps_setup.add_question(world.admin, question_set, **question_kwargs(), now=clock.now())
    assert error.value.message == LOCKED
    with pytest.raises(DomainError, match="Create a new version"):
        dps_setup.set_weighting(world.admin, question_set, quality_weight=10, quality_threshold_percent=50,
                                now=clock.now())
    db.session.rollback()
    assert len(question_set.questions) == 3 and question_set.quality_weight == 60
    assert dps_setup.locked_reason(question_set, clock.now()) == LOCKED
    # A new version can be made from it at once.
    assert dps_setup.new_version(world.admin, dps, clock.now()).version == 2


def test_new_version_is_refused_while_the_current_one_is_unused(admin, clock):
    dps = dps_setup.create_dps(admin, **terms(), now=clock.now())
    with pytest.raises(DomainError, match="^Version 1 has not been used by a window yet: change it directly.$"):
        dps_setup.new_version(admin, dps, clock.now())
    assert len(dps.question_sets) == 1


def test_new_version_copies_the_questions_and_moves_scheduled_windows(world, clock):
    old = world.dps.current_question_set
    following = windows.windows_of(world.dps)[1]
    assert following.opened_at is None and following.question_set is old

    new = dps_setup.new_version(world.admin, world.dps, clock.now())
    assert world.dps.current_question_set is new and new.version == 2
    assert not new.is_locked
    assert [(q.number, q.text, q.scoring, q.weight, q.max_score, q.min_score, q.word_limit) for q in new.questions] == [
        (q.number, q.text, q.scoring, q.weight, q.max_score, q.min_score, q.word_limit) for q in old.questions]
    assert {q.id for q in new.questions}.isdisjoint({q.id for q in old.questions})
    assert (new.quality_weight, new.cost_weight, new.quality_threshold_percent) == (60, 40, 50)
    # The window that has opened keeps its version; the scheduled one uses the new version.
    assert world.window.question_set is old
    assert following.question_set is new

    # The new version can change, and the old one does not change with it.
    dps_setup.add_question(world.admin, new, **question_kwargs(), now=clock.now())
    dps_setup.set_weighting(world.admin, new, quality_weight=40, quality_threshold_percent=50, now=clock.now())
    assert len(new.questions) == 4 and len(old.questions) == 3
    assert old.weighting_label == "60% quality, 40% cost"

    # When the next window opens, it opens with (and locks) the new version.
    clock.set(following.opens_at)
    windows.run_due(clock.now())
    assert following.question_set is new and new.locked_at == following.opens_at
    with pytest.raises(DomainError, match="^Version 2 of the questions and weighting is in use by Window 2"):
        dps_setup.add_question(world.admin, new, **question_kwargs("Another?"), now=clock.now())


# Weighting -------------------------------------------------------------------------------------

@pytest.mark.parametrize("quality", [0, 35, 100])
def test_cost_weight_is_the_rest_of_100(admin, clock, quality):
    dps = dps_setup.create_dps(admin, **terms(), now=clock.now())
    dps_setup.set_weighting(admin, dps.current_question_set, quality_weight=quality,
                            quality_threshold_percent=50, now=clock.now())
    assert dps.current_question_set.quality_weight == quality
    assert dps.current_question_set.cost_weight == 100 - quality


@pytest.mark.parametrize(("quality", "threshold", "message"), [
    (101, 50, "The quality weight must be between 0 and 100 per cent"),
    (-5, 50, "The quality weight must be between 0 and 100 per cent"),
    (60, -1, "The quality threshold must be between 0 and 100 per cent"),
])
def test_weighting_out_of_range_is_refused(admin, clock, quality, threshold, message):
    dps = dps_setup.create_dps(admin, **terms(), now=clock.now())
    with pytest.raises(DomainError) as error:
        dps_setup.set_weighting(admin, dps.current_question_set, quality_weight=quality,
                                quality_threshold_percent=threshold, now=clock.now())
    assert error.value.message == message
    db.session.refresh(dps.current_question_set)
    assert (dps.current_question_set.quality_weight, dps.current_question_set.cost_weight) == (60, 40)


def test_the_world_window_opened_and_locked_version_1(world, clock):
    # The fixture's own premise for the locking tests above.
    assert world.window.opened_at == clock.now()
    assert world.dps.current_question_set.locked_at == clock.now()
    assert world.window.opens_at == clock.now() - timedelta(days=1)
