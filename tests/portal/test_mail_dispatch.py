"""The outbox's dispatcher against a fake mail server: each message sent once even with two schedulers at once,
a failed attempt tried again after a growing wait, and given up as failed with the reason after the last, for an
administrator to send again from the outbox page."""

import re
import smtplib
import threading
import time
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEvent, OutboxMessage
from portal.services import accounts, applications, mail
from tests.conftest import make_app
from tests.portal.test_auth_routes import assert_form_not_sent, csrf_sign_in, csrf_token_of


class FakeSmtp:
    """Stands in for smtplib.SMTP: records what it is given to send, refuses the addresses in `refused`, and
    cannot be reached at all while `unreachable` is set."""

    sent: list[tuple[str, str]] = []
    refused: set[str] = set()
    unreachable = False
    disconnect_after: int | None = None  # messages sent before the server drops the connection
    pause = 0.0
    lock = threading.Lock()

    def __init__(self, host, port, timeout=None):
        if FakeSmtp.unreachable:
            raise ConnectionRefusedError("Connection refused")

    def starttls(self):
        pass

    def login(self, username, password):
        pass

    def send_message(self, email):
        if FakeSmtp.disconnect_after is not None and len(FakeSmtp.sent) >= FakeSmtp.disconnect_after:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        if email["To"] in FakeSmtp.refused:
            raise smtplib.SMTPRecipientsRefused({email["To"]: (450, b"Mailbox busy")})
        time.sleep(FakeSmtp.pause)
        with FakeSmtp.lock:
            FakeSmtp.sent.append((email["To"], email["Subject"]))

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.fixture(autouse=True)
def fake_smtp(app, monkeypatch):
    FakeSmtp.sent, FakeSmtp.refused, FakeSmtp.unreachable, FakeSmtp.pause = [], set(), False, 0.0
    FakeSmtp.disconnect_after = None
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSmtp)
    app.config["MAIL_SERVER"] = "smtp.test"
    return FakeSmtp


def write(count: int, clock, to="someone@example.org") -> list[int]:
    for number in range(count):
        mail.email_address(to, subject=f"Message {number}", body="Hello", at=clock.now())
    db.session.commit()
    return db.session.scalars(db.select(OutboxMessage.id).order_by(OutboxMessage.id)).all()


def reload(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_due_messages_are_sent_once_and_marked_sent(app, clock):
    ids = write(3, clock)
    assert mail.dispatch_outbox(clock.now()) == 3
    assert mail.dispatch_outbox(clock.now()) == 0
    assert sorted(subject for _to, subject in FakeSmtp.sent) == ["Message 0", "Message 1", "Message 2"]
    message = reload(ids[0])
    assert message.sent_at == clock.now() and message.attempts == 1 and message.claimed_by is None


def test_a_run_sends_a_few_batches_and_leaves_the_rest_to_the_next(app, clock):
    write(25, clock)
    assert mail.dispatch_outbox(clock.now(), limit=10, batches=2) == 20
    assert mail.dispatch_outbox(clock.now(), limit=10, batches=2) == 5
    assert len(FakeSmtp.sent) == 25


def test_a_refused_message_waits_longer_after_each_attempt_then_fails_with_the_reason(app, clock):
    [message_id] = write(1, clock, to="busy@example.org")
    FakeSmtp.refused = {"busy@example.org"}
    waits = []
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        assert mail.dispatch_outbox(clock.now()) == 0
        message = reload(message_id)
        assert message.attempts == attempt and "Mailbox busy" in message.last_error
        if attempt < mail.MAX_ATTEMPTS:
            waits.append(message.next_attempt_at - clock.now())
            clock.advance(seconds=waits[-1].total_seconds() - 1)
            mail.dispatch_outbox(clock.now())  # a second early: not tried
            assert reload(message_id).attempts == attempt
            clock.advance(seconds=1)
    assert waits == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40)]
    message = reload(message_id)
    assert message.failed_at == clock.now() and message.sent_at is None and message.next_attempt_at is None
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "mail.failed"))
    assert event.summary.startswith("E-mail to busy@example.org failed after 5 attempts")

    FakeSmtp.refused = set()
    clock.advance(days=1)
    assert mail.dispatch_outbox(clock.now()) == 0  # given up: only an administrator sends it again
    assert FakeSmtp.sent == []


def test_an_unreachable_mail_server_costs_the_messages_no_attempt_however_long_it_is_down(app, clock):
    ids = write(2, clock)
    FakeSmtp.unreachable = True
    for _minute in range(mail.MAX_ATTEMPTS * 30):  # a two-and-a-half-hour outage, one run a minute
        assert mail.dispatch_outbox(clock.now()) == 0
        clock.advance(minutes=1)
    for message_id in ids:
        message = reload(message_id)
        assert message.attempts == 0 and message.failed_at is None and message.claimed_by is None
        assert message.last_error.startswith("Could not reach the mail server")
    FakeSmtp.unreachable = False
    assert mail.dispatch_outbox(clock.now()) == 2


def test_a_dropped_connection_gives_the_rest_of_the_batch_back_unharmed(app, clock):
    ids = write(3, clock)
    FakeSmtp.disconnect_after = 1
    assert mail.dispatch_outbox(clock.now()) == 1
    assert [reload(message_id).attempts for message_id in ids] == [1, 0, 0]
    assert "closed the connection" in reload(ids[1]).last_error and reload(ids[1]).claimed_by is None
    FakeSmtp.disconnect_after = None
    assert mail.dispatch_outbox(clock.now()) == 2
    assert len(FakeSmtp.sent) == 3


def test_the_reason_kept_is_what_the_server_said_in_words(app, clock):
    [message_id] = write(1, clock, to="busy@example.org")
    FakeSmtp.refused = {"busy@example.org"}
    mail.dispatch_outbox(clock.now())
    assert reload(message_id).last_error == "busy@example.org: 450 Mailbox busy"


def test_a_message_another_dispatcher_has_claimed_is_left_to_it_until_the_claim_expires(app, clock):
    [message_id] = write(1, clock)
    message = reload(message_id)
    message.claimed_by, message.claimed_at = "the other scheduler", clock.now()
    db.session.commit()
    assert mail.dispatch_outbox(clock.now()) == 0
    clock.advance(seconds=mail.CLAIM_EXPIRES.total_seconds() - 1)
    assert mail.dispatch_outbox(clock.now()) == 0
    clock.advance(seconds=2)  # the other scheduler stopped without sending it
    assert mail.dispatch_outbox(clock.now()) == 1
    assert len(FakeSmtp.sent) == 1


def test_two_schedulers_dispatching_at_once_send_each_message_exactly_once(app, database_url, clock, tmp_path):
    write(60, clock)
    FakeSmtp.pause = 0.002
    totals, failures = [], []

    def scheduler(number):
        other = make_app(database_url, clock, tmp_path / f"uploads{number}", MAIL_SERVER="smtp.test")
        try:
            with other.app_context():
                sent = 0
                for _ in range(10):
                    sent += mail.dispatch_outbox(clock.now(), limit=7)
                totals.append(sent)
                db.session.remove()
                db.engine.dispose()
        except Exception as error:  # reported below: an exception in a thread would pass unseen
            failures.append(error)

    threads = [threading.Thread(target=scheduler, args=(number,)) for number in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    subjects = [subject for _to, subject in FakeSmtp.sent]
    assert sorted(subjects) == sorted(f"Message {number}" for number in range(60))  # each once, none twice
    assert sum(totals) == 60
    assert db.session.scalar(db.select(db.func.count()).where(OutboxMessage.sent_at.is_(None))) == 0


# The outbox page -----------------------------------------------------------------------------------------------

def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _failed_reset(world, clock) -> int:
    """A password-reset e-mail to a provider of the lead's DPS that the mail server refused every time."""
    applications.start(world.provider_a, world.window, clock.now())
    accounts.request_password_reset(world.provider_a.email, clock.now())
    [message_id] = db.session.scalars(db.select(OutboxMessage.id).where(
        OutboxMessage.to_address == world.provider_a.email, OutboxMessage.subject.like("Reset your password%")))
    FakeSmtp.refused = {world.provider_a.email}
    for _attempt in range(mail.MAX_ATTEMPTS):
        mail.dispatch_outbox(clock.now())
        clock.advance(hours=1)
    return message_id


def test_the_outbox_shows_a_retrying_message_with_its_next_attempt(world, sign_in, clock):
    accounts.request_password_reset(world.member_officer.email, clock.now())
    FakeSmtp.refused = {world.member_officer.email}
    mail.dispatch_outbox(clock.now())
    page = text_of(sign_in(world.admin).get("/admin/outbox"))
    assert "Retrying" in page and "Attempt 1 of 5 failed" in page and "Mailbox busy" in page
    assert "Send again" not in page


def test_an_administrator_sends_a_failed_message_again_and_it_goes(world, sign_in, clock):
    message_id = _failed_reset(world, clock)
    admin = sign_in(world.admin)
    page = text_of(admin.get("/admin/outbox?q=alpha&endpoint=x&message_id=1"))  # unknown arguments are dropped
    assert "Failed" in page and "gave up after 5 attempts" in page and "Mailbox busy" in page
    assert f'action="/admin/outbox/{message_id}/send-again?q=alpha"' in page
    failed_before = page.count("gave up")  # the reset, and the window's opening sent to Alpha

    response = admin.post(f"/admin/outbox/{message_id}/send-again?q=alpha")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/outbox?q=alpha"
    page = text_of(admin.get("/admin/outbox?q=alpha"))
    assert f"The e-mail to {world.provider_a.email} will be sent again" in page
    assert page.count("gave up") == failed_before - 1
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "mail.sent_again"))
    assert event.actor_id == world.admin.id and event.entity_id == message_id
    assert "E-mail sent again" in text_of(admin.get("/admin/audit"))

    FakeSmtp.refused = set()
    assert mail.dispatch_outbox(clock.now()) == 1
    message = reload(message_id)
    assert message.sent_at == clock.now() and message.attempts == 1 and message.failed_at is None
    # Sent: nothing to send again.
    response = admin.post(f"/admin/outbox/{message_id}/send-again", follow_redirects=True)
    assert "Only an e-mail that failed can be sent again" in text_of(response)
    assert [subject for to, subject in FakeSmtp.sent if to == world.provider_a.email] == [message.subject]


def test_only_the_consortiums_administrators_may_send_its_mail_again(world, sign_in, clock):
    message_id = _failed_reset(world, clock)
    for user in (world.outside_admin, world.member_officer, world.provider_a):
        response = sign_in(user).post(f"/admin/outbox/{message_id}/send-again")
        assert response.status_code in (403, 404), user.email
    assert reload(message_id).failed_at is not None
    assert sign_in(world.admin).post("/admin/outbox/999999/send-again").status_code == 404


def test_sending_again_needs_the_forms_csrf_token(csrf_app, world, clock, fake_smtp):
    csrf_app.config["MAIL_SERVER"] = "smtp.test"
    message_id = _failed_reset(world, clock)
    client = csrf_sign_in(csrf_app, world.admin)
    assert_form_not_sent(client.post(f"/admin/outbox/{message_id}/send-again"))
    assert reload(message_id).failed_at is not None
    token = csrf_token_of(client.get("/admin/outbox"))
    assert client.post(f"/admin/outbox/{message_id}/send-again", data={"csrf_token": token}).status_code == 302
    assert reload(message_id).failed_at is None


def test_a_live_portal_shows_only_the_mail_not_sent_without_its_text_and_sends_it_again(world, sign_in, clock):
    message_id = _failed_reset(world, clock)
    write(1, clock, to=world.member_officer.email)  # not tried yet: not a problem
    admin = sign_in(world.admin)
    admin.application.config["PRODUCTION"] = True
    page = text_of(admin.get("/admin/outbox"))
    assert "could not be sent yet" in page and "gave up after 5 attempts" in page
    assert "reset-password" not in page and "Message 0" not in page
    response = admin.post(f"/admin/outbox/{message_id}/send-again")
    assert response.status_code == 302
    assert reload(message_id).failed_at is None
    page = text_of(admin.get("/admin/outbox"))
    assert "Waiting" in page and page.count("gave up after") == 1  # the window's opening to Alpha failed too
    assert page.count("Send again") == 1
