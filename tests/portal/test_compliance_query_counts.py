"""The compliance register's pages and scheduler jobs send as many SQL statements for many rows as for few: the
Ofsted import's preview, the contract page's panel, the provider's evidence, the Tasks page's compliance section,
the evidence warnings and the monthly review reminders."""

import io
from datetime import date, timedelta

from flask import url_for

from portal.extensions import db
from portal.models import Evidence, Inspection, OfstedImport, ProviderContract, Setting
from portal.models.compliance import ACCEPTED, SUBMITTED
from portal.services import compliance, ofsted_import
from portal.timezone import uk_today
from tests.factories import admit, contract_manager, lead_deciders, setting_for
from tests.portal.test_query_counts import FEW, MANY, add_provider, assert_constant, counting, statements_for


def _contracted_setting(world, clock, index, manager=None) -> Setting:
    provider = add_provider(world, index).organisation
    db.session.add(ProviderContract(dps_id=world.dps.id, provider_id=provider.id, created_at=clock.now(),
                                    contract_manager_id=manager.id if manager else None))
    setting = Setting(provider_id=provider.id, name=f"Home {index:02d}", kind="childrens_home",
                      ofsted_urn=f"SC7{index:05d}", created_at=clock.now())
    db.session.add(setting)
    db.session.commit()
    return setting


def _csv(count: int) -> bytes:
    rows = [f"SC7{index:05d},Children's home,2026-10-0{1 + index % 9},Full,{1 + index % 4}" for index in range(count)]
    rows += [f"SC8{index:05d},Children's home,2026-10-01,Full,2" for index in range(count)]  # matching nothing
    return ("URN,Provider type,Inspection date,Inspection type,Overall effectiveness\n" + "\n".join(rows)).encode()


def test_the_import_preview(world, sign_in, clock):
    client = sign_in(world.admin)
    counts = []
    for start, stop in ((0, FEW), (FEW, MANY)):
        for index in range(start, stop):
            _contracted_setting(world, clock, index)
        client.post(url_for("admin.ofsted_imports"), content_type="multipart/form-data",
                    data={"file": (io.BytesIO(_csv(stop)), "ofsted.csv")})
        imported = db.session.scalars(db.select(OfstedImport).order_by(OfstedImport.id.desc())).first()
        ofsted_import.save_mapping(world.admin, imported, ofsted_import.mapping_for(imported), clock.now())
        url = url_for("admin.ofsted_import", import_id=imported.id)
        page = client.get(url).get_data(as_text=True)
        assert f"Home {stop - 1:02d}" in page and f"SC8{stop - 1:05d}" in page
        counts.append(len(statements_for(client, url)))
    assert counts[0] == counts[1]


def test_the_contract_page_panel(world, sign_in, clock):
    admit(world.provider_a, world.lots[0], clock=clock)

    def add(start, stop):
        for index in range(start, stop):
            setting = setting_for(world.provider_a, clock, urn=f"SC6{index:05d}", name=f"House {index:02d}")
            db.session.add(Inspection(setting_id=setting.id, inspected_on=date(2026, 1, 1) + timedelta(days=index),
                                      inspection_type="Full", judgement=1 + index % 4, recorded_at=clock.now()))
            db.session.add(Evidence(provider_id=world.provider_a.organisation_id, kind="public_liability",
                                    expires_on=date(2027, 1, 1) + timedelta(days=index), filename="c.pdf",
                                    stored_name="x", file_type="pdf", uploaded_at=clock.now(),
                                    uploaded_by_id=world.provider_a.id, status=ACCEPTED))
        db.session.commit()

    assert_constant(sign_in(world.member_officer),
                    url_for("buyer.contracts_provider", dps_id=world.dps.id,
                            provider_id=world.provider_a.organisation_id),
                    add, shows=lambda index: f"House {index:02d}")


def test_the_providers_evidence(world, sign_in, clock):
    def add(start, stop):
        for index in range(start, stop):
            db.session.add(Evidence(provider_id=world.provider_a.organisation_id, kind="employers_liability",
                                    expires_on=date(2027, 1, 1) + timedelta(days=index), filename=f"c{index}.pdf",
                                    stored_name="x", file_type="pdf", uploaded_at=clock.now(),
                                    uploaded_by_id=world.provider_a.id, status=SUBMITTED))
        db.session.commit()

    assert_constant(sign_in(world.provider_a), url_for("supplier.compliance_evidence"), add)


def test_the_tasks_section(world, sign_in, clock):
    manager = contract_manager(world, clock)
    director = lead_deciders(world, clock).assistant_director
    manager.role_rows.append(type(manager.role_rows[0])(role="assistant_director"))
    db.session.commit()
    assert director

    def add(start, stop):
        for index in range(start, stop):
            setting = _contracted_setting(world, clock, index, manager)
            db.session.add(Evidence(provider_id=setting.provider_id, kind="public_liability",
                                    expires_on=date(2027, 1, 1), filename="c.pdf", stored_name="x", file_type="pdf",
                                    uploaded_at=clock.now(), uploaded_by_id=world.provider_a.id, status=SUBMITTED))
            db.session.add(Inspection(setting_id=setting.id, inspected_on=date(2026, 10, 1), inspection_type="Full",
                                      judgement=4, lead_id=world.lead.id, recorded_at=clock.now()))
        db.session.commit()

    assert_constant(sign_in(manager), url_for("buyer.tasks"), add, shows=lambda index: f"Home {index:02d}")


def test_the_scheduler_jobs(app, world, clock):
    counts = []
    for start, stop in ((0, FEW), (FEW, MANY)):
        manager = contract_manager(world, clock, name=f"Manager {stop}", email=f"cm{stop}@lead.example.org")
        for index in range(start, stop):
            setting = _contracted_setting(world, clock, index, manager)
            db.session.add(Evidence(provider_id=setting.provider_id, kind="public_liability",
                                    expires_on=uk_today(clock.now()) + timedelta(days=20), filename="c.pdf",
                                    stored_name="x", file_type="pdf", uploaded_at=clock.now(),
                                    uploaded_by_id=world.provider_a.id, status=ACCEPTED))
        db.session.commit()
        with app.test_request_context(), counting() as warnings:
            assert compliance.expiry_due(clock.now()) == stop - start
        with app.test_request_context(), counting() as reminders:
            assert compliance.remind_reviews(clock.now()) >= 1
        counts.append((len(warnings), len(reminders)))
        clock.advance(days=31)  # next month; the first round's evidence is taken as renewed
        db.session.execute(db.update(Evidence).values(status="rejected"))
        db.session.commit()
    assert counts[0] == counts[1]


def test_the_administrators_evidence_list(world, sign_in, clock):
    def add(start, stop):
        for index in range(start, stop):
            setting = _contracted_setting(world, clock, index)
            db.session.add(Evidence(provider_id=setting.provider_id, kind="public_liability",
                                    expires_on=date(2027, 1, 1), filename="c.pdf", stored_name="x", file_type="pdf",
                                    uploaded_at=clock.now(), uploaded_by_id=world.provider_a.id, status=SUBMITTED))
        db.session.commit()

    assert_constant(sign_in(world.admin), url_for("admin.compliance_evidence_list"), add,
                    shows=lambda index: f"Provider {index:02d}")


def test_the_imports_list(world, sign_in, clock):
    def add(start, stop):
        for index in range(start, stop):
            db.session.add(OfstedImport(lead_id=world.lead.id, filename=f"ofsted-{index:02d}.csv", stored_name="x",
                                        uploaded_at=clock.now(), uploaded_by_id=world.admin.id))
        db.session.commit()

    assert_constant(sign_in(world.admin), url_for("admin.ofsted_imports"), add,
                    shows=lambda index: f"ofsted-{index:02d}.csv")
