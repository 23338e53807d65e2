"""Nothing of the child's identity, nor of another provider, reaches a provider from the placement's life (issue 12).

A world where Alpha holds a placement of the factory's canary child (Kestrel Quennell-Abara, CN-48213-Q, born
14 March 2010) with an agreement issued, a review, feedback and an incident whose free text names the child, and
Beta holds a placement of another child. Every GET page of the provider area (each filled in with the world's ids),
every agreement PDF (its text read by pdftotext), every CSV, and every message to a provider is searched for the
child's identity and the free text; Beta's pages for Alpha's records and Alpha's references."""

import html
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import AgreementVersion, AuditEvent, Notification, OutboxMessage, QuarterlyReturn, User
from portal.models.kpi import NUMBER
from portal.quarters import quarter_at
from portal.services import agreements, endings, placement_records, reviews, sufficiency, vacancies
from portal.services import quarterly_returns as returns
from portal.services.endings import Ending
from portal.services.sufficiency import NoticeInput
from portal.services.vacancies import VacancyInput
from tests.factories import placed
from tests.supplier.test_anonymity_pages import canaries

FREE_TEXT = "Kestrel-said-so"  # typed by officers into notes, comments and summaries: it could name the child


def _identity(world) -> list[str]:
    return [canary for canary in canaries(world) if canary not in (world.member_officer.name,
                                                                    world.member_officer.email)] + [FREE_TEXT]


def assert_anonymous(text: str, where: str, world) -> None:
    text = html.unescape(text)
    for secret in _identity(world):
        assert secret.lower() not in text.lower(), f"{secret!r} in {where}"


@pytest.fixture
def life(world, clock):
    """Alpha's placement of the canary child with its life recorded; Beta's placement of another child."""
    alpha = placed(world, clock)
    beta = placed(world, clock, user=world.provider_b,
                  child={"first_names": "Wren", "surname": "Oduya-Brant", "case_number": "CN-77120-B"})
    clock.set(clock.now() + timedelta(days=10))
    now = clock.now()
    officer = world.member_officer
    version = agreements.issue(officer, alpha, now=now)
    agreements.issue(officer, beta, now=now)
    today = agreements.today_at(now)
    reviews.record_review(officer, alpha, held_on=today, attendees=f"{FREE_TEXT}, carer", meets_needs="partly",
                          notes=f"{FREE_TEXT} is settling", now=now)
    placement_records.record_feedback(officer, alpha, given_on=today, given_by="social_worker", rating=4,
                                      comment=f"{FREE_TEXT} likes the carers", now=now)
    placement_records.record_incident(officer, alpha, occurred_on=today, category="safeguarding",
                                      summary=f"{FREE_TEXT} went missing overnight", lado_informed=True,
                                      police_informed=True, outcome=f"{FREE_TEXT} returned", ended_placement=False,
                                      now=now)
    vacancy = vacancies.publish(world.provider_a, VacancyInput(
        lot_id=world.lots[0].id, home_name="Alder House", area_code=world.member.area_code, age_from=16, age_to=17,
        available_from=today, available_until=today + timedelta(days=30), notes="One bed"), now)
    # Ending a placement after a safeguarding incident pauses new placements with Alpha (issue 13): published first.
    endings.record(officer, alpha, Ending("provider", today - timedelta(days=5), today + timedelta(days=3), False,
                                          "other", detail=f"{FREE_TEXT} asked to move"), now)
    sufficiency.publish(officer, NoticeInput(lot_id=world.lots[0].id, area_code=world.member.area_code, age_from=16,
                                             age_to=17, places=2, note="Two homes for teenagers",
                                             needed_until=today + timedelta(days=60)), now)
    returns.add_question(world.admin, world.dps, text="How many carers did you approve?", answer_type=NUMBER,
                         guidance="", now=now)
    quarter = quarter_at(now)
    clock.set(quarter.next.start_utc + timedelta(hours=1))
    returns.request(quarter, clock.now())
    db.session.commit()
    item = db.session.scalars(db.select(QuarterlyReturn).where(
        QuarterlyReturn.provider_id == world.provider_a.organisation_id)).first()
    return {"placement_id": alpha.id, "version_id": version.id, "vacancy_id": vacancy.id,
            "return_id": item.id if item else None, "alpha": alpha, "beta": beta}


def provider_get_urls(app, life) -> list[str]:
    """Every GET page of the provider area whose arguments the world fills (the placement's life, the market, the
    returns and KPIs, and the lists), and the notifications."""
    ids = {name: value for name, value in life.items() if isinstance(value, int)}
    urls = [url_for("shared.notifications")]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("supplier.") and "GET" in rule.methods and set(rule.arguments) <= set(ids):
            urls.append(url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments}))
    return urls


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "agreement.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def messages_to(world, provider) -> list[str]:
    db.session.expire_all()
    users = db.select(User.id).where(User.organisation_id == provider.organisation_id)
    sent = [f"{m.subject}\n{m.body}" for m in db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.user_id.in_(users)))]
    return sent + [f"{n.subject}\n{n.body}" for n in db.session.scalars(
        db.select(Notification).where(Notification.user_id.in_(users)))]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_no_provider_page_download_or_message_names_the_child(app, world, clock, life, sign_in, tmp_path):
    urls = provider_get_urls(app, life)
    for needed in ("supplier.placement", "supplier.agreement", "supplier.agreement_pdf", "supplier.own_kpis_csv",
                   "supplier.quarterly_return", "supplier.vacancy_edit", "supplier.sufficiency_notices"):
        assert needed in app.view_functions, f"{needed} is not swept"
    client = sign_in(world.provider_a)
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code in (200, 404), (url, response.status_code)
        if response.mimetype == "application/pdf":
            assert_anonymous(pdf_text(response.data, tmp_path), f"the PDF {url}", world)
        else:
            assert_anonymous(response.get_data(as_text=True), url, world)
    page = client.get(url_for("supplier.agreement", version_id=life["version_id"])).get_data(as_text=True)
    assert "Safeguarding concern" in page and "plan: partly" in page  # the outcome and the category, not the text
    messages = messages_to(world, world.provider_a)
    assert any("Agreement to sign" in message for message in messages)
    assert any("Ending recorded" in message for message in messages)
    for message in messages:
        assert_anonymous(message, f"the message {message[:40]!r}", world)


def test_no_pdf_of_any_version_names_the_child(app, world, clock, life, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    for version in db.session.scalars(db.select(AgreementVersion)):
        text = pdf_text(version.pdf, tmp_path)
        assert version.placement.agreement_reference in text
        assert_anonymous(text, f"version {version.number} of {version.placement.agreement_reference}", world)
        assert "Wren" not in text and "CN-77120-B" not in text


def test_another_provider_sees_nothing_of_alphas_placement(app, world, clock, life, sign_in):
    alpha = life["alpha"]
    client = sign_in(world.provider_b)
    for url in provider_get_urls(app, life):
        response = client.get(url, follow_redirects=True)
        assert response.status_code in (200, 404), (url, response.status_code)
        if response.status_code == 200:
            text = response.get_data(as_text=True)
            assert alpha.agreement_reference not in text, url
            assert "Alder House" not in text or "vacancies" not in url, url
    assert client.get(url_for("supplier.placement", placement_id=alpha.id)).status_code == 404
    assert client.get(url_for("supplier.agreement", version_id=life["version_id"])).status_code == 404
    assert client.get(url_for("supplier.agreement_pdf", version_id=life["version_id"])).status_code == 404
    if life["return_id"]:
        assert client.get(url_for("supplier.quarterly_return", return_id=life["return_id"])).status_code == 404
    assert client.get(url_for("supplier.vacancy_edit", vacancy_id=life["vacancy_id"])).status_code == 404
    for message in messages_to(world, world.provider_b):
        assert alpha.agreement_reference not in message


def test_audit_events_of_the_placements_life_carry_no_free_text(app, world, clock, life):
    events = db.session.scalars(db.select(AuditEvent)).all()
    assert events
    for event in events:
        assert_anonymous(f"{event.summary}\n{event.before}\n{event.after}", f"the audit event {event.action}", world)


def test_the_sweep_fails_on_a_leak(world):
    with pytest.raises(AssertionError, match="Kestrel"):
        assert_anonymous(f"Placement of Kestrel on {date(2026, 1, 1)}", "a page", world)
