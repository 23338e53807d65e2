"""Who may reach what: every route of the app, for every kind of user.

EXPECTED lists each (endpoint, method) of app.url_map. A route added without a row here fails
test_every_route_is_in_the_matrix, so the matrix stays complete.

Columns: anonymous, provider (provider_a, owner of the records used), other_provider (provider_b,
another organisation), officer (member authority's commissioning officer), evaluator and admin
(lead authority), outsider (administrator, evaluator and officer of an authority outside the
consortium).

OK means the page was reached: 200 or 302 for a GET; for a POST sent with no data, 200, 302 or 400
(400: the form was reached and refused the empty input). LOGIN means a redirect to /sign-in.
"""

import importlib
import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import DpsMember, Notification, Organisation, OutboxMessage
from portal.models.organisation import AUTHORITY
from portal.models.user import EVALUATOR
from portal.services import accounts, applications, cautions, evaluations, outcomes, windows
from tests.factories import PDF, admit, build_dps, complete_application, evaluate

OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", 403, 404
ROLES = ("anonymous", "provider", "other_provider", "officer", "evaluator", "admin", "outsider")


def row(anonymous=LOGIN, provider=FORBIDDEN, other_provider=FORBIDDEN, officer=FORBIDDEN, evaluator=FORBIDDEN,
        admin=FORBIDDEN, outsider=FORBIDDEN) -> dict:
    return {"anonymous": anonymous, "provider": provider, "other_provider": other_provider, "officer": officer,
            "evaluator": evaluator, "admin": admin, "outsider": outsider}


PUBLIC = row(OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN = row(LOGIN, OK, OK, OK, OK, OK, OK)
# Administrator pages: a list of the administrator's own organisation's things, or a record of the lead's.
ADMIN_LIST = row(admin=OK, outsider=OK)
ADMIN_RECORD = row(admin=OK, outsider=NOT_FOUND)
EVALUATION_LIST = row(evaluator=OK, admin=OK, outsider=OK)
EVALUATION_RECORD = row(evaluator=OK, admin=OK, outsider=NOT_FOUND)
# Allocating and publishing: the lead's administrators only; an evaluator who is not one is refused.
EVALUATION_ADMIN = row(evaluator=FORBIDDEN, admin=OK, outsider=NOT_FOUND)
BUYER_LIST = row(officer=OK, outsider=OK)
BUYER_RECORD = row(officer=OK, outsider=NOT_FOUND)
PROVIDER_LIST = row(provider=OK, other_provider=OK)
PROVIDER_RECORD = row(provider=OK, other_provider=NOT_FOUND)
# A submitted application's document: its provider and the lead authority's evaluators/administrators.
DOCUMENT = row(LOGIN, OK, NOT_FOUND, NOT_FOUND, OK, OK, NOT_FOUND)
OWN_NOTIFICATION = row(LOGIN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)

EXPECTED = {
    ("auth.index", "GET"): PUBLIC,
    ("auth.sign_in", "GET"): PUBLIC,
    ("auth.sign_in", "POST"): PUBLIC,
    ("auth.sign_out", "POST"): PUBLIC,
    ("auth.register", "GET"): PUBLIC,
    ("auth.register", "POST"): PUBLIC,
    ("auth.forgot_password", "GET"): PUBLIC,
    ("auth.forgot_password", "POST"): PUBLIC,
    ("auth.reset_password", "GET"): PUBLIC,
    ("auth.reset_password", "POST"): PUBLIC,
    ("auth.accept_invitation", "GET"): PUBLIC,
    ("auth.accept_invitation", "POST"): PUBLIC,

    ("shared.notifications", "GET"): SIGNED_IN,
    ("shared.open_notification", "POST"): OWN_NOTIFICATION,
    ("shared.read_all", "POST"): SIGNED_IN,
    ("shared.download_document", "GET"): DOCUMENT,
    # A provider's caution evidence: its own users and the administrators of a lead it is linked to.
    ("shared.download_caution_evidence", "GET"): row(LOGIN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND),

    ("admin.dps_list", "GET"): ADMIN_LIST,
    ("admin.dps_new", "GET"): ADMIN_LIST,
    ("admin.dps_new", "POST"): ADMIN_LIST,
    ("admin.dps_detail", "GET"): ADMIN_RECORD,
    ("admin.dps_terms", "GET"): ADMIN_RECORD,
    ("admin.dps_terms", "POST"): ADMIN_RECORD,
    ("admin.add_member", "POST"): ADMIN_RECORD,
    ("admin.member_leave", "GET"): ADMIN_RECORD,
    ("admin.member_leave", "POST"): ADMIN_RECORD,
    ("admin.confirm_authority_area", "POST"): ADMIN_RECORD,
    ("admin.dps_extension", "GET"): ADMIN_RECORD,
    ("admin.dps_extension", "POST"): ADMIN_RECORD,
    ("admin.lot_new", "GET"): ADMIN_RECORD,
    ("admin.lot_new", "POST"): ADMIN_RECORD,
    ("admin.lot_edit", "GET"): ADMIN_RECORD,
    ("admin.lot_edit", "POST"): ADMIN_RECORD,
    ("admin.questions", "GET"): ADMIN_RECORD,
    ("admin.questions", "POST"): ADMIN_RECORD,
    ("admin.questions_new_version", "POST"): ADMIN_RECORD,
    ("admin.question_new", "GET"): ADMIN_RECORD,
    ("admin.question_new", "POST"): ADMIN_RECORD,
    ("admin.question_edit", "GET"): ADMIN_RECORD,
    ("admin.question_edit", "POST"): ADMIN_RECORD,
    ("admin.question_remove", "POST"): ADMIN_RECORD,
    ("admin.window_first", "GET"): ADMIN_RECORD,
    ("admin.window_first", "POST"): ADMIN_RECORD,
    ("admin.window_detail", "GET"): ADMIN_RECORD,
    ("admin.window_open", "POST"): ADMIN_RECORD,
    ("admin.window_close", "POST"): ADMIN_RECORD,
    ("admin.window_extend", "POST"): ADMIN_RECORD,
    # The provider register is shared: providers register once and may apply to any consortium's DPS.
    ("admin.providers", "GET"): ADMIN_LIST,
    ("admin.provider_detail", "GET"): ADMIN_LIST,
    ("admin.provider_ofsted", "POST"): ADMIN_LIST,
    # Deciding on a caution: administrators of a lead the provider is linked to.
    ("admin.provider_caution", "POST"): ADMIN_RECORD,
    ("admin.users", "GET"): ADMIN_LIST,
    ("admin.users", "POST"): ADMIN_LIST,
    ("admin.user_detail", "GET"): ADMIN_RECORD,
    ("admin.user_detail", "POST"): ADMIN_RECORD,
    ("admin.user_active", "POST"): ADMIN_RECORD,
    ("admin.audit_log", "GET"): ADMIN_LIST,
    ("admin.outbox", "GET"): ADMIN_LIST,
    # A message that has not failed: the administrator is told there is nothing to send again.
    ("admin.outbox_send_again", "POST"): ADMIN_RECORD,

    ("evaluation.dashboard", "GET"): EVALUATION_LIST,
    ("evaluation.window", "GET"): EVALUATION_RECORD,
    ("evaluation.application", "GET"): EVALUATION_RECORD,
    ("evaluation.conflicts", "GET"): EVALUATION_LIST,
    ("evaluation.conflicts", "POST"): EVALUATION_LIST,
    ("evaluation.allocate", "POST"): EVALUATION_ADMIN,
    ("evaluation.scores", "POST"): EVALUATION_RECORD,
    ("evaluation.gates", "POST"): EVALUATION_RECORD,
    ("evaluation.reference", "POST"): EVALUATION_RECORD,
    ("evaluation.clarification", "POST"): EVALUATION_RECORD,
    ("evaluation.moderate", "GET"): EVALUATION_RECORD,
    ("evaluation.moderate", "POST"): EVALUATION_RECORD,
    ("evaluation.publish", "POST"): EVALUATION_ADMIN,
    ("evaluation.tiers", "GET"): EVALUATION_RECORD,
    ("evaluation.report", "GET"): EVALUATION_ADMIN,

    ("buyer.dashboard", "GET"): BUYER_LIST,
    ("buyer.dps", "GET"): BUYER_RECORD,

    ("supplier.dashboard", "GET"): PROVIDER_LIST,
    ("supplier.team", "GET"): PROVIDER_LIST,
    ("supplier.team", "POST"): PROVIDER_LIST,
    # Each provider's own caution page (provider_b has none: its page says so, and sending is refused).
    ("supplier.caution", "GET"): PROVIDER_LIST,
    ("supplier.caution", "POST"): PROVIDER_LIST,
    ("supplier.start_application", "POST"): PROVIDER_LIST,
    ("supplier.application", "GET"): PROVIDER_RECORD,
    ("supplier.application_lots", "GET"): PROVIDER_RECORD,
    ("supplier.application_lots", "POST"): PROVIDER_RECORD,
    ("supplier.application_prices", "GET"): PROVIDER_RECORD,
    ("supplier.application_prices", "POST"): PROVIDER_RECORD,
    ("supplier.application_answers", "GET"): PROVIDER_RECORD,
    ("supplier.application_answers", "POST"): PROVIDER_RECORD,
    ("supplier.application_documents", "GET"): PROVIDER_RECORD,
    ("supplier.application_documents", "POST"): PROVIDER_RECORD,
    ("supplier.application_referees", "GET"): PROVIDER_RECORD,
    ("supplier.application_referees", "POST"): PROVIDER_RECORD,
    ("supplier.remove_referee", "GET"): PROVIDER_RECORD,
    ("supplier.remove_referee", "POST"): PROVIDER_RECORD,
    ("supplier.application_submit", "GET"): PROVIDER_RECORD,
    ("supplier.application_submit", "POST"): PROVIDER_RECORD,
    ("supplier.application_receipt", "GET"): PROVIDER_RECORD,
    ("supplier.clarifications", "GET"): PROVIDER_RECORD,
    ("supplier.clarifications", "POST"): PROVIDER_RECORD,
    # On an application whose window's outcomes are published (see `records`); before that, 404 for
    # its provider too (test_outcome_and_letter_only_after_publication).
    ("supplier.outcome", "GET"): PROVIDER_RECORD,
    ("supplier.letter", "GET"): PROVIDER_RECORD,
}


def app_routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


# The routes of referrals, bids, awards and off-framework placements are checked by matrices of their own,
# each with records in the states its routes need; every module here must define EXPECTED the same way.
OTHER_MATRICES = (
    "tests.buyer.test_referral_access",
    "tests.supplier.test_bid_access",
    "tests.buyer.test_award_access",
    "tests.buyer.test_off_framework_access",
    "tests.buyer.test_staff_access",
    "tests.buyer.test_approval_access",
    "tests.life.test_life_access",
    "tests.portal.test_kpi_access",
    "tests.buyer.test_market_access",
    "tests.buyer.test_agreement_access",
    "tests.buyer.test_contract_access",
    "tests.annual.test_annual_access",
    "tests.buyer.test_compliance_access",
    "tests.supplier.test_settings_access",
    "tests.buyer.test_ladder_access",
)


def all_expected() -> dict:
    expected = dict(EXPECTED)
    for name in OTHER_MATRICES:
        module = importlib.import_module(name)
        overlap = set(expected) & set(module.EXPECTED)
        assert not overlap, f"{name} repeats routes of another matrix: {sorted(overlap)}"
        expected.update(module.EXPECTED)
    return expected


def test_every_route_is_in_the_matrix(app):
    routes = app_routes(app)
    expected_routes = all_expected()
    missing = sorted(routes - set(expected_routes))
    stale = sorted(set(expected_routes) - routes)
    assert not missing, f"Routes with no access expectations: add them to EXPECTED: {missing}"
    assert not stale, f"EXPECTED lists routes the app no longer has: {stale}"
    for key, expected in expected_routes.items():
        assert set(expected) == set(ROLES), key


def published_application(world, clock):
    """provider_a's application to a second DPS of the lead, evaluated and its window's outcomes published."""
    now = clock.now()
    dps = build_dps(world.admin, clock, reference="PUBLISHED")
    window = windows.schedule_window(dps, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=14),
                                     now=now, actor=world.admin)
    db.session.commit()
    application = complete_application(world.provider_a, window, clock, submit=True)
    windows.close_early(world.admin, window, reason="Closed for the access tests", now=now)
    evaluate(application, [world.admin, world.evaluator], clock)
    outcomes.publish(world.admin, window, now)
    return application


@pytest.fixture
def records(world, clock):
    """Real ids for every URL parameter, all belonging to provider_a or the lead authority."""
    now = clock.now()
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    # Allocated to the lead's two evaluators (the administrator is one), with a question to the provider.
    evaluations.allocate(world.admin, application, [world.admin.id, world.evaluator.id], now)
    clarification = evaluations.ask_clarification(world.evaluator, application, "Which homes do you run?", now)
    published = published_application(world, clock)
    # provider_a is placed with caution on a lot of the lead's DPS, and has sent evidence about it.
    admit(world.provider_a, world.lots[2], caution=True, clock=clock)
    evidence = cautions.send_evidence(world.provider_a, note="A new reference", filename="reference.pdf", data=PDF,
                                      now=now)
    accounts.request_password_reset(world.colleague_a.email, now)
    reset_message = db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.to_address == world.colleague_a.email, OutboxMessage.subject.like("Reset%"))).one()
    reset_token = re.search(r"/reset-password/(\S+)", reset_message.body).group(1)
    invitation_token = accounts.invite(world.admin, world.lead, "newcomer@lead.example.org", {EVALUATOR}, now)
    notification = db.session.scalars(db.select(Notification).where(
        Notification.user_id == world.provider_a.id)).first()
    assert notification is not None
    # A member authority added before areas were data, its area still to be confirmed.
    unconfirmed = Organisation(name="Unconfirmed Council", kind=AUTHORITY, created_at=now)
    db.session.add(DpsMember(dps=world.dps, authority=unconfirmed, joined_on=now.date()))
    db.session.commit()
    return {
        "member_id": world.dps.members[0].id,
        "authority_id": unconfirmed.id,
        "application_id": application.id,
        "published_application_id": published.id,
        "clarification_id": clarification.id,
        "document_id": application.documents[0].id,
        "evidence_id": evidence.id,
        "referee_id": application.referees[0].id,
        "window_id": world.window.id,
        "dps_id": world.dps.id,
        "lot_id": world.lots[0].id,
        "question_id": world.window.question_set.questions[0].id,
        "user_id": world.lead_officer.id,
        "provider_id": world.provider_a.organisation_id,
        "notification_id": notification.id,
        "message_id": reset_message.id,
        "reset_token": reset_token,
        "invitation_token": invitation_token,
    }


def url_of(app, endpoint: str, records: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    values = {}
    for argument in rule.arguments:
        if argument == "token":
            values["token"] = records["reset_token" if endpoint == "auth.reset_password" else "invitation_token"]
        elif argument == "application_id" and endpoint in PUBLISHED_ENDPOINTS:
            values[argument] = records["published_application_id"]
        else:
            values[argument] = records[argument]
    return url_for(endpoint, **values)


# Pages shown only once the window's outcomes are published: reached with the published application.
PUBLISHED_ENDPOINTS = {"supplier.outcome", "supplier.letter"}

# The data posted by an allowed role: never destructive (user_active re-confirms the user is active; the
# evaluation forms are sent without the evidence or answer they need, and refuse with 400). A callable
# is given the records. With no data at all, the gate and the clarification answer would be 404: no
# such gate, no such question.
POST_DATA = {
    "admin.user_active": {"active": "yes"},
    "evaluation.gates": {"gate": "documents"},
    "supplier.clarifications": lambda records: {"clarification_id": records["clarification_id"]},
}


def post_data(endpoint: str, records: dict) -> dict:
    data = POST_DATA.get(endpoint, {})
    return data(records) if callable(data) else data


def outcome(response, method: str, signed_in: bool) -> str | int:
    location = urlparse(response.headers.get("Location", "")).path
    if response.status_code == 302 and location == "/sign-in" and not signed_in:
        return LOGIN
    if response.status_code in (403, 404):
        return response.status_code
    allowed = (200, 302) if method == "GET" else (200, 302, 400)
    if response.status_code in allowed:
        return OK
    return response.status_code


def matrix_mismatches(app, expected: dict, users: dict, sign_in, url_of_endpoint, data_of_endpoint) -> list[str]:
    """Open every (endpoint, method) of `expected` as every role of `users` (role -> User or None) and list
    where what happened differs from what was expected. Other matrix modules use this too."""
    clients = {role: (sign_in(user) if user else app.test_client()) for role, user in users.items()}
    mismatches = []
    for (endpoint, method), expected_by_role in sorted(expected.items()):
        url = url_of_endpoint(endpoint)
        for role in ROLES:
            client = clients[role]
            if endpoint == "auth.sign_out" and users[role] is not None:
                client = sign_in(users[role])  # signing out ends that client's session
            response = client.open(url, method=method, data=data_of_endpoint(endpoint))
            got = outcome(response, method, signed_in=users[role] is not None)
            if endpoint == "auth.sign_out" and response.status_code == 302:
                got = OK
            if got != expected_by_role[role]:
                mismatches.append(f"{method} {url} as {role}: expected {expected_by_role[role]}, got {got} "
                                  f"({response.status_code} {response.headers.get('Location', '')})")
    return mismatches


def matrix_users(world) -> dict:
    return {"anonymous": None, "provider": world.provider_a, "other_provider": world.provider_b,
            "officer": world.member_officer, "evaluator": world.evaluator, "admin": world.admin,
            "outsider": world.outside_admin}


def test_access_matrix(app, world, records, sign_in):
    # provider_b has its own application, so its start_application POST resumes that one.
    applications.start(world.provider_b, world.window, app.extensions["clock"].now())
    mismatches = matrix_mismatches(app, EXPECTED, matrix_users(world), sign_in,
                                   lambda endpoint: url_of(app, endpoint, records),
                                   lambda endpoint: post_data(endpoint, records))
    assert not mismatches, "\n".join(mismatches)


def test_sign_in_redirect_keeps_the_page_asked_for(app, world, records):
    client = app.test_client()
    url = url_for("supplier.application", application_id=records["application_id"])
    response = client.get(url)
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == "/sign-in"
    assert "next=" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "Sign in to see this page" in page.get_data(as_text=True)


def test_another_organisations_draft_is_hidden_from_everyone_else(app, world, clock, sign_in):
    """A draft and its documents: its own provider (any colleague) only; not even the lead's evaluators."""
    now = clock.now()
    draft = applications.start(world.provider_b, world.window, now)
    document = applications.upload_document(world.provider_b, draft, kind="statement_of_purpose",
                                            filename="sop.pdf", data=PDF, expires_on=None, now=now)
    draft_id, document_id = draft.id, document.id
    evaluation_page = f"/evaluation/applications/{draft_id}"
    download = f"/documents/{document_id}"
    for user in (world.evaluator, world.admin, world.outside_admin, world.member_officer, world.lead_officer):
        client = sign_in(user)
        assert client.get(evaluation_page).status_code in (403, 404), user.email
        assert client.get(download).status_code == 404, user.email
    for user in (world.provider_a, world.colleague_a):
        client = sign_in(user)
        assert client.get(download).status_code == 404
        for section in ("", "/lots", "/prices", "/answers", "/documents", "/referees", "/submit", "/receipt"):
            assert client.get(f"/provider/applications/{draft_id}{section}").status_code == 404, section
        for section in ("/lots", "/prices", "/answers", "/documents", "/referees", "/submit"):
            assert client.post(f"/provider/applications/{draft_id}{section}",
                               data={"lots": [world.lots[0].id]}).status_code == 404, section
    owner = sign_in(world.provider_b)
    assert owner.get(download).status_code == 200
    assert owner.get(f"/provider/applications/{draft_id}").status_code == 200
    db.session.expire_all()
    assert [al.lot_id for al in db.session.get(type(draft), draft_id).lots] == []


def test_colleague_of_the_same_provider_shares_the_application(app, world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    client = sign_in(world.colleague_a)
    assert client.get(f"/provider/applications/{application.id}").status_code == 200
    assert client.get(f"/documents/{application.documents[0].id}").status_code == 200


def test_lead_authority_officer_sees_buyer_pages_but_not_evaluation(app, world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    client = sign_in(world.lead_officer)
    assert client.get(f"/authority/dps/{world.dps.id}").status_code == 200
    assert client.get(f"/evaluation/applications/{application.id}").status_code == 403
    assert client.get(f"/documents/{application.documents[0].id}").status_code == 404


def test_evaluator_loses_access_when_signed_out_by_expiry(app, world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    client = sign_in(world.evaluator)
    assert client.get(f"/evaluation/applications/{application.id}").status_code == 200
    clock.advance(minutes=int(app.config["PERMANENT_SESSION_LIFETIME"] / timedelta(minutes=1)) + 1)
    response = client.get(f"/evaluation/applications/{application.id}")
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == "/sign-in"


def test_outcome_and_letter_only_after_publication(app, world, clock, sign_in):
    """Moderated is not published: until the administrator publishes, the provider sees no outcome."""
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    clock.set(world.window.closes_at + timedelta(days=1))
    evaluate(application, [world.admin, world.evaluator], clock)
    pages = [url_for("supplier.outcome", application_id=application.id),
             url_for("supplier.letter", application_id=application.id)]
    owner, colleague, other = sign_in(world.provider_a), sign_in(world.colleague_a), sign_in(world.provider_b)
    for client in (owner, colleague, other):
        for page in pages:
            assert client.get(page).status_code == 404, page
    outcomes.publish(world.admin, world.window, clock.now())
    for client in (owner, colleague):
        for page in pages:
            assert client.get(page).status_code == 200, page
    for page in pages:
        assert other.get(page).status_code == 404, page
