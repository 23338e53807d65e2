"""The compliance register's pages: the messages people see, and nothing changed on bad input."""

import io
from datetime import date

import pytest
from flask import url_for

from portal.extensions import db
from portal.models import Evidence, Inspection, OfstedImport, OfstedMapping
from portal.models.compliance import ACCEPTED, SUBMITTED
from portal.services import compliance, standing
from tests.factories import PDF, admit, contract_manager, contract_of, deciders, lead_deciders, setting_for

CSV = (b"URN,Provider type,Inspection date,Inspection type,Overall effectiveness\n"
       b"SC100001,Children's home,2026-03-01,Full,Good\n"
       b"SC100001,Children's home,2026-10-01,Full,Inadequate\n"
       b"SC999999,Children's home,2026-10-01,Full,2\n")


@pytest.fixture
def home(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    return setting_for(world.provider_a, clock, urn="SC100001", name="Alder House")


@pytest.fixture
def manager(world, clock, home):
    person = contract_manager(world, clock)
    contract_of(world, world.provider_a).contract_manager_id = person.id
    db.session.commit()
    return person


def _upload(client, data=CSV, name="ofsted.csv"):
    return client.post(url_for("admin.ofsted_imports"), data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _imported(client):
    response = _upload(client)
    assert response.status_code == 302
    imported = db.session.scalars(db.select(OfstedImport).order_by(OfstedImport.id.desc())).first()
    columns = {"urn_column": "URN", "provider_type_column": "Provider type", "date_column": "Inspection date",
               "type_column": "Inspection type", "judgement_column": "Overall effectiveness"}
    response = client.post(url_for("admin.ofsted_import_mapping", import_id=imported.id), data=columns)
    assert response.status_code == 302
    return imported


def test_the_administrator_uploads_maps_previews_and_applies_once(world, sign_in, home):
    client = sign_in(world.admin)
    page = client.get(url_for("admin.ofsted_imports")).get_data(as_text=True)
    assert "Ofsted imports" in page and "No Ofsted data has been imported yet" in page
    refused = _upload(client, data=PDF, name="ofsted.pdf")
    assert refused.status_code == 400 and "must be Ofsted&#39;s data as a CSV file" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(OfstedImport.id))) == 0
    response = _upload(client)
    imported = db.session.scalars(db.select(OfstedImport)).one()
    assert response.headers["Location"].endswith(url_for("admin.ofsted_import_mapping", import_id=imported.id))
    mapping = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<option selected value="URN">' in mapping or 'value="URN" selected' in mapping
    twice = client.post(url_for("admin.ofsted_import_mapping", import_id=imported.id),
                        data={"urn_column": "URN", "provider_type_column": "URN", "date_column": "Inspection date",
                              "type_column": "Inspection type", "judgement_column": ""})
    text = twice.get_data(as_text=True)
    assert twice.status_code == 400 and "each column holds one thing" in text
    assert "Choose the column that holds the overall judgement" in text
    assert db.session.scalar(db.select(OfstedMapping)) is None
    imported = _imported(client)
    preview = client.get(url_for("admin.ofsted_import", import_id=imported.id)).get_data(as_text=True)
    assert "Alder House (URN SC100001)" in preview and "Fell" in preview and "SC999999" in preview
    assert db.session.scalar(db.select(db.func.count(Inspection.id))) == 0
    applied = client.post(url_for("admin.ofsted_import_apply", import_id=imported.id), follow_redirects=True)
    assert "Import applied: 2 judgements recorded, 1 of them falls" in applied.get_data(as_text=True)
    again = client.post(url_for("admin.ofsted_import_apply", import_id=imported.id), follow_redirects=True)
    assert "This import was already applied" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Inspection.id))) == 2


def test_the_assistant_director_decides_from_tasks(world, sign_in, home, clock):
    director = lead_deciders(world, clock).assistant_director
    _imported(sign_in(world.admin))
    client = sign_in(world.admin)
    imported = db.session.scalars(db.select(OfstedImport)).one()
    client.post(url_for("admin.ofsted_import_apply", import_id=imported.id))
    inspection = db.session.scalars(db.select(Inspection).where(Inspection.judgement == 4)).one()
    # The decision is the lead's: a member's assistant director can neither open it nor decide it.
    member_director = sign_in(deciders(world, clock).assistant_director)
    assert member_director.get(url_for("buyer.contracts_inspection", inspection_id=inspection.id)).status_code == 404
    refused = member_director.post(url_for("buyer.contracts_inspection", inspection_id=inspection.id),
                                   data={"decision": "lift", "reason": "Not ours to lift"})
    assert refused.status_code == 404 and db.session.get(Inspection, inspection.id).decision is None
    client = sign_in(director)
    tasks = client.get(url_for("buyer.tasks")).get_data(as_text=True)
    assert "Inadequate judgements to decide (1)" in tasks
    page = client.get(url_for("buyer.contracts_inspection", inspection_id=inspection.id)).get_data(as_text=True)
    assert "Waiting for the assistant director" in page and "Extend the restriction to the whole provider" in page
    empty = client.post(url_for("buyer.contracts_inspection", inspection_id=inspection.id), data={})
    text = empty.get_data(as_text=True)
    assert empty.status_code == 400 and "Choose whether to lift, keep or extend" in text
    assert "Give the reason for the decision" in text
    done = client.post(url_for("buyer.contracts_inspection", inspection_id=inspection.id),
                       data={"decision": "keep", "reason": "Improvement plan under way"}, follow_redirects=True)
    assert "Decision on Alder House (URN SC100001) recorded" in done.get_data(as_text=True)
    assert standing.restricted_setting_ids(world.dps.id, world.provider_a.organisation_id) == {home.id}
    contract_page = sign_in(world.member_officer).get(url_for(
        "buyer.contracts_provider", dps_id=world.dps.id, provider_id=world.provider_a.organisation_id))
    text = contract_page.get_data(as_text=True)
    assert "Compliance" in text and "Inadequate" in text and "Keep the restriction of the setting" in text


def test_the_provider_uploads_evidence_and_the_contract_manager_decides(world, sign_in, manager, clock):
    provider = sign_in(world.provider_a)
    bad = provider.post(url_for("supplier.compliance_evidence"), data={}, content_type="multipart/form-data")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Choose what the evidence is" in text
    assert "Enter the date the evidence expires" in text
    assert db.session.scalar(db.select(Evidence)) is None
    good = provider.post(url_for("supplier.compliance_evidence"), follow_redirects=True,
                         content_type="multipart/form-data",
                         data={"kind": "public_liability", "expires_on": ["30", "6", "2027"],
                               "file": (io.BytesIO(PDF), "cover.pdf")})
    assert "Public liability insurance uploaded" in good.get_data(as_text=True)
    evidence = db.session.scalars(db.select(Evidence)).one()
    client = sign_in(manager)
    assert "Evidence to check (1)" in client.get(url_for("buyer.tasks")).get_data(as_text=True)
    refused = client.post(url_for("buyer.contracts_evidence", evidence_id=evidence.id), data={"decision": "reject"})
    assert refused.status_code == 400 and "Give the reason for rejecting the evidence" in refused.get_data(as_text=True)
    db.session.refresh(evidence)
    assert evidence.status == SUBMITTED
    client.post(url_for("buyer.contracts_evidence", evidence_id=evidence.id), data={"decision": "accept"})
    db.session.refresh(evidence)
    assert evidence.status == ACCEPTED
    stale = client.post(url_for("buyer.contracts_evidence", evidence_id=evidence.id), data={"decision": "reject",
                                                                                           "reason": "x"})
    assert stale.status_code == 400 and "already been accepted" in stale.get_data(as_text=True)
    assert client.get(url_for("buyer.contracts_evidence_file", evidence_id=evidence.id)).data == PDF


def test_the_contract_manager_marks_the_review_done_and_records_a_notice(world, sign_in, manager, home):
    client = sign_in(manager)
    assert "This month's Ofsted review" in client.get(url_for("buyer.tasks")).get_data(as_text=True)
    done = client.post(url_for("buyer.contracts_ofsted_review"), data={"notes": ""}, follow_redirects=True)
    assert "This month&#39;s Ofsted review is marked done" in done.get_data(as_text=True)
    again = client.post(url_for("buyer.contracts_ofsted_review"), data={"notes": ""}, follow_redirects=True)
    assert "already marked done" in again.get_data(as_text=True)
    url = url_for("buyer.contracts_notice_new", dps_id=world.dps.id, provider_id=world.provider_a.organisation_id)
    bad = client.post(url, data={"setting_id": str(home.id)}, content_type="multipart/form-data")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Choose the kind of notice" in text and "Enter the date of the notice" in text
    assert compliance.notices_by_setting([home.id]) == {}
    good = client.post(url, content_type="multipart/form-data", follow_redirects=True,
                       data={"setting_id": str(home.id), "kind": "summons", "issued_on": ["1", "10", "2026"],
                             "file": (io.BytesIO(PDF), "n.pdf")})
    text = good.get_data(as_text=True)
    assert "Enforcement notice about Alder House (URN SC100001) recorded" in text and "Summons" in text
    assert standing.restricted_setting_ids(world.dps.id, world.provider_a.organisation_id) == {home.id}
    assert date(2026, 10, 1) == compliance.notices_by_setting([home.id])[home.id][0].issued_on


def test_the_administrator_decides_evidence_too(world, sign_in, home, clock):
    evidence = compliance.submit_evidence(world.provider_a, kind="employers_liability", expires_on=date(2027, 3, 31),
                                          data=PDF, filename="cover.pdf", now=clock.now())
    client = sign_in(world.admin)
    listed = client.get(url_for("admin.compliance_evidence_list")).get_data(as_text=True)
    assert "Employer&#39;s liability insurance" in listed and "Alpha Care" in listed
    refused = client.post(url_for("admin.compliance_evidence", evidence_id=evidence.id), data={})
    assert refused.status_code == 400 and "Choose whether to accept or reject the evidence" in refused.get_data(
        as_text=True)
    done = client.post(url_for("admin.compliance_evidence", evidence_id=evidence.id),
                       data={"decision": "reject", "reason": "The certificate is unsigned"}, follow_redirects=True)
    assert "Employer&#39;s liability insurance of Alpha Care rejected" in done.get_data(as_text=True)
    assert "The certificate is unsigned" in sign_in(world.provider_a).get(
        url_for("supplier.compliance_evidence")).get_data(as_text=True)
    assert sign_in(world.outside_admin).get(url_for("admin.compliance_evidence", evidence_id=evidence.id)
                                            ).status_code == 404


def test_the_administrator_records_a_notice_too(world, sign_in, home):
    client = sign_in(world.admin)
    url = url_for("admin.compliance_notice_new", provider_id=world.provider_a.organisation_id)
    assert "Record an enforcement notice" in client.get(url).get_data(as_text=True)
    bad = client.post(url, data={"kind": "summons"}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "Choose the setting the notice is about" in bad.get_data(as_text=True)
    good = client.post(url, content_type="multipart/form-data", follow_redirects=True,
                       data={"setting_id": str(home.id), "kind": "notice_to_cancel", "issued_on": ["2", "10", "2026"],
                             "file": (io.BytesIO(PDF), "n.pdf")})
    assert "Enforcement notice about Alder House (URN SC100001) recorded" in good.get_data(as_text=True)
    assert standing.restricted_setting_ids(world.dps.id, world.provider_a.organisation_id) == {home.id}
    assert sign_in(world.outside_admin).get(url).status_code == 404
