"""The consortium administrator's pages: windows, questions, DPS set-up, users, audit and the
provider register. A refused action shows why and changes nothing."""

import html
import re
from datetime import datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Dps,
    EntryWindow,
    Invitation,
    Organisation,
    OutboxMessage,
    QualityQuestion,
    QuestionSet,
    User,
)
from portal.services import accounts, applications, windows
from tests.factories import authority_user, build_dps, provider_user


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def window_state(window_id: int) -> tuple:
    db.session.expire_all()
    window = db.session.get(EntryWindow, window_id)
    return window.opens_at, window.closes_at, window.opened_at, window.closed_at


def audit_count(action: str) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == action))


@pytest.fixture
def admin(world, sign_in):
    return sign_in(world.admin)


@pytest.fixture
def scheduled(world):
    """The window after the open one, scheduled by the DPS's cadence."""
    later = [w for w in windows.windows_of(world.dps) if w.id != world.window.id]
    assert len(later) == 1 and later[0].opened_at is None
    return later[0]


# Windows -----------------------------------------------------------------------------------------

def test_closing_an_open_window_needs_a_reason(world, admin, clock):
    before = window_state(world.window.id)
    for reason in ("", "   "):
        response = admin.post(f"/admin/windows/{world.window.id}/close", data={"reason": reason})
        assert response.status_code == 400
        assert 'href="#reason">Give a reason' in text_of(response)
        assert window_state(world.window.id) == before
    assert audit_count("window.closed") == 0

    response = admin.post(f"/admin/windows/{world.window.id}/close", data={"reason": "Too few lots to evaluate"})
    assert response.status_code == 302
    assert "Window 1 is closed" in text_of(admin.get(response.headers["Location"]))
    _, closes_at, _, closed_at = window_state(world.window.id)
    assert closes_at == clock.now() and closed_at == clock.now()
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "window.closed")).one()
    assert "Too few lots to evaluate" in event.summary and event.actor_id == world.admin.id


def test_opening_a_scheduled_window_early_needs_a_reason_and_no_overlap(world, admin, clock, scheduled):
    before = window_state(scheduled.id)
    response = admin.post(f"/admin/windows/{scheduled.id}/open", data={"reason": ""})
    assert response.status_code == 400
    assert "Give a reason" in text_of(response)
    assert window_state(scheduled.id) == before

    # Window 1 is still open: the two would overlap.
    response = admin.post(f"/admin/windows/{scheduled.id}/open", data={"reason": "Demand is high"})
    assert response.status_code == 400
    assert "windows cannot overlap" in text_of(response)
    assert window_state(scheduled.id) == before

    assert admin.post(f"/admin/windows/{world.window.id}/close", data={"reason": "Opening the next one"}
                      ).status_code == 302
    response = admin.post(f"/admin/windows/{scheduled.id}/open", data={"reason": "Demand is high"})
    assert response.status_code == 302
    assert "Window 2 is open" in text_of(admin.get(response.headers["Location"]))
    opens_at, _, opened_at, _ = window_state(scheduled.id)
    assert opens_at == clock.now() and opened_at == clock.now()
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id)).where(
        OutboxMessage.subject.like("%is open for applications"), OutboxMessage.created_at == clock.now())) >= 2

    # It is open now, so opening it again is refused.
    response = admin.post(f"/admin/windows/{scheduled.id}/open", data={"reason": "Again"})
    assert response.status_code == 400
    assert "is not waiting to open" in text_of(response)


def extend_data(when: datetime, reason: str) -> dict:
    return {"closes_on": [str(when.day), str(when.month), str(when.year)], "closes_at": when.strftime("%H:%M"),
            "reason": reason}


def test_extending_an_open_window(world, admin):
    window_id = world.window.id
    before = window_state(window_id)
    current_close = before[1]  # November: London time is UTC

    response = admin.post(f"/admin/windows/{window_id}/extend", data=extend_data(current_close + timedelta(days=7), ""))
    assert response.status_code == 400
    page = text_of(response)
    assert "Give a reason" in page
    assert 'href="#extend-reason">Give a reason' in page  # the summary links to the extend form's own box
    assert window_state(window_id) == before

    response = admin.post(f"/admin/windows/{window_id}/extend",
                          data=extend_data(current_close - timedelta(days=1), "More time"))
    assert response.status_code == 400
    assert "The new closing time must be after the current one" in text_of(response)
    assert window_state(window_id) == before

    response = admin.post(f"/admin/windows/{window_id}/extend", data={**extend_data(current_close, "x"),
                                                                       "closes_at": "25:99"})
    assert response.status_code == 400
    assert "Enter a real time, for example 09:00 or 17:00" in text_of(response)
    assert window_state(window_id) == before

    later = current_close + timedelta(days=7, hours=7)
    response = admin.post(f"/admin/windows/{window_id}/extend", data=extend_data(later, "Christmas post delays"))
    assert response.status_code == 302
    assert window_state(window_id)[1] == later
    assert audit_count("window.extended") == 1


def test_a_window_of_another_authority_is_not_found(world, sign_in):
    outsider = sign_in(world.outside_admin)
    before = window_state(world.window.id)
    assert outsider.post(f"/admin/windows/{world.window.id}/close", data={"reason": "Mine now"}).status_code == 404
    assert window_state(world.window.id) == before


# Questions ---------------------------------------------------------------------------------------

QUESTION = {"text": "How do you support education?", "guidance": "", "scoring": "scored", "weight": "1",
            "max_score": "5", "min_score": "2", "word_limit": "500"}


def question_rows(question_set_id: int) -> list[tuple]:
    db.session.expire_all()
    return [(q.number, q.text, q.weight) for q in db.session.scalars(
        db.select(QualityQuestion).where(QualityQuestion.question_set_id == question_set_id)
        .order_by(QualityQuestion.number))]


def test_questions_in_use_cannot_change(world, admin):
    dps_id = world.dps.id
    question_set = world.window.question_set
    first = question_set.questions[0]
    before = question_rows(question_set.id)
    weighting = (question_set.quality_weight, question_set.quality_threshold_percent)
    message = "so it cannot change. Create a new version: later windows will use it."

    page = text_of(admin.get(f"/admin/dps/{dps_id}/questions/new"))
    assert message in page

    response = admin.post(f"/admin/dps/{dps_id}/questions/new", data=QUESTION)
    assert response.status_code == 400
    assert message in text_of(response)

    response = admin.post(f"/admin/dps/{dps_id}/questions/{first.id}", data={**QUESTION, "text": "Changed"})
    assert response.status_code == 400
    assert message in text_of(response)

    response = admin.post(f"/admin/dps/{dps_id}/questions/{first.id}/remove")
    assert response.status_code == 302
    assert message in text_of(admin.get(response.headers["Location"]))

    response = admin.post(f"/admin/dps/{dps_id}/questions", data={"quality_weight": "80",
                                                                   "quality_threshold_percent": "40"})
    assert response.status_code == 400
    assert message in text_of(response)

    assert question_rows(question_set.id) == before
    db.session.expire_all()
    fresh_set = db.session.get(QuestionSet, question_set.id)
    assert (fresh_set.quality_weight, fresh_set.quality_threshold_percent) == weighting
    assert audit_count("questions.changed") == 3  # only the three questions the world was built with


def test_a_new_version_takes_the_changes_for_later_windows(world, admin, scheduled):
    dps_id = world.dps.id
    version_one = world.window.question_set.id
    before = question_rows(version_one)

    response = admin.post(f"/admin/dps/{dps_id}/questions/new-version")
    assert response.status_code == 302
    assert "Version 2 created: later windows will use it" in text_of(admin.get(response.headers["Location"]))
    db.session.expire_all()
    dps = db.session.get(Dps, dps_id)
    assert dps.current_question_set.version == 2
    assert db.session.get(EntryWindow, scheduled.id).question_set.version == 2
    assert db.session.get(EntryWindow, world.window.id).question_set.version == 1

    response = admin.post(f"/admin/dps/{dps_id}/questions/new", data=QUESTION)
    assert response.status_code == 302
    version_two = dps.current_question_set.id
    assert len(question_rows(version_two)) == len(before) + 1
    assert question_rows(version_one) == before

    # Version 2 is not in use yet: a further version is refused with the reason.
    response = admin.post(f"/admin/dps/{dps_id}/questions/new-version")
    assert "Version 2 has not been used by a window yet: change it directly." in text_of(
        admin.get(response.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(Dps, dps_id).current_question_set.version == 2


def test_an_invalid_question_shows_its_errors(world, admin, scheduled):
    admin.post(f"/admin/dps/{world.dps.id}/questions/new-version")
    response = admin.post(f"/admin/dps/{world.dps.id}/questions/new",
                          data={**QUESTION, "text": "", "word_limit": "10"})
    assert response.status_code == 400
    assert "Enter the question" in text_of(response)
    response = admin.post(f"/admin/dps/{world.dps.id}/questions/new", data={**QUESTION, "word_limit": "10"})
    assert response.status_code == 400
    assert "The word limit must be between 50 and 5,000" in text_of(response)


# Creating a DPS ----------------------------------------------------------------------------------

NEW_DPS = {"reference": "NEW-DPS", "name": "New arrangement", "description": "", "continuous": "cadence",
           "cadence_months": "6", "window_length_days": "28",
           "required_evidence": ["statement_of_purpose", "pricing_schedule"], "service_type": "residential",
           "start_date": ["1", "4", "2027"], "initial_years": "2", "extension_years": "1+1", "quality_weight": "60",
           "quality_threshold_percent": "50"}


def dps_count() -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count(Dps.id)))


@pytest.mark.parametrize("changes, message", [
    ({"reference": "", "name": ""}, "Enter a reference"),
    ({"name": ""}, "Enter the DPS's name"),
    ({"service_type": ""}, "Choose the service"),
    ({"start_date": ["31", "2", "2027"]}, "Enter the start date as a real date"),
    ({"initial_years": ""}, "Enter a whole number"),
    ({"initial_years": "two"}, "Enter a whole number, like 4"),
    ({"cadence_months": ""}, "Enter how many months there are between windows"),
    ({"required_evidence": []}, "Select the evidence providers must send"),
    ({"reference": "T-DPS"}, "Another DPS already has this reference"),
    ({"window_length_days": "200"}, "A window must close before the next one opens: shorten the window"),
    ({"quality_weight": "120"}, "The quality weight must be between 0 and 100 per cent"),
    ({"extension_years": "one"}, "Enter extensions as whole years joined by +, like 1+1"),
    ({"initial_years": "0"}, "The initial term must be between 1 and 10 years"),
])
def test_creating_a_dps_with_invalid_inputs_shows_errors(world, admin, changes, message):
    before = dps_count()
    response = admin.post("/admin/dps/new", data={**NEW_DPS, **changes})
    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page
    assert message in page
    assert dps_count() == before


def test_choosing_a_cadence_without_the_months_is_refused_not_made_continuous(world, admin):
    before = dps_count()
    response = admin.post("/admin/dps/new", data={**NEW_DPS, "cadence_months": ""})
    assert response.status_code == 400
    assert 'href="#cadence_months">Enter how many months there are between windows' in text_of(response)
    assert dps_count() == before
    # Continuously open needs no months.
    response = admin.post("/admin/dps/new", data={**NEW_DPS, "continuous": "continuous", "cadence_months": ""})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Dps).where(Dps.reference == "NEW-DPS")).is_continuous


def test_editing_terms_to_a_cadence_without_the_months_is_refused(world, admin):
    dps_id = world.dps.id
    response = admin.post(f"/admin/dps/{dps_id}/terms", data={
        "name": "Renamed", "description": "", "continuous": "cadence", "cadence_months": "",
        "window_length_days": "28", "required_evidence": ["statement_of_purpose"], "reminder_days": "7",
        "decision_working_days": "20"})
    assert response.status_code == 400
    assert "Enter how many months there are between windows" in text_of(response)
    db.session.expire_all()
    dps = db.session.get(Dps, dps_id)
    assert dps.cadence_months == 4 and dps.name == "Test arrangement T-DPS"


def test_creating_a_valid_dps(world, admin):
    response = admin.post("/admin/dps/new", data=NEW_DPS)
    assert response.status_code == 302
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == "NEW-DPS"))
    assert dps.lead_authority_id == world.lead.id and dps.cadence_months == 6
    assert response.headers["Location"].endswith(f"/admin/dps/{dps.id}")


# Users -------------------------------------------------------------------------------------------

def invitations() -> list[Invitation]:
    db.session.expire_all()
    return db.session.scalars(db.select(Invitation)).all()


def test_inviting_a_user_writes_an_email_with_a_working_link(app, world, admin):
    response = admin.post("/admin/users", data={"organisation_id": str(world.lead.id),
                                                "email": "New.Person@lead.example.org", "roles": ["evaluator"]})
    assert response.status_code == 302
    assert "Invitation sent to New.Person@lead.example.org" in text_of(admin.get(response.headers["Location"]))
    message = db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.to_address == "new.person@lead.example.org")).one()
    link = re.search(r"http://portal\.test(/invitations/\S+)", message.body).group(1)
    assert app.test_client().get(link).status_code == 200
    assert audit_count("user.invited") == 1


def test_inviting_an_evaluator_for_a_member_authority_is_refused(world, admin):
    outbox_before = db.session.scalar(db.select(db.func.count(OutboxMessage.id)))
    response = admin.post("/admin/users", data={"organisation_id": str(world.member.id),
                                                "email": "eval@member.example.org", "roles": ["evaluator"]})
    assert response.status_code == 400
    assert "You cannot give the role Evaluator to someone at Member Council" in text_of(response)
    assert invitations() == []
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == outbox_before

    # A commissioning officer for the member authority is fine.
    response = admin.post("/admin/users", data={"organisation_id": str(world.member.id),
                                                "email": "officer2@member.example.org",
                                                "roles": ["commissioning_officer"]})
    assert response.status_code == 302
    assert [i.email for i in invitations()] == ["officer2@member.example.org"]


@pytest.mark.parametrize("changes, message", [
    ({"organisation_id": "outsider"}, "Choose an authority of your consortium"),
    ({"email": "officer@member.example.org"}, "This e-mail address is already used by an account at another "
                                              "organisation"),
    ({"roles": []}, "Select at least one role"),
    ({"email": "not-an-email"}, "Enter an e-mail address in the correct format"),
])
def test_invalid_invitations_are_refused(world, admin, changes, message):
    data = {"organisation_id": str(world.lead.id), "email": "someone@lead.example.org", "roles": ["evaluator"],
            **changes}
    if data["organisation_id"] == "outsider":
        data["organisation_id"] = str(world.outsider.id)
    response = admin.post("/admin/users", data=data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert invitations() == []


# Audit log and provider register -----------------------------------------------------------------

def test_audit_log_filters_by_action_and_actor(world, admin, clock):
    for provider in (world.provider_a, world.provider_b):
        applications.start(provider, world.window, clock.now())  # providers of this DPS
    everything = text_of(admin.get("/admin/audit"))
    assert "Alpha Care registered as a provider" in everything
    assert "T-DPS Window 1 opened" in everything

    opened = text_of(admin.get("/admin/audit?action=window.opened"))
    assert "T-DPS Window 1 opened" in opened
    assert "registered as a provider" not in opened
    assert '<option value="window.opened" selected>' in opened

    registered = text_of(admin.get("/admin/audit?action=provider.registered"))
    assert "Alpha Care registered as a provider" in registered and "Beta Homes registered as a provider" in registered
    assert "Window 1 opened" not in registered

    by_beta = text_of(admin.get("/admin/audit?actor=beta@provider"))
    assert "Beta Homes registered as a provider" in by_beta
    assert "Alpha Care registered as a provider" not in by_beta

    assert "No events match." in text_of(admin.get("/admin/audit?action=user.locked"))
    # A date range with nothing in it, and an unreadable date (ignored).
    assert "No events match." in text_of(admin.get("/admin/audit?from=2030-01-01"))
    assert "T-DPS Window 1 opened" in text_of(admin.get("/admin/audit?from=not-a-date"))


def test_provider_register_filters_by_status(world, admin):
    world.provider_b.organisation.change_provider_status("admitted")
    db.session.commit()
    names = ("Alpha Care", "Beta Homes")

    def shown(query: str) -> set[str]:
        page = text_of(admin.get(f"/admin/providers{query}"))
        return {name for name in names if f">{name}</a>" in page}

    assert shown("") == set(names)
    assert shown("?status=admitted") == {"Beta Homes"}
    assert shown("?status=applicant") == {"Alpha Care"}
    assert shown("?status=place_with_caution") == set()
    assert "No providers match." in text_of(admin.get("/admin/providers?status=place_with_caution"))
    assert shown("?status=not-a-status") == set(names)


def test_audit_log_leaves_out_authorities_outside_the_consortium(world, admin, sign_in, clock):
    applications.start(world.provider_a, world.window, clock.now())
    sign_in(world.outside_admin)
    sign_ins = text_of(admin.get("/admin/audit?action=user.sign_in"))
    assert "admin@lead.example.org" in sign_ins
    assert "admin@outside.example.org" not in sign_ins
    # The doings of the consortium's providers and the system's work on its DPSs are part of its trail.
    assert "alpha@provider.example.org" in text_of(admin.get("/admin/audit?action=provider.registered"))
    assert "system (scheduler)" in text_of(admin.get("/admin/audit?action=window.opened"))


def test_audit_log_leaves_out_other_consortia_providers_and_system_work(app, world, admin, sign_in, clock):
    other = build_dps(world.outside_admin, clock, reference="OUT-DPS")
    other_window = windows.schedule_window(other, opens_at=clock.now() - timedelta(hours=1),
                                           closes_at=clock.now() + timedelta(days=14), now=clock.now(),
                                           actor=world.outside_admin)
    db.session.commit()
    windows.run_due(clock.now())
    gamma = provider_user("Gamma Futures", "gamma@provider.example.org", clock)
    applications.start(gamma, other_window, clock.now())  # Gamma applies only to the other consortium's DPS
    applications.start(world.provider_b, other_window, clock.now())  # Beta applies to both
    applications.start(world.provider_b, world.window, clock.now())
    sign_in(gamma)
    sign_in(world.provider_b)
    app.test_client().post("/sign-in", data={"email": "nobody@example.org", "password": "a guess at one"})

    trail = text_of(admin.get("/admin/audit"))
    assert "T-DPS Window 1 opened" in trail and "Beta Homes started an application to T-DPS Window 1" in trail
    assert "beta@provider.example.org" in text_of(admin.get("/admin/audit?action=user.sign_in"))
    for other_consortium in ("OUT-DPS", "Gamma Futures", "gamma@provider.example.org", "nobody@example.org"):
        assert other_consortium not in trail, other_consortium
    # The other consortium's administrator sees its own.
    theirs = text_of(sign_in(world.outside_admin).get("/admin/audit"))
    assert "OUT-DPS Window 1 opened" in theirs and "Gamma Futures started an application to OUT-DPS" in theirs
    assert not re.search(r"\bT-DPS", theirs)


def test_editing_terms_saves_them_with_the_moderation_gap_and_audits_the_change(world, sign_in, clock):
    clock.set(world.window.closes_at + timedelta(days=1))  # the evidence asked for changes only between windows
    admin = sign_in(world.admin)
    dps_id = world.dps.id
    response = admin.post(f"/admin/dps/{dps_id}/terms", data={
        "name": "Renamed", "description": "", "continuous": "cadence", "cadence_months": "6",
        "window_length_days": "21", "required_evidence": ["statement_of_purpose", "pricing_schedule"],
        "reminder_days": "7", "decision_working_days": "15", "moderation_gap": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    dps = db.session.get(Dps, dps_id)
    assert (dps.name, dps.cadence_months, dps.window_length_days, dps.decision_working_days, dps.moderation_gap) == (
        "Renamed", 6, 21, 15, 1)
    assert dps.evidence_kinds == ["statement_of_purpose", "pricing_schedule"]
    assert audit_count("dps.updated") == 1


def test_a_member_councils_administrator_is_not_the_leads_to_change(world, admin, clock):
    member_admin = authority_user(world.member, "Mia Member", "admin@member.example.org",
                                  ["administrator", "commissioning_officer"], clock)
    message = "Mia Member holds roles that only Member Council's own administrators can change"
    response = admin.post(f"/admin/users/{member_admin.id}", data={"roles": ["commissioning_officer"]})
    assert response.status_code == 400 and message in text_of(response)
    response = admin.post(f"/admin/users/{member_admin.id}/active", data={"active": "no"}, follow_redirects=True)
    assert message in text_of(response)
    db.session.expire_all()
    unchanged = db.session.get(User, member_admin.id)
    assert unchanged.roles == {"administrator", "commissioning_officer"} and unchanged.active
    assert audit_count("user.roles_changed") == 0 and audit_count("user.deactivated") == 0


def test_ofsted_ratings_are_recorded_only_for_providers_of_the_leads_dpss(world, admin, clock):
    alpha_id = world.provider_a.organisation_id
    url = f"/admin/providers/{alpha_id}/ofsted"
    data = {"rating": "Good", "rating_date": ["1", "10", "2026"]}
    message = ("You can record Ofsted ratings only for providers that applied to, or hold a place on, "
               "a DPS your authority leads")
    assert "Record a new Ofsted rating" not in text_of(admin.get(f"/admin/providers/{alpha_id}"))
    response = admin.post(url, data=data)
    assert response.status_code == 400 and message in text_of(response)
    db.session.expire_all()
    assert db.session.get(Organisation, alpha_id).ofsted_rating is None
    assert audit_count("provider.ofsted_recorded") == 0

    applications.start(world.provider_a, world.window, clock.now())  # Alpha applies to the lead's DPS
    assert "Record a new Ofsted rating" in text_of(admin.get(f"/admin/providers/{alpha_id}"))
    response = admin.post(url, data=data, follow_redirects=True)
    assert "Ofsted rating of Alpha Care recorded" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Organisation, alpha_id).ofsted_rating == "Good"


def test_outbox_shows_only_the_consortiums_mail_with_link_tokens_hidden(app, world, admin, sign_in, clock):
    applications.start(world.provider_a, world.window, clock.now())  # Alpha is a provider of the lead's DPS
    accounts.request_password_reset(world.provider_a.email, clock.now())
    accounts.request_password_reset(world.member_officer.email, clock.now())
    token = accounts.invite(world.admin, world.lead, "new.evaluator@lead.example.org", {"evaluator"}, clock.now())
    outside_token = accounts.invite(world.outside_admin, world.outsider, "someone@outside.example.org",
                                    {"evaluator"}, clock.now())
    accounts.request_password_reset(world.outside_admin.email, clock.now())
    accounts.request_password_reset(world.provider_b.email, clock.now())  # Beta has not applied
    reset_links = [re.search(r"/reset-password/(\S+)", message.body).group(1) for message in db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.subject.like("Reset your password%")))]

    page = text_of(admin.get("/admin/outbox"))
    for shown in ("To alpha@provider.example.org", "To officer@member.example.org",
                  "To new.evaluator@lead.example.org"):
        assert shown in page, shown
    for hidden in ("admin@outside.example.org", "someone@outside.example.org", "beta@provider.example.org"):
        assert hidden not in page, hidden
    assert "http://portal.test/reset-password/…" in page and "http://portal.test/invitations/…" in page
    for secret in [token, outside_token, *reset_links]:
        assert secret not in page
    # The messages themselves are untouched: the links still work.
    assert app.test_client().get(f"/invitations/{token}").status_code == 200


@pytest.mark.parametrize("query, message", [
    ("to=9999-12-31", "Enter a ‘to’ date between the years 2000 and 2100"),
    ("from=0001-01-01", "Enter a ‘from’ date between the years 2000 and 2100"),
])
def test_audit_log_dates_out_of_range_are_refused_with_a_message(world, admin, query, message):
    response = admin.get(f"/admin/audit?{query}")
    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page and message in page
    assert "T-DPS Window 1 opened" in page  # the trail, without the date it could not use


@pytest.mark.parametrize("url", ["/admin/audit", "/admin/providers", "/admin/users", "/admin/outbox",
                                 "/notifications"])
def test_a_huge_page_number_shows_an_empty_page(world, admin, url):
    response = admin.get(f"{url}?page=99999999999999999999")
    assert response.status_code == 200
    assert admin.get(f"{url}?page=-3").status_code == 200


def test_a_time_typed_with_superscript_digits_is_refused_with_a_message(world, admin, clock):
    dps = build_dps(world.admin, clock, reference="NEW-DPS")
    response = admin.post(f"/admin/dps/{dps.id}/windows/first",
                          data={"opens_on": ["1", "12", "2026"], "opens_at": "²:00"})
    assert response.status_code == 400 and "Enter a real time, for example 09:00 or 17:00" in text_of(response)
    assert windows.windows_of(dps) == []


def test_questions_page_is_locked_once_a_window_has_opened_before_the_scheduler_runs(world, admin, clock):
    dps = build_dps(world.admin, clock, reference="NEW-DPS")
    windows.schedule_first_window(world.admin, dps, opens_at=clock.now() + timedelta(hours=1), now=clock.now())
    assert "Add a question" in text_of(admin.get(f"/admin/dps/{dps.id}/questions"))
    clock.advance(hours=2)
    page = text_of(admin.get(f"/admin/dps/{dps.id}/questions"))
    assert "Version 1 of the questions and weighting is in use by Window 1, which has opened" in page
    assert "Add a question" not in page and "Create version 2" in page
    response = admin.post(f"/admin/dps/{dps.id}/questions", data={"quality_weight": "10",
                                                                  "quality_threshold_percent": "50"})
    assert response.status_code == 400 and "Create a new version: later windows will use it" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Dps, dps.id).current_question_set.quality_weight == 60


def test_the_evidence_asked_for_cannot_change_mid_window(world, admin):
    response = admin.post(f"/admin/dps/{world.dps.id}/terms", data={
        "name": "Renamed", "description": "", "continuous": "cadence", "cadence_months": "4",
        "window_length_days": "28", "required_evidence": ["statement_of_purpose", "pricing_schedule"],
        "reminder_days": "5", "decision_working_days": "10", "moderation_gap": "2"})
    assert response.status_code == 400
    assert ("The evidence providers must send cannot change while Window 1 is open: change it after the window "
            "has closed and its outcomes are published") in text_of(response)
    db.session.expire_all()
    dps = db.session.get(Dps, world.dps.id)
    assert dps.name == "Test arrangement T-DPS" and len(dps.evidence_kinds) == 5
    assert audit_count("dps.updated") == 0


def test_audit_log_shows_the_systems_work_on_the_consortiums_referrals(world, sign_in, clock):
    from portal.services import referrals
    from tests.factories import admit, published_referral

    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, deadline=clock.now() + timedelta(days=1))
    clock.advance(days=2)
    referrals.run_due(clock.now())
    trail = text_of(sign_in(world.admin).get("/admin/audit?action=referral.round_closed"))
    assert referral.reference in trail and "system (scheduler)" in trail


def test_who_bid_and_when_stays_out_of_the_trail_and_outbox_until_the_deadline(world, sign_in, clock):
    from tests.buyer.test_awards_service import bid_input, competition, past_deadline

    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1234.56"))])
    admin = sign_in(world.admin)
    trail = text_of(admin.get("/admin/audit?action=bid.submitted"))
    outbox = text_of(admin.get("/admin/outbox"))
    assert "revision 1" not in trail and "alpha@provider.example.org" not in trail
    assert f"Bid sent for referral {referral.reference}" not in outbox
    past_deadline(clock, referral)
    admin = sign_in(world.admin)
    trail = text_of(admin.get("/admin/audit?action=bid.submitted"))
    assert "revision 1" in trail and "alpha@provider.example.org" in trail
    assert f"Bid sent for referral {referral.reference}" in text_of(admin.get("/admin/outbox"))
