"""Forms of the off-framework pages. They read what was typed; the rules are in portal/services/off_framework.py."""

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from wtforms import BooleanField, FieldList, Form, FormField

from portal import areas
from portal.forms import (
    DataRequired,
    DateField,
    FileField,
    FlaskForm,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    Length,
    Optional,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    choices,
    record_id,
)
from portal.models.organisation import OFSTED_RATINGS
from portal.models.placement import DOCUMENT_KINDS
from portal.services.off_framework import REFERENCE_OUTCOMES

COST_LINES = 5  # lines offered on the placement form: the core fee and up to four additional costs


def _id(value) -> int:
    """A record id from a select; 0 (nothing chosen) for anything that is not one."""
    return record_id(value) or 0


class ProviderForm(FlaskForm):
    name = StringField("Provider's name", widget=GovTextInput(), validators=[Length(max=200)])
    ofsted_urn = StringField("Ofsted URN (optional)", widget=GovTextInput(), validators=[Length(max=12)],
                             description="As shown on the provider's registration, like 1234567 or SC123456")
    ofsted_rating = SelectField("Ofsted rating (optional)", widget=GovSelect(),
                                choices=choices([("", "Not rated or not known")] + [(r, r) for r in OFSTED_RATINGS]))
    local_authority_area = SelectField("Area", widget=GovSelect(), validate_choice=False,
                                       description="Where the provider's homes are: the district, unitary authority "
                                                   "or borough")
    address = TextAreaField("Address (optional)", widget=GovTextArea())
    contact_name = StringField("Contact's name", widget=GovTextInput(), validators=[Length(max=120)])
    email = StringField("Contact's e-mail address", widget=GovTextInput(), validators=[Length(max=254)])
    telephone = StringField("Telephone (optional)", widget=GovTextInput(), validators=[Length(max=30)])
    services = TextAreaField("Services offered", widget=GovTextArea(),
                             description="For example: solo residential homes for 11 to 17 year olds, "
                                         "therapeutic support")
    place_with_caution = BooleanField("Place with caution", widget=GovCheckboxInput())
    caution_note = TextAreaField("Why this provider must be placed with caution", widget=GovTextArea(),
                                 description="Needed if the provider is marked place with caution. Officers must "
                                             "confirm they have read it before placing a child there.")
    submit = SubmitField("Save provider", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.local_authority_area.choices = areas.lowest_tier_choices()


class DocumentForm(FlaskForm):
    kind = RadioField("What is the document?", widget=GovRadioInput(), choices=choices(list(DOCUMENT_KINDS.items())),
                      validators=[DataRequired("Choose what the document is")])
    title = StringField("Title", widget=GovTextInput(), validators=[Length(max=200)],
                        description="Needed for another document, like Insurance certificate 2026; optional for the "
                                    "evidence named above")
    file = FileField("File", widget=GovFileInput(), description="PDF, DOCX, ODT, XLSX or CSV, up to 10 MB")
    upload = SubmitField("Upload document", widget=GovSubmitInput())


class RefereeForm(FlaskForm):
    authority_name = StringField("Local authority", widget=GovTextInput(), validators=[Length(max=200)])
    contact_name = StringField("Referee's name", widget=GovTextInput(), validators=[Length(max=120)])
    email = StringField("Referee's e-mail address", widget=GovTextInput(), validators=[Length(max=254)])
    add_referee = SubmitField("Add referee", widget=GovSubmitInput())


class ReferenceForm(FlaskForm):
    outcome = RadioField("What did the reference say?", widget=GovRadioInput(),
                         choices=choices(list(REFERENCE_OUTCOMES.items())),
                         validators=[DataRequired("Choose what the reference said")])
    note = TextAreaField("Note", widget=GovTextArea(),
                         description="What the referee said. An unsatisfactory reference marks the provider "
                                     "place with caution.")
    submit = SubmitField("Record reference", widget=GovSubmitInput())


class SearchForm(FlaskForm):
    expected_weekly = StringField("Weekly cost you expect to pay", widget=GovTextInput(),
                                  description="The budget holder approves funding at this figure, like 4,200.00")
    notes = TextAreaField("Notes on the search (optional)", widget=GovTextArea())
    submit = SubmitField("Ask a budget holder to approve the search", widget=GovSubmitInput())


class PlacementApprovalForm(FlaskForm):
    """The head of service's agreement to placing with a provider off the framework, and the cost."""

    agreed_provider_id = SelectField("Provider to agree to", widget=GovSelect(), coerce=_id, validate_choice=False,
                                     validators=[DataRequired("Choose the provider from your off-framework list")])
    weekly_cost = StringField("Total weekly cost", widget=GovTextInput(),
                              description="The core fee and every additional cost together, like 4,350.00. The "
                                          "placement must cost exactly this.")
    submit = SubmitField("Ask for the head of service's agreement and approval of the cost",
                         widget=GovSubmitInput())


class CostLineForm(Form):
    description = StringField("What it pays for", widget=GovTextInput(), validators=[Length(max=200)])
    amount = StringField("Weekly amount in pounds", widget=GovTextInput())
    timescale = StringField("Timescale (optional)", widget=GovTextInput(), validators=[Length(max=100)])
    review_date = DateField("Review date (optional)", widget=GovDateInput(), validators=[Optional()])


class PlacementForm(FlaskForm):
    provider_id = SelectField("Provider", widget=GovSelect(), coerce=_id, validate_choice=False,
                              validators=[DataRequired("Choose the provider from your off-framework list")])
    caution_acknowledged = BooleanField("I have read the caution note of the provider chosen",
                                        widget=GovCheckboxInput())
    costs = FieldList(FormField(CostLineForm), min_entries=COST_LINES, max_entries=COST_LINES)
    start_date = DateField("Start date", widget=GovDateInput(), validators=[Optional()],
                           description="For example, 27 3 2026")
    location_area = SelectField("Area of the home", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Place the child off framework", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.location_area.choices = areas.lowest_tier_choices()


class QaVisitForm(FlaskForm):
    visited_on = DateField("Date of the visit", widget=GovDateInput(), validators=[Optional()],
                           description="For example, 27 3 2026")
    visited_time = StringField("Time of the visit (UK time)", widget=GovTextInput(),
                               description="For example, 14:30 or 2:30pm")
    notes = TextAreaField("What the visit found", widget=GovTextArea())
    submit = SubmitField("Record the visit", widget=GovSubmitInput())
