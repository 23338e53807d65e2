"""The administrator finds an e-mail the mail server kept refusing in the outbox, failed with the server's reason,
and sends it again; one still being retried says when its next attempt is due. Every page is checked with axe."""

from datetime import timedelta

from playwright.sync_api import Page, expect

from portal.clock import now
from portal.extensions import db
from portal.models import OutboxMessage, User
from portal.services import accounts


def _refused_mail(email: str) -> None:
    """Two password-reset e-mails to a member's officer: one given up after five refusals, one refused once (a
    shortcut: the dispatcher's retries are tested in tests/portal/test_mail_dispatch.py)."""
    officer = db.session.scalar(db.select(User).where(User.email == email))
    for _ in range(2):
        accounts.request_password_reset(officer.email, now())
    failed, retrying = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.to_address == officer.email)
                                          .order_by(OutboxMessage.id)).all()[-2:]
    failed.attempts, failed.failed_at, failed.last_error = 5, now(), "(550, b'Mailbox unavailable')"
    retrying.attempts, retrying.next_attempt_at, retrying.last_error = 1, now() + timedelta(minutes=5), "timed out"


def test_admin_sends_a_failed_email_again_from_the_outbox(page: Page, live_portal, accessible):
    world = live_portal.world
    live_portal.run(lambda: _refused_mail("officer@member.example.org"))
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(world.admin_email)
    page.get_by_label("Password", exact=True).fill(world.password)
    page.get_by_role("button", name="Sign in").click()
    accessible("DPS set-up")
    page.goto("/admin/outbox?q=officer%40member")
    expect(page.get_by_text("Not sent: gave up after 5 attempts")).to_contain_text("Mailbox unavailable")
    expect(page.get_by_text("Attempt 1 of 5 failed (timed out)")).to_be_visible()
    accessible("the outbox with a failed and a retrying e-mail")

    page.get_by_role("button", name="Send again").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text(
        "The e-mail to officer@member.example.org will be sent again")
    expect(page.get_by_text("gave up after")).to_have_count(0)
    expect(page.get_by_label("Search by recipient or subject")).to_have_value("officer@member")
    accessible("the outbox after sending again")
