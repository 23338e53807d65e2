"""A provider's application through its pages: every bad input gets a message the provider sees,
and nothing already saved is lost or changed."""

import html
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import Answer, Application, ApplicationLot, Document, Referee
from portal.models.dps import EVIDENCE_MISSING
from portal.services import applications
from tests.factories import PDF, build_dps, complete_application


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def upload_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


def stored_files(app) -> set[str]:
    folder = upload_folder(app)
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def document_rows(application_id: int) -> list[Document]:
    db.session.expire_all()
    return db.session.scalars(db.select(Document).where(Document.application_id == application_id)).all()


def post_file(client, application_id, *, kind, data, filename, expires_on=None):
    # As a browser sends it: the three date inputs always, empty when not filled in.
    form = {"kind": kind, "expires_on": ["", "", ""]}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    if expires_on is not None:
        form["expires_on"] = [str(expires_on.day), str(expires_on.month), str(expires_on.year)]
    return client.post(f"/provider/applications/{application_id}/documents", data=form,
                       content_type="multipart/form-data")


@pytest.fixture
def draft(world, clock):
    """provider_a's draft with nothing in it yet."""
    return applications.start(world.provider_a, world.window, clock.now())


# Late and incomplete submissions -----------------------------------------------------------------

def test_submitting_after_the_window_closed_keeps_the_draft(app, world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock)
    app_id = application.id
    answers_before = {a.question_id: a.text for a in application.answers}
    documents_before = {d.kind: d.sha256 for d in application.documents}
    lots_before = {al.lot_id: al.price_for(al.lot.categories[0].id) for al in application.lots}
    # The provider is working on it as the window closes.
    clock.set(world.window.closes_at - timedelta(minutes=5))
    client = sign_in(world.provider_a)
    assert client.get(f"/provider/applications/{app_id}/submit").status_code == 200
    clock.advance(minutes=6)

    response = client.post(f"/provider/applications/{app_id}/submit")
    assert response.status_code == 400
    page = text_of(response)
    assert "closed on" in page
    assert "Your draft has been kept" in page

    # Changing it is refused the same way, and nothing changes.
    first_question = world.window.question_set.questions[0]
    response = client.post(f"/provider/applications/{app_id}/answers",
                           data={f"answer-{first_question.id}": "A late change"})
    assert response.status_code == 400
    assert "can no longer be changed or submitted" in text_of(response)

    kept = fresh(Application, app_id)
    assert kept.status == "draft" and kept.submitted_at is None
    assert {a.question_id: a.text for a in kept.answers} == answers_before
    assert {d.kind: d.sha256 for d in kept.documents} == documents_before
    assert {al.lot_id: al.price_for(al.lot.categories[0].id) for al in kept.lots} == lots_before
    for document in kept.documents:
        assert (upload_folder(app) / document.stored_name).exists()
    overview = text_of(client.get(f"/provider/applications/{app_id}"))
    assert "This draft can no longer be changed or submitted; it has been kept." in overview


def test_submitting_an_incomplete_application_lists_each_missing_item_with_a_link(world, draft, sign_in):
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{draft.id}/submit")
    assert response.status_code == 400
    page = text_of(response)
    assert "This application is not complete: fix the items listed, then submit it." in page
    base = f"/provider/applications/{draft.id}"
    expected = [("Choose at least one lot", f"{base}/lots")]
    expected += [(f"Answer question {q.number}", f"{base}/answers#answer-{q.id}")
                 for q in world.window.question_set.questions]
    expected += [(EVIDENCE_MISSING[kind], f"{base}/documents#document-{kind}")
                 for kind in applications.required_evidence(draft)]
    expected.append(("Name 2 more local-authority referees (at least 2 are needed)", f"{base}/referees"))
    missing_list = page.split('id="missing-items"', 1)[1].split("</ul>", 1)[0]
    for message, link in expected:
        assert f'href="{link}">{message}</a>' in missing_list, message
    assert fresh(Application, draft.id).status == "draft"
    # The overview page shows the same state without failing.
    assert client.get(base).status_code == 200


def test_a_price_missing_for_a_chosen_lot_is_listed(world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock)
    applications.set_lots(world.provider_a, application, [lot.id for lot in world.lots], clock.now())
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{application.id}/submit")
    assert response.status_code == 400
    third = world.lots[2]
    assert (f'href="/provider/applications/{application.id}/prices#price-{third.categories[0].id}">'
            f"Enter a weekly price for {third.label}</a>") in text_of(response)


def test_submitting_twice_says_already_submitted_and_changes_nothing(world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock)
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{application.id}/submit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/provider/applications/{application.id}/receipt")
    submitted_at = fresh(Application, application.id).submitted_at
    assert submitted_at == clock.now()

    clock.advance(minutes=5)
    response = client.post(f"/provider/applications/{application.id}/submit")
    assert response.status_code == 400
    assert "This application was already submitted on" in text_of(response)
    assert "Nothing has changed." in text_of(response)
    again = fresh(Application, application.id)
    assert again.status == "submitted" and again.submitted_at == submitted_at


# Evidence ------------------------------------------------------------------------------------------

def test_upload_without_a_file_is_refused(app, world, draft, sign_in):
    client = sign_in(world.provider_a)
    response = post_file(client, draft.id, kind="statement_of_purpose", data=None, filename="")
    assert response.status_code == 400
    assert "Select a file" in text_of(response)
    assert document_rows(draft.id) == []


@pytest.mark.parametrize("data, filename", [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "statement.pdf"),
    (b"This is a statement of purpose typed as plain text, not a PDF.\n", "statement.pdf"),
    (b"#!/bin/sh\nrm -rf /\n", "statement.pdf"),
])
def test_a_file_that_is_not_an_allowed_type_is_refused_whatever_its_name(app, world, draft, sign_in, data, filename):
    client = sign_in(world.provider_a)
    response = post_file(client, draft.id, kind="statement_of_purpose", data=data, filename=filename)
    assert response.status_code == 400
    assert f"The selected file {filename} must be a PDF, DOCX, ODT, XLSX or CSV: its " in text_of(response)
    assert document_rows(draft.id) == []
    assert stored_files(app) == set()


def test_an_empty_file_is_refused(app, world, draft, sign_in):
    client = sign_in(world.provider_a)
    response = post_file(client, draft.id, kind="statement_of_purpose", data=b"", filename="empty.pdf")
    assert response.status_code == 400
    page = text_of(response)
    assert "The selected file empty.pdf is empty" in page
    assert document_rows(draft.id) == []
    assert stored_files(app) == set()


def test_a_file_over_the_upload_limit_is_refused(app, world, draft, sign_in):
    app.config["MAX_UPLOAD_BYTES"] = 100 * 1024
    client = sign_in(world.provider_a)
    big = PDF + b"0" * (100 * 1024)
    response = post_file(client, draft.id, kind="statement_of_purpose", data=big, filename="big.pdf")
    assert response.status_code == 400
    assert "The selected file must be 100 KB or smaller" in text_of(response)
    assert document_rows(draft.id) == []
    assert stored_files(app) == set()


def test_a_request_over_the_content_length_limit_gets_the_413_page(app, world, draft, sign_in):
    app.config["MAX_UPLOAD_BYTES"] = 100 * 1024
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024 + 16 * 1024
    client = sign_in(world.provider_a)
    huge = PDF + b"0" * (200 * 1024)
    response = post_file(client, draft.id, kind="statement_of_purpose", data=huge, filename="huge.pdf")
    assert response.status_code == 413
    page = text_of(response)
    assert "The file is too large" in page
    assert "Nothing was saved. Files must be 100 KB or smaller." in page
    assert document_rows(draft.id) == []
    assert stored_files(app) == set()


def test_insurance_needs_an_expiry_date_in_the_future(app, world, clock, draft, sign_in):
    client = sign_in(world.provider_a)
    response = post_file(client, draft.id, kind="insurance_certificate", data=PDF, filename="insurance.pdf")
    assert response.status_code == 400
    assert "Enter the date the insurance cover ends" in text_of(response)

    for expired in (clock.now().date(), clock.now().date() - timedelta(days=30)):
        response = post_file(client, draft.id, kind="insurance_certificate", data=PDF, filename="insurance.pdf",
                             expires_on=expired)
        assert response.status_code == 400
        assert "The insurance has expired: upload a certificate for cover that is in date" in text_of(response)
    assert document_rows(draft.id) == []
    assert stored_files(app) == set()

    response = post_file(client, draft.id, kind="insurance_certificate", data=PDF, filename="insurance.pdf",
                         expires_on=clock.now().date() + timedelta(days=200))
    assert response.status_code == 302
    [document] = document_rows(draft.id)
    assert document.expires_on == clock.now().date() + timedelta(days=200)


def test_insurance_that_has_since_expired_is_listed_as_missing(world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock)
    insurance = next(d for d in application.documents if d.kind == "insurance_certificate")
    insurance.expires_on = clock.now().date() + timedelta(days=3)
    db.session.commit()
    clock.advance(days=5)
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{application.id}/submit")
    assert response.status_code == 400
    assert re.search(r"Your insurance expired on [^:]+: upload a certificate that is in date", text_of(response))
    assert fresh(Application, application.id).status == "draft"


def test_uploading_again_replaces_the_document(app, world, draft, sign_in):
    client = sign_in(world.provider_a)
    assert post_file(client, draft.id, kind="statement_of_purpose", data=PDF, filename="first.pdf").status_code == 302
    [first] = document_rows(draft.id)
    first_stored = first.stored_name
    second_pdf = PDF + b"% second version\n"
    response = post_file(client, draft.id, kind="statement_of_purpose", data=second_pdf, filename="second.pdf")
    assert response.status_code == 302
    [second] = document_rows(draft.id)
    assert second.original_filename == "second.pdf"
    assert second.size_bytes == len(second_pdf)
    assert not (upload_folder(app) / first_stored).exists()
    assert stored_files(app) == {second.stored_name}
    download = client.get(f"/documents/{second.id}")
    assert download.status_code == 200
    assert download.data == second_pdf


def test_a_real_csv_pricing_schedule_is_accepted(world, draft, sign_in):
    client = sign_in(world.provider_a)
    csv_data = b"Lot,Weekly price\n1,1250.00\n2,1400.00\n"
    response = post_file(client, draft.id, kind="pricing_schedule", data=csv_data, filename="pricing.csv")
    assert response.status_code == 302
    [document] = document_rows(draft.id)
    assert document.file_type == "csv"


def test_choosing_a_document_kind_the_application_does_not_ask_for_is_refused(world, draft, sign_in):
    client = sign_in(world.provider_a)
    response = post_file(client, draft.id, kind="not_a_kind", data=PDF, filename="x.pdf")
    assert response.status_code == 400
    assert document_rows(draft.id) == []


def test_a_document_downloads_for_its_provider_and_the_lead_authoritys_evaluators_only(app, world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock)
    document = next(d for d in application.documents if d.kind == "statement_of_purpose")
    url = f"/documents/{document.id}"
    evaluators = (world.evaluator, world.admin)
    never = (world.provider_b, world.member_officer, world.lead_officer, world.outside_admin)

    for user in evaluators + never:
        assert sign_in(user).get(url).status_code == 404, f"draft, {user.email}"
    for user in (world.provider_a, world.colleague_a):
        response = sign_in(user).get(url)
        assert response.status_code == 200
        assert response.data == PDF

    applications.submit(world.provider_a, application, clock.now())
    for user in evaluators + (world.provider_a, world.colleague_a):
        response = sign_in(user).get(url)
        assert response.status_code == 200, user.email
        assert response.data == PDF
        assert response.mimetype == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
        assert "statement_of_purpose.pdf" in response.headers["Content-Disposition"]
    for user in never:
        assert sign_in(user).get(url).status_code == 404, f"submitted, {user.email}"
    assert app.test_client().get(url).status_code == 302


# Tampered ids --------------------------------------------------------------------------------------

def test_a_lot_of_another_dps_is_refused(world, clock, sign_in):
    application = complete_application(world.provider_a, world.window, clock, lots=world.lots[:1])
    other_dps = build_dps(world.admin, clock, reference="OTHER-DPS")
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{application.id}/lots",
                           data={"lots": [world.lots[1].id, other_dps.lots[0].id]})
    assert response.status_code == 400
    assert "Select lots of this DPS only" in text_of(response)
    assert [al.lot_id for al in fresh(Application, application.id).lots] == [world.lots[0].id]


def test_a_referee_of_another_application_cannot_be_removed(world, clock, sign_in):
    mine = complete_application(world.provider_a, world.window, clock)
    theirs = complete_application(world.provider_b, world.window, clock)
    their_referee_id = theirs.referees[0].id
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{mine.id}/referees/{their_referee_id}/remove")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Referee, their_referee_id) is not None
    assert len(fresh(Application, mine.id).referees) == 2


def test_another_providers_application_is_not_found_and_unchanged(world, clock, sign_in):
    theirs = complete_application(world.provider_b, world.window, clock)
    before = {a.question_id: a.text for a in theirs.answers}
    question = world.window.question_set.questions[0]
    client = sign_in(world.provider_a)
    assert client.post(f"/provider/applications/{theirs.id}/answers",
                       data={f"answer-{question.id}": "Overwritten"}).status_code == 404
    assert client.post(f"/provider/applications/{theirs.id}/submit").status_code == 404
    assert client.post(f"/provider/applications/{theirs.id}/referees/{theirs.referees[0].id}/remove").status_code == 404
    assert post_file(client, theirs.id, kind="statement_of_purpose", data=PDF, filename="x.pdf").status_code == 404
    kept = fresh(Application, theirs.id)
    assert {a.question_id: a.text for a in kept.answers} == before
    assert kept.status == "draft" and len(kept.referees) == 2


def test_an_application_id_that_does_not_exist_is_not_found(world, sign_in):
    client = sign_in(world.provider_a)
    assert client.get("/provider/applications/999999").status_code == 404
    assert client.post("/provider/windows/999999/apply").status_code == 404


# Prices and answers --------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, message", [
    ("0", "The weekly price must be more than £0"),
    ("-5", "The weekly price must be more than £0"),
    ("twelve hundred", "Enter the weekly price in pounds and pence, like 1,450.00"),
    ("1250.505", "Enter the weekly price in pounds and pence, with no more than 2 decimal places"),
    ("", "Enter the weekly price"),
    ("NaN", "Enter the weekly price in pounds and pence, like 1,450.00"),
    ("1e3", "Enter the weekly price in pounds and pence, like 1,450.00"),
    ("100000.01", "The weekly price must be £100,000 or less"),
])
def test_an_invalid_weekly_price_is_shown_and_the_valid_ones_are_saved(world, clock, draft, sign_in, bad, message):
    first, second = world.lots[0], world.lots[1]
    applications.set_lots(world.provider_a, draft, [first.id, second.id], clock.now())
    applications.set_prices(world.provider_a, draft, {first.categories[0].id: "900.00"}, clock.now())
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{draft.id}/prices",
                           data={f"price-{first.categories[0].id}": bad,
                                 f"price-{second.categories[0].id}": "£1,450.50"})
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    assert f'href="#price-{first.categories[0].id}"' in page
    assert f'value="{bad}"' in page  # what was typed is shown back
    prices = {al.lot_id: al.price_for(al.lot.categories[0].id) for al in fresh(Application, draft.id).lots}
    assert str(prices[first.id]) == "900.00"  # the old valid price is not lost
    assert str(prices[second.id]) == "1450.50"  # the valid one is saved


def test_an_answer_over_the_word_limit_is_refused_and_the_others_saved(world, clock, draft, sign_in):
    first, second = world.window.question_set.questions[:2]
    applications.save_answers(world.provider_a, draft, {first.id: "My earlier answer"}, clock.now())
    client = sign_in(world.provider_a)
    too_long = " ".join(["word"] * (first.word_limit + 1))
    response = client.post(f"/provider/applications/{draft.id}/answers",
                           data={f"answer-{first.id}": too_long, f"answer-{second.id}": "Independence answer"})
    assert response.status_code == 400
    page = text_of(response)
    assert (f"Answer question {first.number} in {first.word_limit} words or fewer (you have {first.word_limit + 1})"
            in page)
    assert too_long in page  # the provider's text is not thrown away
    db.session.expire_all()
    answers = {a.question_id: a.text for a in db.session.scalars(
        db.select(Answer).where(Answer.application_id == draft.id))}
    assert answers[first.id] == "My earlier answer"
    assert answers[second.id] == "Independence answer"


def test_choosing_no_lot_is_refused_and_keeps_the_lots(world, clock, draft, sign_in):
    applications.set_lots(world.provider_a, draft, [world.lots[0].id], clock.now())
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{draft.id}/lots", data={})
    assert response.status_code == 400
    assert "Select at least one lot" in text_of(response)
    db.session.expire_all()
    assert db.session.scalars(db.select(ApplicationLot.lot_id).where(
        ApplicationLot.application_id == draft.id)).all() == [world.lots[0].id]


def test_a_referee_with_a_bad_email_is_refused(world, draft, sign_in):
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{draft.id}/referees", data={
        "authority_name": "Some Council", "contact_name": "Sam", "job_title": "Manager", "email": "not-an-email"})
    assert response.status_code == 400
    assert "Enter an e-mail address in the correct format" in text_of(response)
    assert fresh(Application, draft.id).referees == []


def test_an_upload_with_no_date_boxes_at_all_gets_the_message_not_a_crash(world, draft, sign_in):
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{draft.id}/documents",
                           data={"kind": "insurance_certificate", "file": (io.BytesIO(PDF), "insurance.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Enter the date the insurance cover ends" in text_of(response)
    assert document_rows(draft.id) == []


def test_an_impossible_insurance_date_gets_a_clear_message(world, draft, sign_in):
    client = sign_in(world.provider_a)
    response = client.post(f"/provider/applications/{draft.id}/documents",
                           data={"kind": "insurance_certificate", "file": (io.BytesIO(PDF), "insurance.pdf"),
                                 "expires_on": ["31", "2", "2027"]},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = text_of(response)
    assert "Enter a real date, with the day, month and year as numbers, like 31 3 2027" in page
    assert 'value="31"' in page  # what the provider typed is shown again
    assert document_rows(draft.id) == []


def test_an_uploaded_file_keeps_a_clean_name_and_downloads_under_it(world, draft, sign_in):
    client = sign_in(world.provider_a)
    # A browser may send a whole path; names may carry control characters or a right-to-left override that
    # would show "fdp.exe" as "exe.pdf"; and they may be any length.
    sent = "../../home/alpha/Documents/Statement\x07 of\tpurpose\u202e.pdf"
    assert post_file(client, draft.id, kind="statement_of_purpose", data=PDF, filename=sent).status_code == 302
    [document] = document_rows(draft.id)
    assert document.original_filename == "Statement of purpose.pdf"
    assert "Statement of purpose.pdf" in text_of(client.get(f"/provider/applications/{draft.id}/documents"))
    response = client.get(f"/documents/{document.id}")
    assert response.headers["Content-Disposition"] == 'attachment; filename="Statement of purpose.pdf"'

    long_name = "Policy " + "x" * 300 + ".pdf"
    assert post_file(client, draft.id, kind="statement_of_purpose", data=PDF, filename=long_name).status_code == 302
    [document] = document_rows(draft.id)
    assert len(document.original_filename) == 120 and document.original_filename.endswith("x.pdf")

    # Quotes are escaped in the header (the name as a browser could send it; this test client cannot).
    document.original_filename = 'Rapport "final"; name=evil.pdf'
    db.session.commit()
    response = client.get(f"/documents/{document.id}")
    assert response.headers["Content-Disposition"] == 'attachment; filename="Rapport \\"final\\"; name=evil.pdf"'

    accented = "Déclaration d’assurance 2026.pdf"
    assert post_file(client, draft.id, kind="statement_of_purpose", data=PDF, filename=accented).status_code == 302
    [document] = document_rows(draft.id)
    assert document.original_filename == accented
    response = client.get(f"/documents/{document.id}")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"Declaration dassurance 2026.pdf\"; "
        "filename*=UTF-8''D%C3%A9claration%20d%E2%80%99assurance%202026.pdf")
    assert response.data == PDF
