"""A provider placed with caution sends updated evidence; the lead authority's administrator reads it and lifts
or confirms the caution with a reason; the provider is told. Each provider sees only its own caution."""

import html
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from portal.errors import NotFound
from portal.extensions import db
from portal.models import (
    AuditEvent,
    CautionEvidence,
    CautionReview,
    LotMembership,
    Notification,
    Organisation,
    OutboxMessage,
)
from portal.services import cautions, outcomes
from tests.factories import PDF, complete_application, evaluate


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def statuses(provider_id: int) -> list[str]:
    db.session.expire_all()
    return db.session.scalars(db.select(LotMembership.status).where(LotMembership.provider_id == provider_id)
                              .order_by(LotMembership.lot_id)).all()


@pytest.fixture
def cautioned(world, clock):
    """provider_a admitted with caution to two lots (an unsatisfactory reference), the outcomes published."""
    application = complete_application(world.provider_a, world.window, clock, submit=True)
    clock.set(world.window.closes_at + timedelta(days=1))
    evaluate(application, [world.admin, world.evaluator], clock, reference="unsatisfactory")
    outcomes.publish(world.admin, world.window, clock.now())
    assert statuses(world.provider_a.organisation_id) == ["place_with_caution", "place_with_caution"]
    return world.provider_a.organisation


def send(client, *, data=PDF, filename="new-reference.pdf", note="A new reference from Wigan Council"):
    form = {"note": note}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return client.post("/provider/caution", data=form, content_type="multipart/form-data")


def stored_files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def test_the_provider_sends_evidence_and_the_administrator_sees_it(app, world, clock, sign_in, cautioned):
    provider = sign_in(world.provider_a)
    dashboard = text_of(provider.get("/provider/"))
    assert "Your organisation is marked place with caution" in dashboard
    assert 'href="/provider/caution"' in dashboard
    page = text_of(provider.get("/provider/caution"))
    for lot in world.lots[:2]:
        assert lot.label in page
    assert "No evidence has been sent." in page

    files_before = stored_files(app)
    response = send(provider)
    assert response.status_code == 302
    assert "Your evidence has been sent to the lead authority" in text_of(provider.get("/provider/caution"))
    evidence = db.session.scalars(db.select(CautionEvidence)).one()
    assert evidence.provider_id == cautioned.id and evidence.note == "A new reference from Wigan Council"
    assert stored_files(app) - files_before == {evidence.stored_name}

    # The lead's administrator is told, and reads it on the provider's page.
    notice = db.session.scalars(db.select(Notification).where(Notification.user_id == world.admin.id)
                                .order_by(Notification.id.desc())).first()
    assert notice.subject == "Alpha Care sent evidence about its caution"
    assert notice.link == f"/admin/providers/{cautioned.id}"
    admin = sign_in(world.admin)
    register = text_of(admin.get("/admin/providers"))
    alpha_row = next(row for row in register.split('<tr class="govuk-table__row">') if "Alpha Care" in row)
    assert "Caution evidence to review" in alpha_row
    assert "Caution evidence to review" not in text_of(sign_in(world.outside_admin).get("/admin/providers"))
    page = text_of(admin.get(f"/admin/providers/{cautioned.id}"))
    assert "Alpha Care has sent 1 piece of evidence awaiting review." in page
    assert "new-reference.pdf" in page and "A new reference from Wigan Council" in page and "Awaiting review" in page
    download = admin.get(f"/caution-evidence/{evidence.id}")
    assert download.status_code == 200 and download.data == PDF
    assert provider.get(f"/caution-evidence/{evidence.id}").data == PDF

    # The audit trail keeps the note's length, not its text.
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "caution.evidence_sent")).one()
    assert "Wigan" not in str(event.after)


@pytest.mark.parametrize("data, filename, note, message", [
    (None, "", "A note", "Select a file"),
    (b"just some words, typed\n", "reference.pdf", "A note", "must be a PDF, DOCX, ODT, XLSX or CSV"),
    (PDF, "reference.pdf", "   ", "Say what the evidence shows"),
    (PDF, "reference.pdf", "x" * 2001, "Enter a note of no more than 2,000 characters"),
])
def test_bad_evidence_is_refused_with_a_message_and_nothing_kept(app, world, clock, sign_in, cautioned, data,
                                                                  filename, note, message):
    files_before = stored_files(app)
    response = send(sign_in(world.provider_a), data=data, filename=filename, note=note)
    assert response.status_code == 400
    assert message in text_of(response)
    assert db.session.scalar(db.select(db.func.count(CautionEvidence.id))) == 0
    assert stored_files(app) == files_before


def test_a_provider_not_under_caution_has_nothing_to_send(world, clock, sign_in, cautioned):
    client = sign_in(world.provider_b)
    assert "Beta Homes is not marked place with caution." in text_of(client.get("/provider/caution"))
    assert "marked place with caution" not in text_of(client.get("/provider/")).replace(
        "is not marked place with caution", "")
    response = send(client)
    assert response.status_code == 400
    assert "Beta Homes is not marked place with caution: there is no caution to send evidence about" in text_of(
        response)
    assert db.session.scalar(db.select(db.func.count(CautionEvidence.id))) == 0


def test_lifting_the_caution_admits_the_provider_and_tells_it(world, clock, sign_in, cautioned):
    send(sign_in(world.provider_a))
    admin = sign_in(world.admin)
    response = admin.post(f"/admin/providers/{cautioned.id}/caution",
                          data={"decision": "lifted", "reason": "Two satisfactory references since June"})
    assert response.status_code == 302
    assert "Caution lifted for Alpha Care" in text_of(admin.get(response.headers["Location"]))
    assert statuses(cautioned.id) == ["admitted", "admitted"]
    assert db.session.get(Organisation, cautioned.id).provider_status == "admitted"
    assert all(not item.awaiting_review for item in db.session.scalars(db.select(CautionEvidence)))
    assert "Caution evidence to review" not in text_of(admin.get("/admin/providers"))

    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "caution.lifted")).one()
    assert event.actor_id == world.admin.id
    before, after = json.loads(event.before), json.loads(event.after)
    assert set(before["lots"].values()) == {"place_with_caution"} and len(before["lots"]) == 2
    assert set(after["lots"].values()) == {"admitted"} and after["standing"] == "admitted"
    assert after["reason_length"] == len("Two satisfactory references since June")
    assert "June" not in event.after + event.summary

    for user in (world.provider_a, world.colleague_a):
        notice = db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                                    .order_by(Notification.id.desc())).first()
        assert notice.subject == "Your caution has been lifted"
        assert "Reason: Two satisfactory references since June" in notice.body
    assert db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.to_address == world.provider_a.email, OutboxMessage.subject == "Your caution has been lifted")
    ).one()
    page = text_of(sign_in(world.provider_a).get("/provider/caution"))
    assert "Caution lifted" in page and "Two satisfactory references since June" in page
    assert "is not marked place with caution" in page and "Send updated evidence" not in page


def test_confirming_the_caution_keeps_it_with_the_reason(world, clock, sign_in, cautioned):
    send(sign_in(world.provider_a))
    response = sign_in(world.admin).post(f"/admin/providers/{cautioned.id}/caution",
                                         data={"decision": "confirmed", "reason": "The new reference is from a "
                                                                                  "related company"})
    assert response.status_code == 302
    assert statuses(cautioned.id) == ["place_with_caution", "place_with_caution"]
    review = db.session.scalars(db.select(CautionReview)).one()
    assert review.decision == "confirmed" and review.reason == "The new reference is from a related company"
    page = text_of(sign_in(world.provider_a).get("/provider/caution"))
    assert "Caution confirmed" in page and "The new reference is from a related company" in page
    assert "Reviewed" in page and "Send updated evidence" in page


@pytest.mark.parametrize("data, message", [
    ({"decision": "lifted", "reason": ""}, "Give the reason for your decision"),
    ({"reason": "Good references"}, "Choose whether to lift or confirm the caution"),
    ({"decision": "struck-off", "reason": "Good references"}, "Not a valid choice"),
])
def test_a_decision_without_its_reason_or_choice_changes_nothing(world, clock, sign_in, cautioned, data, message):
    response = sign_in(world.admin).post(f"/admin/providers/{cautioned.id}/caution", data=data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert statuses(cautioned.id) == ["place_with_caution", "place_with_caution"]
    assert db.session.scalar(db.select(db.func.count(CautionReview.id))) == 0


def test_each_provider_sees_only_its_own_caution_and_evidence(world, clock, sign_in, cautioned):
    send(sign_in(world.provider_a))
    evidence_id = db.session.scalars(db.select(CautionEvidence.id)).one()
    other = sign_in(world.provider_b)
    assert other.get(f"/caution-evidence/{evidence_id}").status_code == 404
    page = text_of(other.get("/provider/caution"))
    assert "new-reference.pdf" not in page and "Wigan" not in page and world.lots[0].label not in page
    for user in (world.outside_admin, world.member_officer, world.evaluator):
        assert sign_in(user).get(f"/caution-evidence/{evidence_id}").status_code == 404, user.email
    # An administrator of an authority that leads none of the provider's DPSs can neither see nor decide.
    outsider = sign_in(world.outside_admin)
    assert "new-reference.pdf" not in text_of(outsider.get(f"/admin/providers/{cautioned.id}"))
    response = outsider.post(f"/admin/providers/{cautioned.id}/caution",
                             data={"decision": "lifted", "reason": "Looks fine"})
    assert response.status_code == 404
    assert sign_in(world.evaluator).post(f"/admin/providers/{cautioned.id}/caution",
                                         data={"decision": "lifted", "reason": "Looks fine"}).status_code == 403
    assert statuses(cautioned.id) == ["place_with_caution", "place_with_caution"]
    with pytest.raises(NotFound):
        cautions.get_evidence_for(world.provider_b, evidence_id)


def test_the_evidence_is_listed_a_page_at_a_time(world, clock, sign_in, cautioned):
    for number in range(cautions.EVIDENCE_PER_PAGE + 1):
        clock.advance(minutes=1)
        cautions.send_evidence(world.provider_a, note=f"Reference {number}", filename=f"reference-{number}.pdf",
                               data=PDF, now=clock.now())
    for client, url in ((sign_in(world.provider_a), "/provider/caution"),
                        (sign_in(world.admin), f"/admin/providers/{cautioned.id}")):
        first = text_of(client.get(url))
        assert f"reference-{cautions.EVIDENCE_PER_PAGE}.pdf" in first and "reference-0.pdf" not in first
        assert f'href="{url}?page=2"' in first
        second = text_of(client.get(f"{url}?page=2"))
        assert "reference-0.pdf" in second and "reference-1.pdf" not in second
    assert "has sent 21 pieces of evidence awaiting review" in first
