"""Form pieces shared by every area: GOV.UK widgets on WTForms fields, and the bridge that puts a
domain error on the field it concerns."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField as _WTFormsDateField
from wtforms import (
    FileField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import IntegerField as _WTFormsIntegerField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from portal.errors import DomainError

__all__ = [
    "DataRequired", "DateField", "Email", "FileField", "FlaskForm", "GovCheckboxesInput", "GovDateInput",
    "GovFileInput", "GovPasswordInput", "GovRadioInput", "GovSelect", "GovSubmitInput", "GovTextArea",
    "GovTextInput", "InputRequired", "IntegerField", "Length", "NumberRange", "Optional", "PasswordField",
    "RadioField", "SelectField", "SelectMultipleField", "StringField", "SubmitField", "TextAreaField",
    "MAX_RECORD_ID", "add_domain_error", "choices", "parse_time", "record_id",
]

MAX_RECORD_ID = 2**31 - 1  # the largest id the database's integer columns hold (PostgreSQL INTEGER)


def record_id(value) -> int | None:
    """A record id given in a form or query string; None for anything that is not one, or too big to be one."""
    text = str(value if value is not None else "")
    if not (text.isdecimal() and text.isascii()) or int(text) > MAX_RECORD_ID:
        return None
    return int(text)


class DateField(_WTFormsDateField):
    """A date from the GOV.UK date input, whose day, month and year boxes arrive as "31 3 2027"
    (WTForms joins them with spaces); an ISO date such as "2027-03-31" is accepted too."""

    def __init__(self, label=None, validators=None, format=("%d %m %Y", "%Y-%m-%d"), **kwargs):
        super().__init__(label, validators, format=list(format) if isinstance(format, tuple) else format, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a real date, with the day, month and year as numbers, like 31 3 2027") from None
        finally:
            # The widget shows the raw day, month and year again; anything but three boxes' worth would break it.
            if self.raw_data is not None and len(self.raw_data) != 3:
                self.raw_data = None if self.data else ["", "", ""]


class IntegerField(_WTFormsIntegerField):
    """A whole number, with a message in the words of the GOV.UK Design System."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a whole number, like 4") from None


def choices(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class GovIntegerInput(GovTextInput):
    """A whole-number input, shown as a text box with the numeric keyboard on phones."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        params.setdefault("inputmode", "numeric")
        params.setdefault("spellcheck", False)
        return params


def add_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Show a domain error against its field, or in the summary when it concerns the whole form; each of a
    FormInvalid's errors against its own field."""
    for field_name, message in getattr(error, "errors", {}).items():
        add_domain_error(form, DomainError(message, field=field_name or None))
    if getattr(error, "errors", None):
        return
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)


def parse_time(text: str | None):
    """A 24-hour time typed as 17:00 or 5pm, or None if it cannot be read."""
    from datetime import time

    cleaned = (text or "").strip().lower().replace(".", ":").replace(" ", "")
    suffix = None
    if cleaned.endswith(("am", "pm")):
        cleaned, suffix = cleaned[:-2], cleaned[-2:]
    hours, _, minutes = cleaned.partition(":")
    if not hours.isdecimal() or (minutes and not minutes.isdecimal()):
        return None
    hour, minute = int(hours), int(minutes or 0)
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)
