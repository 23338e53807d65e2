"""The monthly Ofsted import: a lead's administrator uploads Ofsted's published inspection data as CSV, says which
column holds the URN, the provider type, the inspection date, the inspection type and the overall judgement (1-4
or the words), sees a preview of what changes, then applies it once.

- Ofsted's column names change between releases: the mapping is asked for each upload, offered as the lead's last
  one (or a guess from the headings) and remembered when saved.
- The preview lists the new judgements of the settings of providers holding a contract on the lead's DPSs (falls
  highlighted), the rows matching no such setting, and the rows that cannot be read (with the reason). A judgement
  already recorded (same setting, date and inspection type) is not new.
- Applying records the new inspections and sets off their effects (portal.services.compliance.after_inspection);
  an import is applied once: a second submission is refused with the date it was applied.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from portal.errors import DomainError, NotFound, Problems
from portal.extensions import db
from portal.models import Dps, Inspection, OfstedImport, OfstedMapping, ProviderContract, Setting, User
from portal.models.compliance import JUDGEMENTS
from portal.models.user import ADMINISTRATOR
from portal.services import audit, compliance, uploads
from portal.timezone import format_datetime

# The fields to map, with their labels and words that suggest a column heading holds them.
FIELDS = {
    "urn_column": ("URN", ("urn",)),
    "provider_type_column": ("Provider type", ("provider type", "type of provider", "provision type")),
    "date_column": ("Inspection date", ("inspection date", "date of inspection", "publication date", "date")),
    "type_column": ("Inspection type", ("inspection type", "event type", "type of inspection")),
    "judgement_column": ("Overall judgement", ("overall effectiveness", "overall judgement", "overall experiences",
                                               "judgement", "rating")),
}
WORDS = {label.lower(): grade for grade, label in JUDGEMENTS.items()}
WORDS.update({"requires improvement": 3, "requires improvement to be good": 3})
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y")
SHOWN = 200  # rows of each kind listed in the preview


def _admin(user: User) -> None:
    if not user.has_role(ADMINISTRATOR) or user.organisation.is_provider:
        raise NotFound()


def upload(user: User, *, data: bytes, filename: str, now: datetime) -> OfstedImport:
    """Keep an uploaded CSV for mapping and preview; it must be a CSV with a heading row."""
    _admin(user)
    file_type = uploads.check(data, filename)
    if file_type != "csv":
        raise DomainError("The selected file must be Ofsted's data as a CSV file", field="file")
    if len(headings_of(data)) < 2:
        raise DomainError("The selected file has no heading row", field="file")
    imported = OfstedImport(lead_id=user.organisation_id, filename=uploads.display_name(filename),
                            stored_name=uploads.store(data), uploaded_at=now, uploaded_by_id=user.id)
    db.session.add(imported)
    db.session.flush()
    audit.record(at=now, actor=user, action="ofsted_import.uploaded", entity=imported,
                 summary=f"Ofsted data {imported.filename} uploaded", after={"filename": imported.filename})
    db.session.commit()
    return imported


def imports_of(user: User):
    """The lead's imports, newest first (a query to paginate)."""
    _admin(user)
    return (db.select(OfstedImport).where(OfstedImport.lead_id == user.organisation_id)
            .order_by(OfstedImport.uploaded_at.desc(), OfstedImport.id.desc()))


def get(user: User, import_id: int) -> OfstedImport:
    _admin(user)
    imported = db.session.get(OfstedImport, import_id)
    if imported is None or imported.lead_id != user.organisation_id:
        raise NotFound()
    return imported


def _text(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def headings_of(data: bytes) -> list[str]:
    reader = csv.reader(io.StringIO(_text(data)))
    return [heading.strip() for heading in next(reader, [])]


def _data(imported: OfstedImport) -> bytes:
    return uploads.path_of(imported.stored_name).read_bytes()


def headings(imported: OfstedImport) -> list[str]:
    return headings_of(_data(imported))


def mapping_for(imported: OfstedImport) -> dict[str, str]:
    """The lead's remembered mapping where its columns are in this file, else a guess from the headings."""
    found = headings(imported)
    saved = db.session.scalar(db.select(OfstedMapping).where(OfstedMapping.lead_id == imported.lead_id))
    mapping = {}
    for name, (_label, words) in FIELDS.items():
        remembered = getattr(saved, name) if saved else None
        if remembered in found:
            mapping[name] = remembered
            continue
        mapping[name] = next((heading for word in words for heading in found if word in heading.lower()), "")
    return mapping


def save_mapping(user: User, imported: OfstedImport, columns: dict[str, str], now: datetime) -> dict[str, str]:
    """Check the chosen columns (each a heading of the file, no column twice) and remember them for next time."""
    _admin(user)
    found = headings(imported)
    problems = Problems()
    chosen = {}
    for name, (label, _words) in FIELDS.items():
        value = (columns.get(name) or "").strip()
        if value not in found:
            problems.errors[name] = f"Choose the column that holds the {label.lower()}"
        elif value in chosen.values():
            problems.errors[name] = f"Choose a different column for the {label.lower()}: each column holds one thing"
        chosen[name] = value
    problems.raise_any()
    saved = db.session.scalar(db.select(OfstedMapping).where(OfstedMapping.lead_id == user.organisation_id))
    before = {name: getattr(saved, name) for name in FIELDS} if saved else None
    if saved is None:
        saved = OfstedMapping(lead_id=user.organisation_id, updated_at=now, **chosen)
        db.session.add(saved)
    for name, value in chosen.items():
        setattr(saved, name, value)
    saved.updated_at = now
    db.session.flush()
    if before != chosen:
        audit.record(at=now, actor=user, action="ofsted_mapping.saved", entity=saved,
                     summary="Ofsted import's column mapping saved", before=before, after=chosen)
    db.session.commit()
    return chosen


def parse_judgement(value: str) -> int | None:
    value = (value or "").strip().lower()
    if value in {"1", "2", "3", "4"}:
        return int(value)
    return WORDS.get(value)


def parse_date(value: str) -> date | None:
    value = (value or "").strip()
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(value, form).date()
        except ValueError:
            continue
    return None


@dataclass
class Change:
    setting: Setting
    inspected_on: date
    inspection_type: str
    provider_type: str
    judgement: int
    previous: int | None

    @property
    def fell(self) -> bool:
        return self.previous is not None and self.judgement > self.previous

    @property
    def judgement_label(self) -> str:
        return JUDGEMENTS[self.judgement]

    @property
    def previous_label(self) -> str:
        return JUDGEMENTS[self.previous] if self.previous else "None recorded"


@dataclass
class Preview:
    changes: list[Change] = field(default_factory=list)
    unmatched: list[tuple[int, str, str]] = field(default_factory=list)  # (line, URN, provider type)
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    already: int = 0  # judgements already recorded

    @property
    def falls(self) -> int:
        return sum(change.fell for change in self.changes)


def _consortium_settings(lead_id: int) -> dict[str, Setting]:
    """The settings (by URN) of the providers holding a contract on the lead's DPSs (one query)."""
    providers = db.select(ProviderContract.provider_id).join(Dps, Dps.id == ProviderContract.dps_id).where(
        Dps.lead_authority_id == lead_id)
    return {setting.ofsted_urn.strip().upper(): setting for setting in db.session.scalars(
        db.select(Setting).where(Setting.ofsted_urn.is_not(None), Setting.provider_id.in_(providers))
        .options(db.selectinload(Setting.provider)))}


def preview(imported: OfstedImport, mapping: dict[str, str]) -> Preview:
    """What applying the import would change, read from the file with the mapping (three queries)."""
    result = Preview()
    settings = _consortium_settings(imported.lead_id)
    rows = []
    reader = csv.DictReader(io.StringIO(_text(_data(imported))))
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    for line, row in enumerate(reader, start=2):
        urn = (row.get(mapping["urn_column"]) or "").strip().upper()
        provider_type = (row.get(mapping["provider_type_column"]) or "").strip()
        if not urn:
            result.unreadable.append((line, "No URN"))
            continue
        setting = settings.get(urn)
        if setting is None:
            result.unmatched.append((line, urn, provider_type))
            continue
        inspected_on = parse_date(row.get(mapping["date_column"]))
        judgement = parse_judgement(row.get(mapping["judgement_column"]))
        inspection_type = (row.get(mapping["type_column"]) or "").strip()[:120] or "Inspection"
        if inspected_on is None:
            result.unreadable.append((line, f"URN {urn}: the inspection date is not a date"))
        elif judgement is None:
            result.unreadable.append((line, f"URN {urn}: the judgement is not 1 to 4 nor Ofsted's words"))
        else:
            rows.append((setting, inspected_on, inspection_type, provider_type, judgement))
    ids = {row[0].id for row in rows}
    recorded = {}
    if ids:
        for inspection in db.session.scalars(db.select(Inspection).where(Inspection.setting_id.in_(ids))
                                             .order_by(Inspection.inspected_on, Inspection.id)):
            recorded[(inspection.setting_id, inspection.inspected_on, inspection.inspection_type)] = inspection
    latest = {}
    for (setting_id, _on, _type), inspection in recorded.items():
        latest[setting_id] = inspection.judgement  # ordered by date: the last one wins
    seen = set()
    for setting, inspected_on, inspection_type, provider_type, judgement in sorted(
            rows, key=lambda row: (row[0].id, row[1])):
        key = (setting.id, inspected_on, inspection_type)
        if key in recorded or key in seen:
            result.already += 1
            continue
        seen.add(key)
        result.changes.append(Change(setting, inspected_on, inspection_type, provider_type, judgement,
                                     latest.get(setting.id)))
        latest[setting.id] = judgement
    result.changes.sort(key=lambda change: (not change.fell, change.setting.provider.name, change.setting.name,
                                            change.inspected_on))
    return result


def apply(user: User, imported: OfstedImport, now: datetime) -> Preview:
    """Record the import's new judgements and set off their effects: once."""
    _admin(user)
    if imported.is_applied:
        raise DomainError(f"This import was already applied on {format_datetime(imported.applied_at)}.")
    saved = db.session.scalar(db.select(OfstedMapping).where(OfstedMapping.lead_id == imported.lead_id))
    if saved is None:
        raise DomainError("Choose the columns before applying the import.")
    mapping = {name: getattr(saved, name) for name in FIELDS}
    if any(column not in headings(imported) for column in mapping.values()):
        raise DomainError("Choose the columns before applying the import.")
    result = preview(imported, mapping)
    imported.applied_at, imported.applied_by_id = now, user.id
    imported.recorded, imported.falls = len(result.changes), result.falls
    try:
        db.session.flush()
    except Exception:  # a concurrent apply got there first
        db.session.rollback()
        raise DomainError("This import was already applied.") from None
    for change in sorted(result.changes, key=lambda change: (change.setting.id, change.inspected_on)):
        inspection = Inspection(setting_id=change.setting.id, inspected_on=change.inspected_on,
                                inspection_type=change.inspection_type, judgement=change.judgement,
                                previous_judgement=change.previous, lead_id=imported.lead_id, import_id=imported.id,
                                recorded_at=now, recorded_by_id=user.id)
        inspection.setting = change.setting
        db.session.add(inspection)
        db.session.flush()
        compliance.after_inspection(inspection, user, now)
    audit.record(at=now, actor=user, action="ofsted_import.applied", entity=imported,
                 summary=f"Ofsted data {imported.filename} applied: {len(result.changes)} judgements, "
                         f"{result.falls} falls", after={"recorded": len(result.changes), "falls": result.falls})
    db.session.commit()
    return result
