"""Signing in and out, registering, resetting a password, accepting an invitation, session expiry,
security headers and CSRF, through the pages."""

import html
import io
import re
from datetime import timedelta
from urllib.parse import urlparse

from portal.extensions import db
from portal.models import Application, AuditEvent, Document, Organisation, OutboxMessage, User
from portal.models.user import COMMISSIONING_OFFICER, EVALUATOR
from portal.services import accounts, applications
from tests.factories import PASSWORD, PDF, complete_application

NEW_PASSWORD = "a brand new long passphrase"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def path_of(location: str) -> str:
    return urlparse(location).path


def fresh_user(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def sign_in_form(client, email, password, **query):
    return client.post("/sign-in", data={"email": email, "password": password}, query_string=query)


# Signing in --------------------------------------------------------------------------------------

def test_wrong_password_shows_a_message_and_does_not_sign_in(app, world):
    client = app.test_client()
    response = sign_in_form(client, world.provider_a.email, "not the password")
    assert response.status_code == 200
    assert "Enter a correct e-mail address and password" in text_of(response)
    assert path_of(client.get("/provider/").headers["Location"]) == "/sign-in"
    # An unknown address gets the same message, so addresses cannot be probed.
    response = sign_in_form(client, "nobody@example.org", "not the password")
    assert "Enter a correct e-mail address and password" in text_of(response)


def test_empty_sign_in_form_shows_field_errors(app, world):
    response = app.test_client().post("/sign-in", data={})
    page = text_of(response)
    assert "Enter your e-mail address" in page and "Enter your password" in page


def test_account_locks_after_five_failures(app, world, clock):
    client = app.test_client()
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        response = sign_in_form(client, world.provider_a.email, "wrong password")
        assert "Enter a correct e-mail address and password" in text_of(response)
    # Now even the right password is refused, with a message saying why and until when.
    response = sign_in_form(client, world.provider_a.email, PASSWORD)
    assert response.status_code == 200
    page = text_of(response)
    assert "This account is locked after too many failed sign-ins" in page
    assert "or reset your password" in page
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "user.locked")) == 1

    clock.advance(minutes=app.config["LOCKOUT_MINUTES"] + 1)
    response = sign_in_form(client, world.provider_a.email, PASSWORD)
    assert response.status_code == 302
    assert path_of(response.headers["Location"]) == "/provider/"


def test_the_lock_out_looks_the_same_for_an_address_without_an_account(app, world, clock):
    """Otherwise anyone could find out who has an account by getting an address locked."""
    pages = {}
    for email in (world.provider_a.email, "nobody@provider.example.org"):
        client = app.test_client()
        for _ in range(app.config["LOCKOUT_THRESHOLD"]):
            assert "Enter a correct e-mail address and password" in text_of(sign_in_form(client, email, "a guess"))
        response = sign_in_form(client, email, PASSWORD)
        assert response.status_code == 200
        summary = re.search(r'<div class="govuk-error-summary".*?</div>\s*</div>', text_of(response), re.S)
        pages[email] = summary.group(0)
    known, unknown = pages.values()
    assert "This account is locked after too many failed sign-ins. Try again after 2 November 2026 at 10:15am" in known
    assert unknown == known

    clock.advance(minutes=app.config["LOCKOUT_MINUTES"])
    assert sign_in_form(app.test_client(), world.provider_a.email, PASSWORD).status_code == 302
    assert "Enter a correct e-mail address and password" in text_of(
        sign_in_form(app.test_client(), "nobody@provider.example.org", PASSWORD))


def test_sign_in_goes_to_the_page_asked_for_but_never_off_site(app, world):
    response = sign_in_form(app.test_client(), world.admin.email, PASSWORD, next="/admin/users")
    assert path_of(response.headers["Location"]) == "/admin/users"
    for target in ("//evil.example.com/x", "https://evil.example.com/", "/\\evil.example.com"):
        response = sign_in_form(app.test_client(), world.admin.email, PASSWORD, next=target)
        assert response.headers["Location"] == "/admin/", target


def test_sign_in_never_follows_a_next_with_spaces_or_control_characters(app, world):
    # Browsers drop tabs and line breaks from a link, so "/<tab>/evil.example.com" would be "//evil.example.com".
    for target in ("/\t/evil.example.com", "/\n/evil.example.com", "/ /evil.example.com", "/\x00/x",
                   "/admin\\..\\evil", "evil.example.com", ""):
        response = sign_in_form(app.test_client(), world.admin.email, PASSWORD, next=target)
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin/", repr(target)
    # Percent-encoded in the address, as a link would carry it.
    response = app.test_client().post("/sign-in?next=/%09/evil.example.com",
                                      data={"email": world.admin.email, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/"


def test_deactivated_account_cannot_sign_in(app, world, clock):
    accounts.set_active(world.admin, world.lead_officer, False, clock.now())
    response = sign_in_form(app.test_client(), world.lead_officer.email, PASSWORD)
    assert response.status_code == 200
    assert "This account has been deactivated" in text_of(response)


# Registering -------------------------------------------------------------------------------------

REGISTRATION = {
    "organisation_name": "Gamma Futures", "ofsted_urn": "", "registered_office": "2 Mill Lane, Leeds",
    "postcode": "ls1 4ap", "local_authority_area": "E08000035", "telephone": "0113 496 0000",
    "user_name": "Gail Gamma", "email": "Gail@Gamma.example.org", "password": "long enough passphrase",
}


def test_registering_a_provider_signs_in_and_opens_the_dashboard(app, world):
    client = app.test_client()
    response = client.post("/register", data=REGISTRATION)
    assert response.status_code == 302
    assert path_of(response.headers["Location"]) == "/provider/"
    dashboard = client.get("/provider/")
    assert dashboard.status_code == 200
    assert "Gamma Futures is registered" in text_of(dashboard)
    db.session.expire_all()
    user = db.session.scalar(db.select(User).where(User.email == "gail@gamma.example.org"))
    assert user is not None and user.organisation.name == "Gamma Futures"
    assert user.organisation.postcode == "LS1 4AP"


def test_registering_with_an_email_already_used_shows_the_error_on_the_field(app, world):
    organisations = db.session.scalar(db.select(db.func.count(Organisation.id)))
    response = app.test_client().post("/register", data={**REGISTRATION, "email": world.provider_a.email.upper()})
    assert response.status_code == 200
    page = text_of(response)
    message = "An account already exists for this e-mail address. Sign in, or reset your password."
    assert re.search(r'<p id="email-error" class="govuk-error-message">\s*<span[^>]*>Error:</span> '
                     + re.escape(message), page), page
    assert f'href="#email">{message}' in page  # and in the summary, linked to the field
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == organisations


def test_registering_with_a_short_password_or_bad_urn_is_refused(app, world):
    client = app.test_client()
    page = text_of(client.post("/register", data={**REGISTRATION, "password": "short"}))
    assert f"Password must be at least {accounts.MIN_PASSWORD_LENGTH} characters" in page
    page = text_of(client.post("/register", data={**REGISTRATION, "ofsted_urn": "ABC"}))
    assert "Enter the Ofsted URN as shown on your registration" in page
    page = text_of(client.post("/register", data={**REGISTRATION, "ofsted_urn": "SC123456"}))
    assert "A provider with this Ofsted URN is already registered" in page
    assert db.session.scalar(db.select(User).where(User.email == "gail@gamma.example.org")) is None


# Password resets ---------------------------------------------------------------------------------

def reset_link(email: str) -> str:
    db.session.expire_all()
    message = db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.to_address == email, OutboxMessage.subject.like("Reset your password%"))
        .order_by(OutboxMessage.id.desc())).first()
    assert message is not None
    return re.search(r"http://portal\.test(/reset-password/\S+)", message.body).group(1)


def test_forgot_password_sends_a_link_that_resets_the_password_and_signs_out_old_sessions(app, world, sign_in):
    old_session = sign_in(world.provider_a)
    assert old_session.get("/provider/").status_code == 200

    client = app.test_client()
    response = client.post("/forgot-password", data={"email": world.provider_a.email})
    assert response.status_code == 200
    assert f"If {world.provider_a.email} has an account, we have sent it a link" in text_of(response)
    link = reset_link(world.provider_a.email)

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert path_of(response.headers["Location"]) == "/sign-in"
    assert "Your password has been changed" in text_of(client.get("/sign-in"))

    assert path_of(old_session.get("/provider/").headers["Location"]) == "/sign-in"
    assert "Enter a correct e-mail address and password" in text_of(
        sign_in_form(app.test_client(), world.provider_a.email, PASSWORD))
    assert sign_in_form(app.test_client(), world.provider_a.email, NEW_PASSWORD).status_code == 302

    # The link works once.
    response = client.get(link)
    assert response.status_code == 400
    assert "This password reset link has already been used" in text_of(response)


def test_forgot_password_for_an_unknown_address_says_the_same_and_sends_nothing(app, world):
    before = db.session.scalar(db.select(db.func.count(OutboxMessage.id)))
    response = app.test_client().post("/forgot-password", data={"email": "nobody@example.org"})
    assert "If nobody@example.org has an account" in text_of(response)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == before


def test_an_expired_reset_link_shows_the_problem_page(app, world, clock):
    app.test_client().post("/forgot-password", data={"email": world.provider_a.email})
    link = reset_link(world.provider_a.email)
    clock.advance(minutes=app.config["PASSWORD_RESET_MINUTES"] + 1)
    client = app.test_client()
    for response in (client.get(link), client.post(link, data={"password": NEW_PASSWORD})):
        assert response.status_code == 400
        page = text_of(response)
        assert "There is a problem with this link" in page
        assert "This password reset link has expired. Ask for a new one." in page
    assert accounts.sign_in_record(world.provider_a.email) is None
    assert sign_in_form(app.test_client(), world.provider_a.email, PASSWORD).status_code == 302


def test_a_tampered_reset_link_shows_the_problem_page(app, world):
    response = app.test_client().get("/reset-password/not-a-real-token")
    assert response.status_code == 400
    assert "This password reset link is not valid" in text_of(response)


def test_a_too_short_new_password_is_refused(app, world):
    app.test_client().post("/forgot-password", data={"email": world.provider_a.email})
    link = reset_link(world.provider_a.email)
    response = app.test_client().post(link, data={"password": "short"})
    assert f"Password must be at least {accounts.MIN_PASSWORD_LENGTH} characters" in text_of(response)
    assert sign_in_form(app.test_client(), world.provider_a.email, PASSWORD).status_code == 302


# Invitations -------------------------------------------------------------------------------------

def test_accepting_an_invitation_creates_the_account_with_its_roles(app, world, clock):
    token = accounts.invite(world.admin, world.lead, "New.Evaluator@lead.example.org", {EVALUATOR}, clock.now())
    client = app.test_client()
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200
    response = client.post(f"/invitations/{token}", data={"name": "Nia New", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert path_of(response.headers["Location"]) == "/evaluation/"
    assert "Welcome to the placements portal, Nia New" in text_of(client.get("/evaluation/"))
    user = accounts.find_user("new.evaluator@lead.example.org")
    assert user.organisation_id == world.lead.id and user.roles == {EVALUATOR}

    again = app.test_client().get(f"/invitations/{token}")
    assert again.status_code == 400
    assert "This invitation has already been used" in text_of(again)


def test_an_expired_invitation_shows_the_problem_page(app, world, clock):
    token = accounts.invite(world.admin, world.member, "late@member.example.org", {COMMISSIONING_OFFICER},
                            clock.now())
    clock.advance(days=app.config["INVITATION_DAYS"], minutes=1)
    response = app.test_client().post(f"/invitations/{token}", data={"name": "Late", "password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "This invitation has expired" in text_of(response)
    assert accounts.find_user("late@member.example.org") is None


# Signing out and session expiry ------------------------------------------------------------------

def test_sign_out_is_post_only(app, world, sign_in):
    client = sign_in(world.provider_a)
    assert client.get("/sign-out").status_code == 405
    assert client.get("/provider/").status_code == 200  # still signed in
    response = client.post("/sign-out")
    assert response.status_code == 302
    assert "You have signed out" in text_of(client.get(response.headers["Location"]))
    assert path_of(client.get("/provider/").headers["Location"]) == "/sign-in"


def test_an_idle_session_expires(app, world, clock, sign_in):
    client = sign_in(world.provider_a)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    clock.advance(seconds=lifetime.total_seconds() - 60)
    assert client.get("/provider/").status_code == 200  # activity keeps the session alive
    clock.advance(seconds=lifetime.total_seconds() - 60)
    assert client.get("/provider/").status_code == 200
    clock.advance(seconds=lifetime.total_seconds() + 1)
    response = client.get("/provider/team")
    assert response.status_code == 302
    assert path_of(response.headers["Location"]) == "/sign-in"
    assert "next=" in response.headers["Location"]
    page = text_of(client.get(response.headers["Location"]))
    assert "You were signed out because you had not used the portal for a while. Sign in again." in page
    assert path_of(client.get("/provider/").headers["Location"]) == "/sign-in"


# Security headers --------------------------------------------------------------------------------

def test_security_headers_on_every_kind_of_page(app, world, sign_in):
    anonymous = app.test_client()
    signed_in = sign_in(world.provider_a)
    for client, path in ((anonymous, "/sign-in"), (anonymous, "/no-such-page"), (signed_in, "/provider/"),
                         (signed_in, "/admin/")):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert signed_in.get("/provider/").headers["Cache-Control"] == "no-store"


def test_script_nonce_changes_per_response(app, world):
    client = app.test_client()
    nonces = {re.search(r"'nonce-([^']+)'", client.get("/sign-in").headers["Content-Security-Policy"]).group(1)
              for _ in range(2)}
    assert len(nonces) == 2


# CSRF --------------------------------------------------------------------------------------------

def csrf_token_of(response) -> str:
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no csrf_token on the page"
    return match.group(1)


def csrf_sign_in(csrf_app, user):
    client = csrf_app.test_client()
    token = csrf_token_of(client.get("/sign-in"))
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def assert_form_not_sent(response):
    assert response.status_code == 400
    page = text_of(response)
    assert "Your form was not sent" in page
    assert "nothing was saved" in page


def test_sign_in_without_a_csrf_token_is_refused(csrf_app, world):
    client = csrf_app.test_client()
    response = client.post("/sign-in", data={"email": world.provider_a.email, "password": PASSWORD})
    assert_form_not_sent(response)
    assert path_of(client.get("/provider/").headers["Location"]) == "/sign-in"
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action.in_(["user.sign_in", "user.sign_in_failed"]))) == 0
    assert fresh_user(world.provider_a.id).last_sign_in_at is None


def test_csrf_token_from_the_form_is_accepted(csrf_app, world):
    client = csrf_sign_in(csrf_app, world.provider_a)
    assert client.get("/provider/").status_code == 200


def test_submitting_an_application_without_a_csrf_token_is_refused(csrf_app, world, clock):
    application = complete_application(world.provider_a, world.window, clock)
    client = csrf_sign_in(csrf_app, world.provider_a)
    response = client.post(f"/provider/applications/{application.id}/submit")
    assert_form_not_sent(response)
    response = client.post(f"/provider/applications/{application.id}/submit", data={"csrf_token": "forged"})
    assert_form_not_sent(response)
    db.session.expire_all()
    kept = db.session.get(Application, application.id)
    assert kept.status == "draft" and kept.submitted_at is None
    # With the token from the page, the same POST works.
    token = csrf_token_of(client.get(f"/provider/applications/{application.id}/submit"))
    response = client.post(f"/provider/applications/{application.id}/submit", data={"csrf_token": token})
    assert response.status_code == 302


def test_uploading_without_a_csrf_token_is_refused(csrf_app, world, clock):
    application = applications.start(world.provider_a, world.window, clock.now())
    client = csrf_sign_in(csrf_app, world.provider_a)
    response = client.post(f"/provider/applications/{application.id}/documents", content_type="multipart/form-data",
                           data={"kind": "statement_of_purpose", "file": (io.BytesIO(PDF), "sop.pdf"),
                                 "expires_on": ["", "", ""]})
    assert_form_not_sent(response)
    db.session.expire_all()
    assert db.session.scalars(db.select(Document).where(Document.application_id == application.id)).all() == []


def test_signing_out_without_a_csrf_token_is_refused(csrf_app, world):
    client = csrf_sign_in(csrf_app, world.provider_a)
    assert_form_not_sent(client.post("/sign-out"))
    assert client.get("/provider/").status_code == 200


def test_session_lifetime_setting_is_reasonable(app):
    assert timedelta(minutes=15) <= app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=12)
