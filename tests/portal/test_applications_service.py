"""Applications to join a DPS: the completeness check, prices, submission while the window is open,
one application per provider per window, and who may see it."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import Application, AuditEvent, EntryWindow
from portal.services import applications, standing, uploads, windows
from tests.factories import PDF, build_dps, complete_application, provider_user

EVERYTHING_MISSING = [
    "Choose at least one lot",
    "Answer question 1",
    "Answer question 2",
    "Answer question 3",
    "Upload your current Ofsted inspection report",
    "Upload your statement of purpose (or 16+ equivalent)",
    "Upload your children's guide (or 16+ equivalent)",
    "Upload your pricing schedule",
    "Upload your insurance certificate",
    "Name 2 more local-authority referees (at least 2 are needed)",
]


def messages(application, now):
    return [item.message for item in applications.missing_items(application, now)]


def add_referee(user, application, number, now):
    applications.add_referee(user, application, authority_name=f"Referee Council {number}",
                             contact_name=f"Ref {number}", job_title="Manager",
                             email=f"ref{number}@council.example.org", telephone="", now=now)


def count(action):
    return db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == action))


# What is missing ------------------------------------------------------------------------------------

def test_a_new_application_lists_everything_missing(world, clock):
    application = applications.start(world.provider_a, world.window, clock.now())
    items = applications.missing_items(application, clock.now())
    assert [item.message for item in items] == EVERYTHING_MISSING
    base = f"/provider/applications/{application.id}"
    assert items[0].link == f"{base}/lots"
    question = world.window.question_set.questions[1]
    assert items[2].link == f"{base}/answers#answer-{question.id}"
    assert items[4].link == f"{base}/documents#document-ofsted_report"
    assert items[-1].link == f"{base}/referees"


def test_the_ofsted_report_is_asked_for_only_when_the_provider_has_a_urn(world, clock):
    unregulated = provider_user("Gamma Lodgings", "gamma@provider.example.org", clock, urn=None)
    application = applications.start(unregulated, world.window, clock.now())
    assert messages(application, clock.now()) == [
        message for message in EVERYTHING_MISSING if message != "Upload your current Ofsted inspection report"]
    assert "ofsted_report" not in applications.required_evidence(application)
    with pytest.raises(DomainError, match="^Choose one of the documents this application asks for$"):
        applications.upload_document(unregulated, application, kind="ofsted_report", filename="ofsted.pdf",
                                     data=PDF, expires_on=None, now=clock.now())


def test_a_complete_application_misses_nothing(world, clock):
    application = complete_application(world.provider_a, world.window, clock)
    assert messages(application, clock.now()) == []


def test_each_chosen_lot_needs_a_price(world, clock):
    now = clock.now()
    application = applications.start(world.provider_a, world.window, now)
    lot_1, lot_2, lot_3 = world.lots
    applications.set_lots(world.provider_a, application, [lot_1.id, lot_3.id], now)
    missing = messages(application, now)
    assert "Choose at least one lot" not in missing
    assert "Enter a weekly price for Lot 1: Semi-independence" in missing
    assert "Enter a weekly price for Lot 3: Floating support" in missing
    assert not any("Lot 2" in message for message in missing)

    one, three = lot_1.categories[0].id, lot_3.categories[0].id  # each lot's one age category
    errors = applications.set_prices(world.provider_a, application, {one: "£1,450.50", three: "0"}, now)
    assert errors == {three: "The weekly price must be more than £0"}
    missing = messages(application, now)
    assert "Enter a weekly price for Lot 1: Semi-independence" not in missing
    assert "Enter a weekly price for Lot 3: Floating support" in missing
    prices = {al.lot_id: al.price_for(al.lot.categories[0].id) for al in application.lots}
    assert prices == {lot_1.id: Decimal("1450.50"), lot_3.id: None}


def test_each_unanswered_question_is_listed(world, clock):
    now = clock.now()
    application = applications.start(world.provider_a, world.window, now)
    first, second, third = world.window.question_set.questions
    applications.save_answers(world.provider_a, application, {first.id: "We keep them safe.", second.id: "   "}, now)
    missing = messages(application, now)
    assert "Answer question 1" not in missing
    assert "Answer question 2" in missing and "Answer question 3" in missing


def test_expired_insurance_is_listed(world, clock):
    application = complete_application(world.provider_a, world.window, clock)
    expiry = (clock.now() + timedelta(days=3)).date()
    applications.upload_document(world.provider_a, application, kind="insurance_certificate", filename="cover.pdf",
                                 data=PDF, expires_on=expiry, now=clock.now())
    assert messages(application, clock.now()) == []

    clock.advance(days=3)  # the cover ends today: 5 November 2026
    assert messages(application, clock.now()) == [
        "Your insurance expired on 5 November 2026: upload a certificate that is in date"]
    with pytest.raises(DomainError, match="^This application is not complete"):
        applications.submit(world.provider_a, application, clock.now())
    assert application.status == "draft"


def test_insurance_already_expired_cannot_be_uploaded(world, clock):
    application = applications.start(world.provider_a, world.window, clock.now())
    with pytest.raises(DomainError, match="^The insurance has expired: upload a certificate for cover that is in date"):
        applications.upload_document(world.provider_a, application, kind="insurance_certificate",
                                     filename="cover.pdf", data=PDF, expires_on=clock.now().date(), now=clock.now())


def test_fewer_than_two_referees_is_listed(world, clock):
    now = clock.now()
    application = applications.start(world.provider_a, world.window, now)
    add_referee(world.provider_a, application, 1, now)
    assert "Name 1 more local-authority referee (at least 2 are needed)" in messages(application, now)
    add_referee(world.provider_a, application, 2, now)
    assert not any("referee" in message for message in messages(application, now))


def test_an_incomplete_application_cannot_be_submitted(world, clock):
    application = applications.start(world.provider_a, world.window, clock.now())
    with pytest.raises(DomainError) as error:
        applications.submit(world.provider_a, application, clock.now())
    assert error.value.message == "This application is not complete: fix the items listed, then submit it."
    assert application.status == "draft" and count("application.submitted") == 0


# Prices --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("0", "The weekly price must be more than £0"),
    ("-250", "The weekly price must be more than £0"),
    ("twelve hundred", "Enter the weekly price in pounds and pence, like 1,450.00"),
    ("1e3", "Enter the weekly price in pounds and pence, like 1,450.00"),
    ("NaN", "Enter the weekly price in pounds and pence, like 1,450.00"),
    ("1450.505", "Enter the weekly price in pounds and pence, with no more than 2 decimal places"),
    ("100,000.01", "The weekly price must be £100,000 or less"),
    ("   ", "Enter the weekly price"),
])
def test_a_bad_price_is_refused_and_not_saved(world, clock, text, message):
    """The portal's one money parser (tests/portal/test_money.py) reads the price."""
    application = applications.start(world.provider_a, world.window, clock.now())
    lot = world.lots[0]
    applications.set_lots(world.provider_a, application, [lot.id], clock.now())
    category = lot.categories[0].id
    assert applications.set_prices(world.provider_a, application, {category: text}, clock.now()) == {category: message}
    assert application.lots[0].prices == []


@pytest.mark.parametrize(("text", "expected"), [
    ("1450", Decimal("1450.00")),
    ("£1,450.5", Decimal("1450.50")),
    (" 0.01 ", Decimal("0.01")),
    ("100,000", Decimal("100000.00")),
])
def test_a_price_in_pounds_and_pence_is_saved(world, clock, text, expected):
    application = applications.start(world.provider_a, world.window, clock.now())
    lot = world.lots[0]
    applications.set_lots(world.provider_a, application, [lot.id], clock.now())
    assert applications.set_prices(world.provider_a, application, {lot.categories[0].id: text}, clock.now()) == {}
    assert application.lots[0].price_for(lot.categories[0].id) == expected


# Submission ------------------------------------------------------------------------------------------

def test_submit(world, clock):
    application = complete_application(world.provider_a, world.window, clock)
    clock.advance(hours=3)
    applications.submit(world.colleague_a, application, clock.now())
    assert application.status == "submitted"
    assert application.submitted_at == clock.now() and application.submitted_by_id == world.colleague_a.id
    assert count("application.submitted") == 1


def test_submit_refused_once_the_window_has_closed_and_the_draft_is_kept(world, clock):
    application = complete_application(world.provider_a, world.window, clock)
    clock.set(world.window.closes_at)
    with pytest.raises(DomainError) as error:
        applications.submit(world.provider_a, application, clock.now())
    assert error.value.message == ("Window 1 closed on 16 November 2026 at 10:00am: this application can no longer "
                                   "be changed or submitted. Your draft has been kept.")
    db.session.expire_all()
    kept = db.session.get(Application, application.id)
    assert kept.status == "draft" and kept.submitted_at is None
    assert len(kept.lots) == 2 and all(al.prices[0].weekly_price == Decimal("1250.00") for al in kept.lots)
    assert len(kept.answers) == 3 and len(kept.documents) == 5 and len(kept.referees) == 2
    assert count("application.submitted") == 0


@pytest.mark.parametrize("status", ["suspended", "terminated"])
def test_a_suspended_or_terminated_provider_cannot_submit_and_keeps_its_draft(world, clock, status):
    application = complete_application(world.provider_a, world.window, clock)
    contract = standing.contract_for(world.dps.id, world.provider_a.organisation_id, now=clock.now())
    if status == "suspended":
        standing.restrict(dps_id=world.dps.id, provider_id=world.provider_a.organisation_id, cause="sanction",
                          reason="Breach of contract", actor=world.admin, now=clock.now())
    else:
        standing.terminate(contract, reason="Breach of contract", actor=world.admin, now=clock.now())
    db.session.commit()
    with pytest.raises(DomainError) as error:
        applications.submit(world.provider_a, application, clock.now())
    assert error.value.message == (f"Your organisation is {status} on {world.dps.reference}: Breach of contract. "
                                   f"It cannot submit applications to {world.dps.name}. Your draft has been kept.")
    db.session.expire_all()
    kept = db.session.get(Application, application.id)
    assert kept.status == "draft" and kept.submitted_at is None
    assert len(kept.answers) == 3 and len(kept.documents) == 5 and len(kept.referees) == 2
    assert count("application.submitted") == 0


def test_submit_just_before_the_close_is_accepted(world, clock):
    application = complete_application(world.provider_a, world.window, clock)
    clock.set(world.window.closes_at - timedelta(seconds=1))
    applications.submit(world.provider_a, application, clock.now())
    assert application.status == "submitted"


def test_a_submitted_application_cannot_be_submitted_again(world, clock):
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    clock.advance(minutes=1)
    with pytest.raises(DomainError) as error:
        applications.submit(world.colleague_a, application, clock.now())
    assert error.value.message == ("This application was already submitted on 2 November 2026 at 10:00am. "
                                   "Nothing has changed.")
    assert "already submitted" in error.value.message
    assert application.submitted_by_id == world.provider_a.id and application.submitted_at == world.window.opened_at
    assert count("application.submitted") == 1


def test_a_submitted_application_cannot_be_changed(world, clock):
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    with pytest.raises(DomainError, match="^This application was submitted on 2 November 2026 at 10:00am"):
        applications.set_lots(world.provider_a, application, [world.lots[2].id], clock.now())
    assert len(application.lots) == 2


# One application per provider per window -----------------------------------------------------------

def test_starting_twice_returns_the_same_application(world, clock):
    first = applications.start(world.provider_a, world.window, clock.now())
    clock.advance(hours=1)
    again = applications.start(world.provider_a, world.window, clock.now())
    colleague = applications.start(world.colleague_a, world.window, clock.now())
    assert first.id == again.id == colleague.id
    other = applications.start(world.provider_b, world.window, clock.now())
    assert other.id != first.id
    rows = db.session.scalars(db.select(Application).where(Application.window_id == world.window.id)).all()
    assert sorted(a.provider_id for a in rows) == sorted([world.provider_a.organisation_id,
                                                          world.provider_b.organisation_id])
    assert count("application.started") == 2


def test_no_application_can_be_started_in_a_closed_window(world, clock):
    clock.set(world.window.closes_at)
    with pytest.raises(DomainError) as error:
        applications.start(world.provider_a, world.window, clock.now())
    assert error.value.message == "Window 1 of Test arrangement T-DPS is not open for applications."
    assert count("application.started") == 0


def test_starting_an_application_locks_the_questions_if_the_scheduler_has_not(world, clock):
    dps = build_dps(world.admin, clock, reference="T-NEW")
    window = windows.schedule_first_window(world.admin, dps, opens_at=clock.now() + timedelta(hours=1),
                                           now=clock.now())
    clock.advance(hours=2)  # the window has opened; the scheduler has not run
    assert window.opened_at is None and window.question_set.locked_at is None
    applications.start(world.provider_a, window, clock.now())
    db.session.expire_all()
    assert db.session.get(EntryWindow, window.id).question_set.locked_at == clock.now()


def test_only_provider_users_can_start_an_application(world, clock):
    with pytest.raises(NotFound):
        applications.start(world.admin, world.window, clock.now())


# Who may see an application --------------------------------------------------------------------------

def test_who_may_see_a_draft(world, clock):
    draft = complete_application(world.provider_a, world.window, clock)
    assert applications.can_view(world.provider_a, draft)
    assert applications.can_view(world.colleague_a, draft)
    for user in (world.provider_b, world.evaluator, world.admin, world.lead_officer, world.member_officer,
                 world.outside_admin):
        assert not applications.can_view(user, draft), user.email
        with pytest.raises(NotFound):
            applications.get_for(user, draft.id)


def test_who_may_see_a_submitted_application(world, clock):
    submitted = complete_application(world.provider_a, world.window, clock, submit=True)
    for user in (world.provider_a, world.colleague_a, world.evaluator, world.admin):
        assert applications.can_view(user, submitted), user.email
        assert applications.get_for(user, submitted.id) == submitted
    # Another provider never; a lead-authority officer who does not evaluate, a member authority and an
    # authority outside the consortium (even with evaluator and administrator roles) never.
    for user in (world.provider_b, world.lead_officer, world.member_officer, world.outside_admin):
        assert not applications.can_view(user, submitted), user.email
        with pytest.raises(NotFound):
            applications.get_for(user, submitted.id)


def test_documents_follow_the_application(world, clock):
    submitted = complete_application(world.provider_a, world.window, clock, submit=True)
    document = submitted.documents[0]
    assert applications.get_document_for(world.evaluator, document.id) == document
    with pytest.raises(NotFound):
        applications.get_document_for(world.provider_b, document.id)
    with pytest.raises(NotFound):
        applications.get_document_for(world.outside_admin, document.id)


# Two people at once -----------------------------------------------------------------------------------

def test_an_upload_racing_a_colleagues_change_is_refused_and_leaves_nothing_behind(app, world, clock):
    application = applications.start(world.provider_a, world.window, clock.now())
    assert application.version == 1
    # A colleague changes the application in another request, after this one read it.
    with db.engine.begin() as connection:
        connection.execute(sa.update(Application.__table__).where(Application.__table__.c.id == application.id)
                           .values(version=2))
    stored = set(uploads.folder().iterdir())
    clock.advance(minutes=1)
    with pytest.raises(DomainError) as error:
        applications.upload_document(world.provider_a, application, kind="statement_of_purpose",
                                     filename="purpose.pdf", data=PDF, expires_on=None, now=clock.now())
    assert error.value.message == "A colleague changed this application at the same moment. Check it and try again."
    assert set(uploads.folder().iterdir()) == stored  # the file is not left behind
    db.session.expire_all()
    assert db.session.get(Application, application.id).documents == []
    assert count("application.document_uploaded") == 0
