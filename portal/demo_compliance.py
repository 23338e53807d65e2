"""Demo data for the compliance register, on top of the contract management foundation (portal/demo_contracts.py):

- every contracted provider's settings inspected a year ago, then this month's Ofsted import applied by the lead's
  administrator: one of Brightwater Transitions' settings falls to Inadequate (its new placements restricted,
  waiting for Tameside's assistant director on the Tasks page), one of Northern Pathways' to Requires improvement
  (the placements there have a review due), and two rows of the file match no setting;
- insurance accepted for every contracted provider; Northern Pathways' employer's liability expires in 20 days
  (warned), Harbour Lane Homes' professional indemnity lapsed three days ago (restricted on every DPS), Mersey
  Horizons' renewed public liability certificate waits for its contract manager;
- an Ofsted restriction of accommodation recorded at Northern Pathways' Levenshulme Flats;
- Tameside's contract manager has marked this month's Ofsted review done; Sefton's has been reminded.
"""

import io
from datetime import datetime, timedelta

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from portal.extensions import db
from portal.models import Dps, Organisation, ProviderContract, Setting, User, UserRole
from portal.models.compliance import (
    EMPLOYERS_LIABILITY,
    PROFESSIONAL_INDEMNITY,
    PUBLIC_LIABILITY,
    RESTRICTION_OF_ACCOMMODATION,
)
from portal.models.user import ADMINISTRATOR, ASSISTANT_DIRECTOR, CONTRACT_MANAGER
from portal.services import compliance, ofsted_import
from portal.timezone import uk_today

HEADINGS = "Provider URN,Provision type,Inspection date,Inspection event type,Overall experiences and progress"


def _pdf(title: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawString(72, 770, title)
    page.drawString(72, 750, "Demonstration document for the placements portal.")
    page.save()
    return buffer.getvalue()


def _provider(name: str) -> Organisation | None:
    return db.session.scalar(db.select(Organisation).where(Organisation.name == name))


def _run_import(admin: User, rows: list[str], name: str, moment: datetime) -> None:
    data = ("\n".join([HEADINGS, *rows]) + "\n").encode()
    imported = ofsted_import.upload(admin, data=data, filename=name, now=moment)
    ofsted_import.save_mapping(admin, imported, ofsted_import.mapping_for(imported), moment)
    ofsted_import.apply(admin, imported, moment)


def _evidence(provider: Organisation, kind: str, expires_on, moment: datetime, decider: User | None) -> None:
    user = db.session.scalar(db.select(User).where(User.organisation_id == provider.id).order_by(User.id))
    title = f"{provider.name}: {kind.replace('_', ' ')}"
    evidence = compliance.submit_evidence(user, kind=kind, expires_on=expires_on, now=moment,
                                          filename="certificate.pdf", data=_pdf(title))
    if decider is not None:
        compliance.decide_evidence(decider, evidence, accept=True, reason="", now=moment + timedelta(hours=3))


def load(moment: datetime, make_user) -> list[tuple[str, str]]:
    """The compliance stages; `make_user` is portal/demo.py's (not needed: the people exist already)."""
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == "NW-16P-DPS")) or db.session.scalar(
        db.select(Dps).order_by(Dps.id))
    admin = db.session.scalar(db.select(User).join(UserRole).where(
        User.organisation_id == dps.lead_authority_id, UserRole.role == ADMINISTRATOR).order_by(User.id))
    director = db.session.scalar(db.select(User).join(UserRole).where(
        User.organisation_id == dps.lead_authority_id, UserRole.role == ASSISTANT_DIRECTOR).order_by(User.id))
    contracted = db.session.scalars(db.select(Organisation).where(Organisation.id.in_(
        db.select(ProviderContract.provider_id))).order_by(Organisation.id)).all()
    settings = db.session.scalars(db.select(Setting).where(Setting.provider_id.in_([p.id for p in contracted]),
                                                           Setting.ofsted_urn.is_not(None))
                                  .order_by(Setting.id)).all()
    today = uk_today(moment)
    # A year ago: every setting inspected and judged Good (Mersey Horizons Outstanding).
    year_ago = today - timedelta(days=365)
    _run_import(admin, [f"{setting.ofsted_urn},Children's home,{year_ago.isoformat()},Full inspection,"
                        f"{'Outstanding' if setting.provider.name == 'Mersey Horizons Housing' else 'Good'}"
                        for setting in settings], "ofsted-outcomes-last-year.csv", moment - timedelta(days=360))
    # This month: a fall to Inadequate and one to Requires improvement, and rows matching no setting.
    recent = (today - timedelta(days=12)).isoformat()
    changes = {"Brightwater Transitions CIC": "Inadequate", "Northern Pathways Supported Living Ltd": "3"}
    rows, seen = [], set()
    for setting in settings:
        judgement = changes.get(setting.provider.name)
        if judgement and setting.provider.name not in seen:
            seen.add(setting.provider.name)
            rows.append(f"{setting.ofsted_urn},Children's home,{recent},Full inspection,{judgement}")
    rows += [f"SC48813{index},Children's home,{recent},Full inspection,2" for index in range(2)]
    _run_import(admin, rows, "ofsted-outcomes-this-month.csv", moment - timedelta(days=2))
    # Insurance and evidence.
    managers = {contract.provider_id: contract.contract_manager for contract in db.session.scalars(
        db.select(ProviderContract).where(ProviderContract.contract_manager_id.is_not(None)))}
    long_ago = moment - timedelta(days=300)
    for provider in contracted:
        decider = managers.get(provider.id) or admin
        _evidence(provider, PUBLIC_LIABILITY, today + timedelta(days=200), long_ago, decider)
    northern, harbour = _provider("Northern Pathways Supported Living Ltd"), _provider("Harbour Lane Homes")
    mersey = _provider("Mersey Horizons Housing")
    if northern in contracted:
        _evidence(northern, EMPLOYERS_LIABILITY, today + timedelta(days=20), long_ago,
                  managers.get(northern.id) or admin)
    if harbour in contracted:
        _evidence(harbour, PROFESSIONAL_INDEMNITY, today - timedelta(days=3), long_ago,
                  managers.get(harbour.id) or admin)
    compliance.expiry_due(moment - timedelta(hours=1))
    if mersey in contracted:
        _evidence(mersey, PUBLIC_LIABILITY, today + timedelta(days=565), moment - timedelta(days=1), None)
    # An enforcement notice at Northern Pathways' second setting.
    flats = db.session.scalar(db.select(Setting).where(Setting.name == "Northern Pathways: Levenshulme Flats"))
    if flats is not None and northern in contracted:
        compliance.record_notice(admin, flats, kind=RESTRICTION_OF_ACCOMMODATION, now=moment - timedelta(days=5),
                                 issued_on=today - timedelta(days=6), notes="No new admissions until Ofsted revisits",
                                 data=_pdf("Ofsted: notice of restriction of accommodation"), filename="notice.pdf")
    # The monthly review: reminded, and marked done by the lead's contract manager.
    compliance.remind_reviews(moment - timedelta(hours=2))
    lead_manager = db.session.scalar(db.select(User).join(UserRole).where(
        User.organisation_id == dps.lead_authority_id, UserRole.role == CONTRACT_MANAGER).order_by(User.id))
    if lead_manager is not None:
        compliance.mark_review_done(lead_manager, notes="Latest judgements checked against the Ofsted import",
                                    now=moment - timedelta(hours=1))
    db.session.commit()
    lines = [("Ofsted imports: the consortium administrator (Tameside)", admin.email)]
    if director is not None:
        lines.append(("Assistant director (Tameside): an Inadequate judgement to decide", director.email))
    if mersey is not None:
        user = db.session.scalar(db.select(User).where(User.organisation_id == mersey.id).order_by(User.id))
        lines.append(("Provider with renewed insurance waiting for a decision", user.email))
    return lines
