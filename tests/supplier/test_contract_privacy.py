"""Nothing of the child's identity, nor of another provider, reaches a provider from contract management (issue 13).

Alpha holds a placement of the factory's canary child at its home SC100001 (Kestrel Quennell-Abara, CN-48213-Q)
with an incident whose free text names the child; Beta holds a placement of another child. Against Alpha's contract:
a performance issue about that placement, a contract review whose officer's details name the child, a notice to
improve in force and appealed, evidence accepted, an Ofsted judgement falling to Inadequate, an enforcement notice,
and an annual review issued with its action plan (the cost check's note names the child). Every GET page of the
provider area (each filled in with these ids), both new PDFs (read by pdftotext), every message to a provider and
every audit event written is searched for the child's identity and the officers' free text; Beta gets 404 on each
of Alpha's records and sees none of them on its own pages."""

import shutil
from datetime import timedelta

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import AuditEvent, EnforcementNotice, Inspection
from portal.models.annual_review import ANSWER_ACCEPTED
from portal.models.compliance import PUBLIC_LIABILITY, RESTRICTION_OF_ACCOMMODATION
from portal.services import annual_reviews, approvals, compliance, ladder, ofsted_import, placement_records
from portal.timezone import uk_today
from tests.factories import PDF, answer_as, contract_manager, contract_of, lead_deciders, placed, setting_for
from tests.portal.test_compliance import ofsted_csv, run_import
from tests.supplier.test_life_privacy import FREE_TEXT, assert_anonymous, messages_to, pdf_text

NEEDED = ("supplier.contracts_list", "supplier.contract", "supplier.settings", "supplier.setting_edit",
          "supplier.setting_close", "supplier.contract_issue", "supplier.contract_sanction",
          "supplier.contract_sanction_letter", "supplier.contract_appeal_document", "supplier.annual_reviews_list",
          "supplier.annual_review", "supplier.annual_review_pdf", "supplier.compliance_evidence",
          "supplier.compliance_evidence_file", "supplier.compliance_notice_file")


@pytest.fixture
def case(world, clock):
    return contract_case(world, clock)


def contract_case(world, clock) -> dict:
    """Alpha's contract with a record of every kind (see the module's docstring); the ids, by argument name."""
    home = setting_for(world.provider_a, clock, urn="SC100001", name="Alder House")
    setting_for(world.provider_b, clock, urn="SC200002", name="Rowan Lodge")
    alpha = placed(world, clock, setting=home)
    beta = placed(world, clock, user=world.provider_b,
                  child={"first_names": "Wren", "surname": "Oduya-Brant", "case_number": "CN-77120-B"})
    assert alpha.setting_id == home.id
    clock.set(clock.now() + timedelta(days=6))
    manager = contract_manager(world, clock)
    people = lead_deciders(world, clock)
    contract = contract_of(world, world.provider_a)
    contract.contract_manager_id = manager.id
    contract_of(world, world.provider_b).contract_manager_id = manager.id
    db.session.commit()
    today = uk_today(clock.now())
    placement_records.record_incident(world.member_officer, alpha, occurred_on=today, category="safeguarding",
                                      summary=f"{FREE_TEXT} went missing overnight", lado_informed=True,
                                      police_informed=True, outcome=f"{FREE_TEXT} returned", ended_placement=False,
                                      now=clock.now())
    issue = ladder.raise_issue(world.member_officer, contract, severity="minor",
                               description="A statutory visit slot was missed", placement_id=alpha.id,
                               actions=[("Confirm the visit rota", today + timedelta(days=7))], now=clock.now())
    review = ladder.open_review(manager, contract, breach="other_breach",
                                details=f"{FREE_TEXT} was not visited; two missed returns", now=clock.now())
    notice = ladder.propose(manager, contract, kind="notice", grounds="Monitoring returns not sent",
                            review_on=None, actions=[("Send the returns", today + timedelta(days=14))],
                            now=clock.now(), review=review)
    answer_as(people.head_of_service, approvals.latest(notice, "notice_to_improve"), clock)
    ladder.appeal(world.provider_a, notice, grounds="The returns were posted on time", now=clock.now(),
                  filename="receipts.pdf", data=PDF)
    evidence = compliance.submit_evidence(world.provider_a, kind=PUBLIC_LIABILITY,
                                          expires_on=today + timedelta(days=200), data=PDF, filename="cover.pdf",
                                          now=clock.now())
    compliance.decide_evidence(manager, evidence, accept=True, reason="", now=clock.now())
    for when, grade in (("2026-03-01", "2"), ("2026-10-01", "4")):
        imported, _ = run_import(world, clock, ofsted_csv(("SC100001", "Children's home", when, "Full", grade)))
        ofsted_import.apply(world.admin, imported, clock.now())
    compliance.record_notice(manager, home, kind=RESTRICTION_OF_ACCOMMODATION, issued_on=today,
                             notes="Restriction to two beds", data=PDF, filename="notice.pdf", now=clock.now())
    annual_reviews.add_question(world.admin, world.dps, text="How do you keep children safe?", guidance="",
                                now=clock.now())
    yearly = annual_reviews.send(manager, contract, due_on=today + timedelta(days=21),
                                 documents="Insurance certificates", now=clock.now())
    annual_reviews.save_answers(world.provider_a, yearly, {a.id: "Safer recruitment" for a in yearly.answers},
                                submit=True, now=clock.now())
    annual_reviews.moderate(manager, yearly, {a.id: (ANSWER_ACCEPTED, "") for a in yearly.answers},
                            now=clock.now())
    annual_reviews.record_meeting(manager, yearly, held_on=today, attendees="Cara Mensah, the registered manager",
                                  notes="Staffing discussed", now=clock.now())
    lines = annual_reviews.cost_lines(yearly, clock.now())
    assert lines
    for line in lines:
        annual_reviews.record_cost_check(manager, yearly, line.placement.id, outcome="confirmed",
                                         note=f"{FREE_TEXT}'s one-to-one hours confirmed", now=clock.now())
    annual_reviews.rate(manager, yearly, rating="requires_improvement", risk_factors=["workforce"],
                        notes="Staff turnover is high", best_practice="", now=clock.now())
    annual_reviews.add_action(manager, yearly, text="Recruit night staff", owner="Registered manager",
                              due_on=today + timedelta(days=60), now=clock.now())
    annual_reviews.issue(manager, yearly, clock.now())
    db.session.commit()
    inspection = db.session.scalars(db.select(Inspection).order_by(Inspection.id.desc())).first()
    notice_record = db.session.scalars(db.select(EnforcementNotice)).one()
    return {"dps_id": world.dps.id, "issue_id": issue.id, "sanction_id": notice.id, "review_id": yearly.id,
            "evidence_id": evidence.id, "notice_id": notice_record.id, "setting_id": home.id,
            "inspection_id": inspection.id, "alpha": alpha, "beta": beta}


def _urls(app, ids) -> list[str]:
    urls = [url_for("shared.notifications")]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("supplier.") and "GET" in rule.methods and rule.arguments \
                and set(rule.arguments) <= set(ids):
            urls.append(url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments}))
        elif rule.endpoint in NEEDED and not rule.arguments:
            urls.append(url_for(rule.endpoint))
    return urls


def _ids(case) -> dict:
    return {name: value for name, value in case.items() if isinstance(value, int)}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_no_contract_page_pdf_or_message_names_the_child(app, world, clock, case, sign_in, tmp_path):
    missing = [endpoint for endpoint in NEEDED if endpoint not in app.view_functions]
    assert not missing, f"pages the sweep must search are not registered: {missing}"
    urls = _urls(app, _ids(case))
    client = sign_in(world.provider_a)
    pdfs = 0
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code)
        if url.endswith(("/letter.pdf", "/action-plan.pdf")):
            pdfs += 1
            assert_anonymous(pdf_text(response.data, tmp_path), f"the PDF {url}", world)
        elif response.mimetype.startswith("text/"):
            assert_anonymous(response.get_data(as_text=True), url, world)
    assert pdfs == 2
    page = client.get(url_for("supplier.contract", dps_id=world.dps.id)).get_data(as_text=True)
    for shown in ("Written notice to improve", "Inadequate", "Requires improvement", "Public liability"):
        assert shown in page, shown
    messages = messages_to(world, world.provider_a)
    assert any("Performance issue" in message for message in messages)
    assert len(messages) >= 4
    for message in messages:
        assert_anonymous(message, f"the message {message[:40]!r}", world)


def test_another_provider_gets_404_on_each_of_alphas_records(app, world, clock, case, sign_in):
    client = sign_in(world.provider_b)
    ids = _ids(case)
    for url in _urls(app, ids):
        response = client.get(url)
        text = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
        assert "Alder House" not in text and "SC100001" not in text, url
        assert case["alpha"].agreement_reference not in text, url
        assert "Monitoring returns not sent" not in text and "Recruit night staff" not in text, url
    for endpoint, name in (("supplier.contract_issue", "issue_id"), ("supplier.contract_sanction", "sanction_id"),
                           ("supplier.contract_sanction_letter", "sanction_id"),
                           ("supplier.contract_appeal_document", "sanction_id"),
                           ("supplier.annual_review", "review_id"), ("supplier.annual_review_pdf", "review_id"),
                           ("supplier.compliance_evidence_file", "evidence_id"),
                           ("supplier.compliance_notice_file", "notice_id"),
                           ("supplier.setting_edit", "setting_id"), ("supplier.setting_close", "setting_id")):
        assert client.get(url_for(endpoint, **{name: case[name]})).status_code == 404, endpoint
    for message in messages_to(world, world.provider_b):
        assert "Alder House" not in message and "Monitoring returns" not in message, message[:60]


def test_the_audit_events_of_contract_management_carry_no_free_text(app, world, clock, case):
    events = db.session.scalars(db.select(AuditEvent)).all()
    actions = {event.action for event in events}
    assert {"performance_issue.raised", "appeal.lodged", "evidence.submitted"} <= actions
    for event in events:
        assert_anonymous(f"{event.summary}\n{event.before}\n{event.after}", f"the audit event {event.action}", world)
