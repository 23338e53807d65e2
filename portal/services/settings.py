"""A provider's settings: its children's homes, fostering branches and supported accommodation services.

The rules, in one place:

* Every user of a provider sees its settings and offers them in bids; its user administrators (the people who
  manage the provider's account, its colleagues and its registration details) add, change and close them. A
  registered manager would not expect any bid writer to change an Ofsted registration.
* An Ofsted URN is written as Ofsted shows it (1234567 or SC123456, checked like registration's) and belongs to
  one setting only: no other setting may hold it, nor another provider registered under it.
* The area is one of portal/areas' lowest tier (the district, unitary authority or borough the setting is in).
* Closing a setting keeps it for the placements made there; a closed setting is not offered in bids. Closing
  twice, saving a stale page or adding the same setting twice changes nothing and says why.
* A provider that registers with a URN gets its first setting from it (`first_from_registration`).
* Every change is audited in the same transaction; nothing here names a child.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from portal import areas
from portal.errors import DomainError, NotFound, Problems
from portal.extensions import db
from portal.models import Organisation, Setting, User
from portal.models.setting import SETTING_KINDS
from portal.models.user import PROVIDER_USER, USER_ADMINISTRATOR
from portal.services import accounts, audit
from portal.services.listing import cleaned, matching

PER_PAGE = 20
OPEN, CLOSED = "open", "closed"
STATUS_FILTERS = {OPEN: "Open", CLOSED: "Closed"}
STALE = "This setting was changed by someone else since you opened the page. Check it and save again."
URN_TAKEN = "Another setting or provider is registered under this Ofsted URN. Check the URN on your registration."


@dataclass
class SettingInput:
    """What the setting form holds."""

    name: str = ""
    kind: str = ""
    ofsted_urn: str = ""
    area_code: str = ""
    address: str = ""
    description: str = ""


# Who may do what ---------------------------------------------------------------------------------------------

def may_manage(user: User) -> bool:
    """The user administrators of a provider add, change and close its settings."""
    return user.organisation.is_provider and user.has_role(USER_ADMINISTRATOR)


def _require_provider(user: User) -> None:
    if not user.organisation.is_provider or not user.has_role(PROVIDER_USER):
        raise NotFound()


def _require_manager(user: User) -> None:
    _require_provider(user)
    if not may_manage(user):
        raise DomainError("Only your organisation's user administrators can change its settings")


def own_setting(user: User, setting_id: int) -> Setting:
    """One of the user's provider's settings; NotFound for anyone else's."""
    _require_provider(user)
    setting = db.session.get(Setting, setting_id)
    if setting is None or setting.provider_id != user.organisation_id:
        raise NotFound()
    return setting


# Reading -----------------------------------------------------------------------------------------------------

def settings_page(user: User, *, status: str | None, search: str, page: int):
    """The user's provider's settings, open first then by name, a page at a time; `status` open or closed."""
    _require_provider(user)
    query = db.select(Setting).where(Setting.provider_id == user.organisation_id)
    if status == OPEN:
        query = query.where(Setting.closed_at.is_(None))
    elif status == CLOSED:
        query = query.where(Setting.closed_at.is_not(None))
    search = cleaned(search)
    if search:
        query = query.where(matching(search, [Setting.name, Setting.ofsted_urn, Setting.address]))
    return db.paginate(query.order_by(Setting.closed_at.is_not(None), Setting.name, Setting.id), page=page,
                       per_page=PER_PAGE, error_out=False)


def open_settings(provider_id: int) -> list[Setting]:
    """The provider's open settings, by name: those it may offer in a bid."""
    return list(db.session.scalars(db.select(Setting).where(Setting.provider_id == provider_id,
                                                            Setting.closed_at.is_(None))
                                   .order_by(Setting.name, Setting.id)))


def fingerprint(setting: Setting) -> str:
    """What the change form was built from: a save based on an older state is refused (stale page)."""
    state = {"name": setting.name, "kind": setting.kind, "urn": setting.ofsted_urn, "area": setting.area_code,
             "address": setting.address, "description": setting.description,
             "closed": setting.closed_at.isoformat() if setting.closed_at else None}
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:32]


# Checking what was typed -------------------------------------------------------------------------------------

def _urn(value: str) -> str | None:
    urn = (value or "").strip().upper().replace(" ", "") or None
    if urn and not accounts.URN_PATTERN.match(urn):
        raise DomainError("Enter the Ofsted URN as shown on the registration, like 1234567 or SC123456",
                          field="ofsted_urn")
    return urn


def _check_urn_free(urn: str | None, provider_id: int, setting_id: int | None) -> None:
    if urn is None:
        return
    other_setting = db.select(Setting.id).where(Setting.ofsted_urn == urn)
    if setting_id is not None:
        other_setting = other_setting.where(Setting.id != setting_id)
    other_provider = db.select(Organisation.id).where(Organisation.ofsted_urn == urn, Organisation.id != provider_id)
    if db.session.scalar(other_setting) is not None or db.session.scalar(other_provider) is not None:
        raise DomainError(URN_TAKEN, field="ofsted_urn")


def _text(value: str, field: str, message: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(message, field=field)
    if len(text) > limit:
        raise DomainError(f"Use {limit} characters or fewer (you have {len(text)})", field=field)
    return text


def _kind(value: str) -> str:
    if value not in SETTING_KINDS:
        raise DomainError("Choose the type of setting", field="kind")
    return value


def _area(value: str) -> str:
    area = areas.get(value)
    if area is None:
        raise DomainError("Choose the area the setting is in from the list", field="area_code")
    if not area.is_lowest_tier:
        raise DomainError("Choose the district the setting is in, not the county", field="area_code")
    return area.code


def _cleaned(data: SettingInput, provider_id: int, setting_id: int | None) -> dict:
    """Every field checked at once (FormInvalid with each problem by field)."""
    problems = Problems()
    name = problems.check(_text, data.name, "name", "Enter the name of the setting", 200)
    kind = problems.check(_kind, data.kind)
    urn = problems.check(_urn, data.ofsted_urn)
    if "ofsted_urn" not in problems.errors:
        problems.check(_check_urn_free, urn, provider_id, setting_id)
    area_code = problems.check(_area, data.area_code)
    address = problems.check(_text, data.address, "address", "Enter the address of the setting", 500)
    description = (data.description or "").strip()
    if len(description) > 2000:
        problems.errors["description"] = f"Use 2000 characters or fewer (you have {len(description)})"
    problems.raise_any()
    return {"name": name, "kind": kind, "ofsted_urn": urn, "area_code": area_code, "address": address,
            "description": description}


def _same_name_open(provider_id: int, name: str, setting_id: int | None) -> bool:
    query = db.select(Setting.id).where(Setting.provider_id == provider_id, Setting.closed_at.is_(None),
                                        db.func.lower(Setting.name) == name.lower())
    if setting_id is not None:
        query = query.where(Setting.id != setting_id)
    return db.session.scalar(query) is not None


def _commit_or_urn_taken() -> None:
    try:
        db.session.commit()
    except IntegrityError:  # the same URN saved elsewhere in the same instant
        db.session.rollback()
        raise DomainError(URN_TAKEN, field="ofsted_urn") from None


# Changing ----------------------------------------------------------------------------------------------------

def add(user: User, data: SettingInput, now: datetime) -> Setting:
    """Add a setting to the user's provider (audited)."""
    _require_manager(user)
    values = _cleaned(data, user.organisation_id, None)
    if _same_name_open(user.organisation_id, values["name"], None):
        raise DomainError(f"You already have an open setting called {values['name']}", field="name")
    setting = Setting(provider_id=user.organisation_id, created_at=now, **values)
    db.session.add(setting)
    db.session.flush()
    audit.record(at=now, actor=user, action="setting.added", entity=setting,
                 summary=f"Setting {setting.label} added to {user.organisation.name}",
                 after={**values})
    _commit_or_urn_taken()
    return setting


def change(user: User, setting: Setting, data: SettingInput, *, seen: str, now: datetime) -> Setting:
    """Change one of the provider's settings (audited). `seen` is the fingerprint the form was built from."""
    _require_manager(user)
    setting = own_setting(user, setting.id)
    if seen != fingerprint(setting):
        raise DomainError(STALE)
    if not setting.is_open:
        raise DomainError("This setting is closed and can no longer be changed")
    values = _cleaned(data, user.organisation_id, setting.id)
    if _same_name_open(user.organisation_id, values["name"], setting.id):
        raise DomainError(f"You already have an open setting called {values['name']}", field="name")
    before = {key: getattr(setting, key) for key in values}
    changed = {key: value for key, value in values.items() if before[key] != value}
    if not changed:
        raise DomainError("Nothing was changed")
    for key, value in changed.items():
        setattr(setting, key, value)
    db.session.flush()
    audit.record(at=now, actor=user, action="setting.changed", entity=setting,
                 summary=f"Setting {setting.label} of {user.organisation.name} changed",
                 before={key: before[key] for key in changed}, after=changed)
    _commit_or_urn_taken()
    return setting


def close(user: User, setting: Setting, *, now: datetime) -> Setting:
    """Close a setting: no longer offered in bids, kept for the placements made there (audited)."""
    _require_manager(user)
    setting = own_setting(user, setting.id)
    if not setting.is_open:
        raise DomainError(f"{setting.name} was already closed")
    setting.closed_at = now
    audit.record(at=now, actor=user, action="setting.closed", entity=setting,
                 summary=f"Setting {setting.label} of {user.organisation.name} closed",
                 before={"open": True}, after={"open": False})
    db.session.commit()
    return setting


def first_from_registration(provider: Organisation, now: datetime) -> Setting | None:
    """A provider registering with an Ofsted URN gets its first setting from it (added to the session, not
    committed: registration commits). Its type is to be confirmed by the provider."""
    if not provider.ofsted_urn:
        return None
    setting = Setting(provider=provider, name=provider.name, kind="other", ofsted_urn=provider.ofsted_urn,
                      area_code=provider.area_code,
                      address=", ".join(part for part in (provider.registered_office, provider.postcode) if part),
                      description="", created_at=now)
    db.session.add(setting)
    return setting
