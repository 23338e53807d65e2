"""The officers' off-framework pages: messages, nothing lost on refusal, other authorities' records hidden."""

import csv
import html
import io
import re
import shutil
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import (
    Approval,
    AuditEvent,
    Notification,
    OffFrameworkProvider,
    OffFrameworkReferee,
    Placement,
    PlacementCost,
    Referral,
)
from portal.services import approvals, off_framework
from portal.timezone import format_date, format_datetime
from tests.buyer.test_off_framework_service import (
    awarded_referral,
    details,
    emergency_placement,
    exhausted_referral,
    place,
    provider_with_references,
    searched_referral,
    upload_evidence,
)
from tests.factories import PDF, approve_off_framework_placement, approve_search, deciders
from tests.portal.test_auth_routes import assert_form_not_sent, csrf_sign_in, csrf_token_of
from tests.portal.test_query_counts import assert_constant
from tests.supplier.test_life_privacy import pdf_text as pdftotext

PROVIDER_FORM = {"name": "Coastal Care", "ofsted_urn": "SC112233", "ofsted_rating": "Good",
                 "local_authority_area": "E08000014", "address": "1 Prom, Southport", "contact_name": "Cal Coast",
                 "email": "cal@coastal.example.org", "telephone": "0151 000 0000",
                 "services": "Supported accommodation for 16 and 17 year olds", "caution_note": ""}


def text_of(response) -> str:
    return response.get_data(as_text=True)


# The provider list -----------------------------------------------------------------------------

def test_officer_adds_a_provider_and_sees_it_listed(world, sign_in):
    client = sign_in(world.member_officer)
    response = client.post("/authority/off-framework-providers/new", data=PROVIDER_FORM)
    assert response.status_code == 302
    provider = db.session.scalars(db.select(OffFrameworkProvider)).one()
    assert response.headers["Location"].endswith(f"/authority/off-framework-providers/{provider.id}")
    page = text_of(client.get(response.headers["Location"]))
    assert "Coastal Care added to your off-framework list" in page
    assert "Take up at least 2 references" in page
    listing = text_of(client.get("/authority/off-framework-providers?search=coastal"))
    assert "Coastal Care" in listing and "0 of 0" in listing


def test_a_refused_provider_form_keeps_what_was_typed(world, sign_in):
    client = sign_in(world.member_officer)
    data = dict(PROVIDER_FORM, ofsted_urn="12-AB", place_with_caution="y")
    response = client.post("/authority/off-framework-providers/new", data=data)
    assert response.status_code == 400
    page = text_of(response)
    assert "Enter the Ofsted URN as shown on the provider" in page
    assert 'value="Coastal Care"' in page and "Supported accommodation for 16 and 17 year olds" in page
    assert 'href="#ofsted_urn"' in page
    data["ofsted_urn"] = "SC112233"
    response = client.post("/authority/off-framework-providers/new", data=data)
    assert response.status_code == 400
    assert "Say why this provider must be placed with caution" in text_of(response)
    assert db.session.scalar(db.select(db.func.count(OffFrameworkProvider.id))) == 0


def test_a_double_submitted_provider_is_added_once(world, sign_in):
    client = sign_in(world.member_officer)
    assert client.post("/authority/off-framework-providers/new", data=PROVIDER_FORM).status_code == 302
    again = client.post("/authority/off-framework-providers/new", data=PROVIDER_FORM)
    assert again.status_code == 400
    assert "Coastal Care is already on your list with this Ofsted URN" in text_of(again)
    assert db.session.scalar(db.select(db.func.count(OffFrameworkProvider.id))) == 1


def test_officer_changes_a_provider(world, clock, sign_in):
    provider = off_framework.create(world.member_officer, details(), clock.now())
    client = sign_in(world.member_officer)
    form = text_of(client.get(f"/authority/off-framework-providers/{provider.id}/edit"))
    assert 'value="SC765432"' in form
    response = client.post(f"/authority/off-framework-providers/{provider.id}/edit",
                           data=dict(PROVIDER_FORM, name="Northern Homes Group", place_with_caution="y",
                                     caution_note="Registered manager left in May"))
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Details of Northern Homes Group saved" in page
    assert "Place with caution" in page and "Registered manager left in May" in page


def test_documents_are_uploaded_and_downloaded_by_the_authoritys_officers_only(world, clock, sign_in):
    provider = off_framework.create(world.member_officer, details(), clock.now())
    client = sign_in(world.member_officer)
    url = f"/authority/off-framework-providers/{provider.id}/documents"
    response = client.post(url, data={"kind": "other", "title": "Ofsted report",
                                      "file": (io.BytesIO(PDF), "ofsted.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Ofsted report uploaded" in page
    document = provider.documents[0]
    assert document.sha256 in page
    download = client.get(f"/authority/off-framework-documents/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    for user in (world.lead_officer, world.outside_admin):
        assert sign_in(user).get(f"/authority/off-framework-documents/{document.id}").status_code == 404


def test_a_refused_upload_says_why_and_keeps_the_title(world, clock, sign_in):
    provider = off_framework.create(world.member_officer, details(), clock.now())
    client = sign_in(world.member_officer)
    response = client.post(f"/authority/off-framework-providers/{provider.id}/documents",
                           data={"kind": "other", "title": "Insurance",
                                 "file": (io.BytesIO(b"just words"), "insurance.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = text_of(response)
    assert "must be a PDF, DOCX, ODT, XLSX or CSV" in page and 'value="Insurance"' in page
    db.session.expire_all()
    assert db.session.get(OffFrameworkProvider, provider.id).documents == []


def test_referees_and_references_through_the_pages(world, clock, sign_in):
    provider = off_framework.create(world.member_officer, details(), clock.now())
    client = sign_in(world.member_officer)
    url = f"/authority/off-framework-providers/{provider.id}/referees"
    refused = client.post(url, data={"authority_name": "Wirral Council", "contact_name": "Wyn",
                                     "email": "wyn-at-wirral"})
    assert refused.status_code == 400
    assert "Enter an e-mail address in the correct format" in text_of(refused)
    assert 'value="Wirral Council"' in text_of(refused)
    response = client.post(url, data={"authority_name": "Wirral Council", "contact_name": "Wyn",
                                      "email": "wyn@wirral.example.org"})
    assert response.status_code == 302
    assert "Referee Wyn of Wirral Council added" in text_of(client.get(response.headers["Location"]))
    referee = provider.referees[0]
    prefix = f"referee-{referee.id}-"
    refused = client.post(f"/authority/off-framework-referees/{referee.id}",
                          data={prefix + "outcome": "unsatisfactory", prefix + "note": ""})
    assert refused.status_code == 400 and "Note what the referee said" in text_of(refused)
    response = client.post(f"/authority/off-framework-referees/{referee.id}",
                           data={prefix + "outcome": "unsatisfactory", prefix + "note": "Missed two reviews"})
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Reference from Wirral Council recorded" in page
    assert "Northern Homes Ltd is now marked place with caution because the reference was unsatisfactory" in page
    assert "Unsatisfactory reference from Wirral Council (Wyn)" in page


def test_another_authoritys_provider_is_not_found(world, clock, sign_in):
    provider = provider_with_references(world.member_officer, clock, evidence=False)
    referee = provider.referees[0]
    client = sign_in(world.lead_officer)
    base = f"/authority/off-framework-providers/{provider.id}"
    for url in (base, base + "/edit"):
        assert client.get(url).status_code == 404, url
    assert client.post(base + "/edit", data=PROVIDER_FORM).status_code == 404
    assert client.post(base + "/documents", data={"kind": "other", "title": "X", "file": (io.BytesIO(PDF), "x.pdf")},
                       content_type="multipart/form-data").status_code == 404
    assert client.post(base + "/referees", data={"authority_name": "A", "contact_name": "B",
                                                 "email": "b@a.example.org"}).status_code == 404
    assert client.post(f"/authority/off-framework-referees/{referee.id}",
                       data={f"referee-{referee.id}-outcome": "satisfactory",
                             f"referee-{referee.id}-note": "Fine"}).status_code == 404
    assert "Northern Homes" not in text_of(client.get("/authority/off-framework-providers"))
    db.session.expire_all()
    provider = db.session.get(OffFrameworkProvider, provider.id)
    assert provider.name == "Northern Homes Ltd" and provider.documents == [] and len(provider.referees) == 2


def test_csrf_token_is_required(csrf_app, world):
    client = csrf_sign_in(csrf_app, world.member_officer)
    response = client.post("/authority/off-framework-providers/new", data=PROVIDER_FORM)
    assert_form_not_sent(response)
    response = client.post("/authority/off-framework-providers/new", data=dict(PROVIDER_FORM, csrf_token="forged"))
    assert_form_not_sent(response)
    assert db.session.scalar(db.select(db.func.count(OffFrameworkProvider.id))) == 0
    token = csrf_token_of(client.get("/authority/off-framework-providers/new"))
    assert client.post("/authority/off-framework-providers/new",
                       data=dict(PROVIDER_FORM, csrf_token=token)).status_code == 302


# The off-framework search and placement for a referral --------------------------------------------

def place_form(provider_id, **overrides) -> dict:
    data = {"provider_id": str(provider_id),
            "costs-0-description": "Core weekly fee", "costs-0-amount": "2,400.00",
            "costs-1-description": "Waking night staff", "costs-1-amount": "350.50",
            "costs-1-timescale": "First 8 weeks", "costs-1-review_date": ["5", "1", "2027"],
            "start_date": ["10", "11", "2026"], "location_area": "E08000014"}
    data.update(overrides)
    return data


def test_before_exhaustion_the_page_gives_the_reason_and_no_form(world, clock, sign_in):
    from tests.factories import admit, published_referral

    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=7))
    client = sign_in(world.member_officer)
    url = f"/authority/referrals/{referral.id}/off-framework"
    page = text_of(client.get(url))
    assert "the referral is still open for bids until 9 November 2026 at 10:00am" in page
    assert "You cannot search off framework yet" in page
    assert "Ask a budget holder to approve the search" not in page and "expected_weekly" not in page
    response = client.post(url, data={"expected_weekly": "2800.00"})
    assert response.status_code == 400
    assert "still open for bids" in text_of(response)
    db.session.expire_all()
    assert approvals.of_subject(db.session.get(type(referral), referral.id)) == [
        approvals.latest(referral, "funding")]  # the funding approved before publishing, nothing more


def test_search_then_placement_through_the_page(world, clock, sign_in, tmp_path):
    referral = exhausted_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    client = sign_in(world.member_officer)
    url = f"/authority/referrals/{referral.id}/off-framework"
    people = deciders(world, clock)
    page = text_of(client.get(url))
    assert "Ask for approval of the off-framework search" in page
    refused = client.post(url, data={"expected_weekly": "", "notes": "Called three providers"})
    assert refused.status_code == 400
    assert "Enter the weekly cost you expect to pay" in text_of(refused)
    assert "Called three providers" in text_of(refused)
    response = client.post(url, data={"expected_weekly": "2,800.00", "notes": "Called three providers"})
    assert response.status_code == 302
    assert "waiting for an answer" in text_of(client.get(url))
    search = approvals.latest(referral, "off_framework_search")
    # the budget holder approves the search from the approval page
    holder = sign_in(people.budget_holder)
    assert "An off-framework search and its funding" in text_of(holder.get("/authority/tasks"))
    assert holder.post(f"/authority/approvals/{search.id}/answer", data={"decision": "approve"}).status_code == 302
    page = text_of(client.get(url))
    assert "Search and funding: Approved by Bea Okonkwo-Lind (Budget holder)" in page
    assert "Place the child off framework" in page and "OFF FRAMEWORK" in page
    assert f'<option value="{provider.id}">Northern Homes Ltd (Sefton)</option>' in page
    # placing before the agreement and the cost are approved is refused
    early = client.post(url, data=place_form(provider.id))
    assert early.status_code == 400 and "Ask the head of service to agree" in text_of(early)
    asked = client.post(f"{url}/approvals", data={"agreed_provider_id": str(provider.id), "weekly_cost": "2,750.50"})
    assert asked.status_code == 302 and asked.headers["Location"].endswith("#approvals")
    agreement = approvals.latest(referral, "senior_agreement")
    cost = approvals.latest(referral, "placement_cost")
    assert (agreement.weekly_cost, cost.weekly_cost) == (Decimal("2750.50"), Decimal("2750.50"))
    head = sign_in(people.head_of_service)
    assert "A senior manager&#39;s agreement to an off-framework placement" in text_of(head.get("/authority/tasks"))
    assert head.post(f"/authority/approvals/{agreement.id}/answer", data={"decision": "approve"}).status_code == 302
    assert holder.post(f"/authority/approvals/{cost.id}/answer", data={"decision": "approve"}).status_code == 302
    response = client.post(url, data=place_form(provider.id))
    assert response.status_code == 302
    placement = db.session.scalars(db.select(Placement)).one()
    assert response.headers["Location"].endswith(f"/authority/placements/{placement.id}")
    assert placement.weekly_cost == Decimal("2750.50") and not placement.on_framework
    shown = text_of(client.get(response.headers["Location"]))
    assert f"{referral.reference} placed off framework with Northern Homes Ltd" in shown
    assert "Off framework" in shown
    # who agreed and who approved the cost, in which role and when: on the placement and in its agreement (IPA)
    answered = format_datetime(clock.now())
    for line in (f"Approved by Hana Petrossian (Head of service), {answered}",
                 f"Approved by Bea Okonkwo-Lind (Budget holder), {answered}"):
        assert line in html.unescape(shown)
    pdf = client.get(f"/authority/placements/{placement.id}/agreement.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # Reading the agreement's words needs pdftotext (poppler-utils): without it only they go unchecked.
    if shutil.which("pdftotext") is not None:
        ipa = " ".join(pdftotext(pdf.data, tmp_path).split())
        assert f"Cost approved Approved by Bea Okonkwo-Lind (Budget holder), {answered}" in ipa
        assert f"Off-framework placement agreed Approved by Hana Petrossian (Head of service), {answered}" in ipa
    # A second submission (a double click, a colleague) makes nothing more.
    again = client.post(url, data=place_form(provider.id))
    assert again.status_code == 400 and "already been placed" in text_of(again)
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 1


def test_a_refused_placement_keeps_everything_typed(world, clock, sign_in):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock, place_with_caution=True,
                                        caution_note="Weak supervision found in May")
    client = sign_in(world.member_officer)
    url = f"/authority/referrals/{referral.id}/off-framework"
    page = text_of(client.get(url))
    assert "Weak supervision found in May" in page and "place with caution" in page
    response = client.post(url, data=place_form(provider.id))
    assert response.status_code == 400
    page = text_of(response)
    assert "is marked place with caution: confirm you have read its caution note" in page
    assert 'href="#caution_acknowledged"' in page
    for typed in ('value="2,400.00"', 'value="Waking night staff"', 'value="First 8 weeks"'):
        assert typed in page, typed
    response = client.post(url, data=place_form(provider.id, caution_acknowledged="y",
                                                 **{"costs-1-amount": "three hundred"}))
    assert response.status_code == 400
    page = text_of(response)
    assert "Enter the weekly amount in pounds and pence, like 1,450.00" in page
    assert 'href="#costs-1-amount"' in page and 'value="three hundred"' in page
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0
    approve_off_framework_placement(world, referral, provider, Decimal("2750.50"), clock)
    response = client.post(url, data=place_form(provider.id, caution_acknowledged="y"))
    assert response.status_code == 302


def test_another_authoritys_provider_or_referral_is_not_found(world, clock, sign_in):
    referral = searched_referral(world, clock)
    theirs = provider_with_references(world.lead_officer, clock)
    client = sign_in(world.member_officer)
    url = f"/authority/referrals/{referral.id}/off-framework"
    assert client.post(url, data=place_form(theirs.id)).status_code == 404
    assert client.post(url, data=place_form(999999)).status_code == 404
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0
    # nor can the agreement and cost be asked for with another authority's provider
    for provider_id in (theirs.id, 999999):
        assert client.post(f"{url}/approvals", data={"agreed_provider_id": str(provider_id),
                                                     "weekly_cost": "2,000.00"}).status_code == 404
    assert approvals.latest(referral, "senior_agreement") is None and approvals.latest(referral, "placement_cost") \
        is None
    lead = sign_in(world.lead_officer)
    assert lead.get(url).status_code == 404
    assert lead.post(url, data=place_form(theirs.id)).status_code == 404


# Placements, the export and QA visits ----------------------------------------------------------

def test_placements_list_marks_off_framework_rows_and_filters(world, clock, sign_in):
    awarded_referral(world, clock)
    off = emergency_placement(world, clock)
    client = sign_in(world.member_officer)
    page = text_of(client.get("/authority/placements"))
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)[1:]
    assert len(rows) == 2
    off_row = next(row for row in rows if off.agreement_reference in row)
    on_row = next(row for row in rows if off.agreement_reference not in row)
    assert "govuk-tag--orange" in off_row and "Off framework" in off_row
    assert "On framework" in on_row and "Off framework" not in on_row
    only_off = text_of(client.get("/authority/placements?framework=off"))
    table = only_off[only_off.index("<table"):only_off.index("</table>")]  # the provider filter lists them all
    assert off.agreement_reference in table and "Alpha Care" not in table
    assert off.agreement_reference not in text_of(client.get("/authority/placements?framework=on"))
    assert off.agreement_reference not in text_of(sign_in(world.lead_officer).get("/authority/placements"))


def test_csv_export_has_an_on_framework_column_on_every_row(world, clock, sign_in):
    awarded_referral(world, clock)
    off = emergency_placement(world, clock)
    response = sign_in(world.member_officer).get("/authority/placements.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 2
    by_reference = {row["Agreement reference"]: row for row in rows}
    assert by_reference[off.agreement_reference]["On framework"] == "No"
    assert by_reference[off.agreement_reference]["Weekly cost (£)"] == "2750.50"
    assert [row["On framework"] for row in rows if row["Agreement reference"] != off.agreement_reference] == ["Yes"]
    assert all(row["On framework"] in ("Yes", "No") for row in rows)
    for word in ("Kestrel", "Quennell-Abara", "CN-48213-Q"):
        assert word not in response.get_data(as_text=True)


def test_csv_cells_cannot_run_as_formulas(world, clock, sign_in):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock, name="=HYPERLINK(\"http://x\")")
    place(world, clock, referral, provider, cost_lines=[off_framework.CostLine("Core", "10")],
          start_date=clock.now().date(), location_area="E08000014", now=clock.now())
    text = text_of(sign_in(world.member_officer).get("/authority/placements.csv"))
    assert "'=HYPERLINK" in text
    assert "Bea Okonkwo-Lind (Budget holder)" in text


def test_tasks_page_and_recording_the_qa_visit(world, clock, sign_in):
    placement = emergency_placement(world, clock)
    client = sign_in(world.member_officer)
    page = text_of(client.get("/authority/tasks"))
    assert "Tasks (1)" in page
    assert placement.agreement_reference in page and "13 November 2026 at 12:00am" in page
    assert "Overdue" not in page
    clock.set(datetime(2026, 11, 13, 9, 0))
    client = sign_in(world.member_officer)  # the earlier session has timed out
    page = text_of(client.get("/authority/tasks"))
    assert "Overdue" in page
    url = f"/authority/placements/{placement.id}/qa-visit"
    assert "The visit is due by 13 November 2026 at 12:00am" in text_of(client.get(url))
    for data, message in (
        ({"visited_on": ["13", "11", "2026"], "visited_time": "soonish", "notes": "Fine"}, "Enter the time"),
        ({"visited_on": ["13", "11", "2026"], "visited_time": "10:00", "notes": "Fine"}, "cannot be in the future"),
        ({"visited_on": ["", "", ""], "visited_time": "", "notes": "Fine"}, "Enter the date and time of the visit"),
        ({"visited_on": ["13", "11", "2026"], "visited_time": "8:30", "notes": ""}, "Note what the visit found"),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 400, data
        assert message in text_of(response)
    response = client.post(url, data={"visited_on": ["13", "11", "2026"], "visited_time": "8:30",
                                      "notes": "Room ready, staff briefed"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/authority/tasks")
    page = text_of(client.get("/authority/tasks"))
    assert "QA visit to Northern Homes Ltd recorded" in page
    assert "No QA visits are outstanding" in page and "Tasks (1)" not in page
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).qa_visit_at == datetime(2026, 11, 13, 8, 30)
    assert "Room ready, staff briefed" in text_of(client.get(url))


def test_another_authoritys_placement_is_not_found(world, clock, sign_in):
    placement = emergency_placement(world, clock)
    client = sign_in(world.lead_officer)
    url = f"/authority/placements/{placement.id}/qa-visit"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"visited_on": ["4", "11", "2026"], "visited_time": "9:00",
                                  "notes": "Tampered"}).status_code == 404
    assert placement.agreement_reference not in text_of(client.get("/authority/tasks"))
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).qa_visit_at is None


# Query counts: a fixed number of statements however many rows a page shows -----------------------

def add_off_framework_providers(world, clock, start, stop):
    for index in range(start, stop):
        provider = OffFrameworkProvider(
            authority_id=world.member.id, name=f"Listed provider {index:02d}", local_authority_area=f"Area {index}",
            ofsted_urn=f"SC{800000 + index}", ofsted_rating="Good", contact_name="Contact",
            email=f"contact{index}@listed.example.org", services="Residential", place_with_caution=index % 2 == 0,
            caution_note="Caution" if index % 2 == 0 else "", created_by_id=world.member_officer.id,
            created_at=clock.now(), updated_at=clock.now())
        provider.referees = [OffFrameworkReferee(authority_name=f"Council {n}", contact_name="Ref",
                                                 email="ref@council.example.org", outcome=outcome, note="")
                             for n, outcome in enumerate(("satisfactory", None))]
        db.session.add(provider)
    db.session.commit()


def add_placements(world, clock, template, start, stop):
    """Placements on copies of `template` (a referral), alternately on and off framework, each with a QA visit due.
    Plain inserts shaped as the services make them, for speed."""
    off_provider = db.session.scalars(db.select(OffFrameworkProvider)).first()
    columns = [column.key for column in Referral.__table__.columns if column.key not in ("id", "reference")]
    for index in range(start, stop):
        referral = Referral(reference=f"QC-{index:03d}", **{key: getattr(template, key) for key in columns})
        db.session.add(referral)
        db.session.flush()
        on_framework = index % 2 == 1
        db.session.add(Placement(
            agreement_reference=f"IPA-QC-{index:03d}", referral_id=referral.id, authority_id=world.member.id,
            on_framework=on_framework, provider_id=world.provider_a.organisation_id if on_framework else None,
            off_framework_provider_id=None if on_framework else off_provider.id,
            lot_id=world.lots[0].id if on_framework else None, weekly_cost=Decimal("1000.00") + index,
            start_date=clock.now().date(), location_area="E08000014", in_home_area=True, location_was_preferred=False,
            created_by_id=world.member_officer.id,
            created_at=clock.now() + timedelta(seconds=index), qa_visit_due_at=clock.now() + timedelta(hours=index),
            qa_visit_notes="", costs=[PlacementCost(position=1, description="Core weekly fee",
                                                    weekly_amount=Decimal("1000.00") + index)]))
    db.session.commit()


def test_provider_list_query_count(world, clock, sign_in):
    assert_constant(sign_in(world.member_officer), "/authority/off-framework-providers",
                    lambda start, stop: add_off_framework_providers(world, clock, start, stop),
                    shows=lambda index: f"Listed provider {index:02d}")


@pytest.mark.parametrize("url", ["/authority/placements", "/authority/tasks"])
def test_placements_and_tasks_query_count(world, clock, sign_in, url):
    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    assert_constant(sign_in(world.member_officer), url,
                    lambda start, stop: add_placements(world, clock, template, start, stop),
                    shows=lambda index: f"IPA-QC-{index:03d}")


# The evidence asked of a provider ----------------------------------------------------------------------------

def evidence_rows(page: str) -> dict[str, str]:
    """The provider page's evidence list: each kind's label and what is shown for it, as text."""
    section = page.split('id="evidence"', 1)[1].split('id="documents"', 1)[0]
    rows = re.findall(r'<dt class="govuk-summary-list__key">\s*(.*?)\s*</dt>\s*<dd class="govuk-summary-list__value">'
                      r'(.*?)</dd>', section, re.S)
    return {html.unescape(key): " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value)).split())
            for key, value in rows}


def test_the_provider_page_shows_each_piece_of_evidence_received_or_missing(world, clock, sign_in):
    provider = off_framework.create(world.member_officer, details(), clock.now())
    client = sign_in(world.member_officer)
    url = f"/authority/off-framework-providers/{provider.id}"
    assert evidence_rows(text_of(client.get(url))) == {
        "Current Ofsted report": "Missing", "Statement of purpose (or 16+ equivalent)": "Missing",
        "Children's guide (or 16+ equivalent)": "Missing", "Pricing schedule": "Missing"}
    assert ("Upload the evidence still missing before placing a child with this provider: Current Ofsted report, "
            "Statement of purpose (or 16+ equivalent), Children&#39;s guide (or 16+ equivalent), Pricing schedule."
            ) in text_of(client.get(url))

    refused = client.post(f"{url}/documents", data={"title": "", "file": (io.BytesIO(PDF), "sop.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and "Choose what the document is" in text_of(refused)
    response = client.post(f"{url}/documents", data={"kind": "statement_of_purpose", "title": "",
                                                      "file": (io.BytesIO(PDF), "sop.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    page = text_of(client.get(url))
    assert "Statement of purpose (or 16+ equivalent) uploaded" in html.unescape(page)
    rows = evidence_rows(page)
    assert rows["Statement of purpose (or 16+ equivalent)"] == (
        f"Received sop.pdf (Statement of purpose (or 16+ equivalent)) , {format_date(clock.now())}")
    assert rows["Pricing schedule"] == "Missing"

    # Without an Ofsted registration, no Ofsted report is asked for.
    unregistered = off_framework.create(world.member_officer, details(name="Quay Lodgings", ofsted_urn="",
                                                                      ofsted_rating=""), clock.now())
    rows = evidence_rows(text_of(client.get(f"/authority/off-framework-providers/{unregistered.id}")))
    assert rows["Current Ofsted report"] == "Not needed No Ofsted registration recorded"


def test_a_placement_with_evidence_missing_is_refused_with_what_is_missing(world, clock, sign_in):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock, evidence=False)
    upload_evidence(world.member_officer, provider, clock, ["ofsted_report", "statement_of_purpose"])
    client = sign_in(world.member_officer)
    url = f"/authority/referrals/{referral.id}/off-framework"
    page = html.unescape(text_of(client.get(url)))
    assert (f'<option value="{provider.id}">Northern Homes Ltd (Sefton, evidence missing)</option>') in page
    assert ("Evidence missing: Northern Homes Ltd (Children's guide (or 16+ equivalent), Pricing schedule)."
            in " ".join(re.sub(r"<[^>]+>", " ", page).split()))
    response = client.post(url, data=place_form(provider.id))
    assert response.status_code == 400
    assert ("Northern Homes Ltd has evidence missing: Children's guide (or 16+ equivalent), Pricing schedule. "
            "Upload it before placing a child there.") in html.unescape(text_of(response))
    assert 'value="Waking night staff"' in text_of(response)  # nothing typed is lost
    assert db.session.scalar(db.select(db.func.count(Placement.id))) == 0
    upload_evidence(world.member_officer, provider, clock, ["childrens_guide", "pricing_schedule"])
    approve_off_framework_placement(world, referral, provider, Decimal("2750.50"), clock)
    assert client.post(url, data=place_form(provider.id)).status_code == 302


def test_asking_for_the_placement_approvals_again_keeps_the_answers(world, clock, sign_in):
    """A stale tab re-posting the agreement and cost form: what was approved stays approved, nobody is told again;
    while a request waits the forms are not shown."""
    referral = exhausted_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    client = sign_in(world.member_officer)
    url = f"/authority/referrals/{referral.id}/off-framework"
    people = deciders(world, clock)
    assert client.post(url, data={"expected_weekly": "2,800.00", "notes": "Called three providers"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "withdraw the request" in page and 'name="expected_weekly"' not in page
    again = client.post(url, data={"expected_weekly": "2,800.00", "notes": "Called three providers"},
                        follow_redirects=True)
    assert "already asked for: it is waiting for an answer" in text_of(again)
    search = approvals.latest(referral, "off_framework_search")
    sign_in(people.budget_holder).post(f"/authority/approvals/{search.id}/answer", data={"decision": "approve"})
    form = {"agreed_provider_id": str(provider.id), "weekly_cost": "2,750.50"}
    assert client.post(f"{url}/approvals", data=form).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "you cannot ask again" in page and 'name="agreed_provider_id"' not in page
    agreement = approvals.latest(referral, "senior_agreement")
    cost = approvals.latest(referral, "placement_cost")
    sign_in(people.head_of_service).post(f"/authority/approvals/{agreement.id}/answer", data={"decision": "approve"})
    sign_in(people.budget_holder).post(f"/authority/approvals/{cost.id}/answer", data={"decision": "approve"})
    rows = db.session.scalar(db.select(db.func.count(Approval.id)))
    told = db.session.scalar(db.select(db.func.count(Notification.id)))
    again = client.post(f"{url}/approvals", data=form, follow_redirects=True)
    assert "were already asked for at that weekly cost" in text_of(again)
    db.session.refresh(agreement)
    db.session.refresh(cost)
    assert (agreement.status, cost.status) == ("approved", "approved")
    assert db.session.scalar(db.select(db.func.count(Approval.id))) == rows
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == told
    assert off_framework.placement_approvals(referral, provider, Decimal("2750.50")) == (agreement, cost)


def test_placement_approvals_nobody_can_give_are_refused_and_neither_is_asked(world, clock, sign_in):
    referral = exhausted_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    people = deciders(world, clock)
    approve_search(world, referral, clock)
    people.head_of_service.active = False
    db.session.commit()
    client = sign_in(world.member_officer)
    url = f"/authority/referrals/{referral.id}/off-framework"
    refused = client.post(f"{url}/approvals", data={"agreed_provider_id": str(provider.id), "weekly_cost": "2,750.50"})
    assert refused.status_code == 400
    assert "there is no head of service other than you. Ask your user administrator." in text_of(refused)
    assert approvals.latest(referral, "senior_agreement") is None and approvals.latest(referral, "placement_cost") \
        is None


@pytest.mark.parametrize("refused_kind", ["senior_agreement", "placement_cost"])
def test_one_of_the_pair_refused_closes_the_other_and_the_officer_may_ask_again(world, clock, sign_in, refused_kind):
    """The agreement and the cost are asked as a pair: when the head of service refuses the agreement (or a budget
    holder the cost), the other request, still waiting, leaves its answerer's Tasks page, closed and audited."""
    referral = exhausted_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    people = deciders(world, clock)
    approve_search(world, referral, clock)
    client = sign_in(world.member_officer)
    url = f"/authority/referrals/{referral.id}/off-framework"
    form = {"agreed_provider_id": str(provider.id), "weekly_cost": "2,750.50"}
    assert client.post(f"{url}/approvals", data=form).status_code == 302
    asked = {kind: approvals.latest(referral, kind) for kind in ("senior_agreement", "placement_cost")}
    other_kind = next(kind for kind in asked if kind != refused_kind)
    refuser, other = ((people.head_of_service, people.budget_holder) if refused_kind == "senior_agreement"
                      else (people.budget_holder, people.head_of_service))
    assert "No approvals are waiting for you" not in text_of(sign_in(other).get("/authority/tasks"))
    response = sign_in(refuser).post(f"/authority/approvals/{asked[refused_kind].id}/answer",
                                     data={"decision": "refuse", "reason": "Not at this cost"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Approval, asked[refused_kind].id).status == "refused"
    assert db.session.get(Approval, asked[other_kind].id).status == "withdrawn"
    assert "No approvals are waiting for you" in text_of(sign_in(other).get("/authority/tasks"))
    assert db.session.scalar(db.select(AuditEvent.action).where(
        AuditEvent.entity_type == "approval", AuditEvent.entity_id == asked[other_kind].id)
        .order_by(AuditEvent.id.desc()).limit(1)) == "approval.closed"
    page = client.get(url).get_data(as_text=True)
    assert "Not at this cost" in page and 'name="agreed_provider_id"' in page  # the officer may ask for both again
    assert client.post(f"{url}/approvals", data={**form, "weekly_cost": "2,600.00"}).status_code == 302
    assert approvals.latest(referral, "senior_agreement").is_pending
    assert approvals.latest(referral, "placement_cost").is_pending
