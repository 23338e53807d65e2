"""The officer's referral forms. The rules are in portal.services.referrals: these forms carry what was typed
(the price as text, so a mistake is shown back as typed) and put the service's mistakes on their fields."""

from wtforms import HiddenField

from portal import areas
from portal.formatting import pounds
from portal.forms import (
    DateField,
    FlaskForm,
    GovCheckboxesInput,
    GovDateInput,
    GovIntegerInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    IntegerField,
    Optional,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    choices,
)
from portal.models.referral import (
    ADDITIONAL_SUPPORT,
    COMMUNICATION_NEEDS,
    CULTURAL_NEEDS,
    LIVE_ALONGSIDE,
    NEEDED_BY,
    PETS,
    RISKS_TO_CHILD,
    RISKS_TO_OTHERS,
    SUITABILITY,
    YES_NO_NOT_SPECIFIED,
)
from portal.services.referrals import BOOLEANS, CHILD_FIELDS, FIELD_NAMES

YES_NO = choices([("yes", "Yes"), ("no", "No")])
DATE_HINT = "For example, 27 3 2027"


def _radios(label: str, options: dict, description: str = "") -> RadioField:
    # No validators: the service says what is missing, in the same words for every way in.
    return RadioField(label, widget=GovRadioInput(), choices=choices(options.items()), validate_choice=False,
                      validators=[Optional()], description=description)


def _checkboxes(label: str, options: dict, description: str = "") -> SelectMultipleField:
    return SelectMultipleField(label, widget=GovCheckboxesInput(), choices=choices(options.items()),
                               validate_choice=False, description=description)


def _time_hint() -> str:
    return "UK time, on the 24-hour clock, for example 12:00 or 17:00"


class ChooseLotForm(FlaskForm):
    """The first step of a new referral: which lot of which DPS."""

    lot_id = RadioField("Which lot is the placement for?", widget=GovRadioInput(), coerce=int, validate_choice=False,
                        validators=[Optional()])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ReferralForm(FlaskForm):
    lot_id = HiddenField()
    # Availability
    needed_by = _radios("When is the placement needed?", NEEDED_BY,
                        "This sets the default deadline for bids: 5pm today, or midday 2 or 5 working days on")
    siblings_to_place_with = IntegerField("Number of siblings to place with the child", widget=GovIntegerInput(),
                                          validators=[Optional()], default=0)
    preferred_areas = SelectField("Preferred area", widget=GovSelect(), validate_choice=False,
                                  validators=[Optional()],
                                  description="A county, district, unitary authority or borough. A district lies "
                                              "within its county: choose the county for anywhere in it")
    preferred_areas_2 = SelectField("Second preferred area (optional)", widget=GovSelect(), validate_choice=False,
                                    validators=[Optional()])
    preferred_areas_3 = SelectField("Third preferred area (optional)", widget=GovSelect(), validate_choice=False,
                                    validators=[Optional()])
    preferred_areas_4 = SelectField("Fourth preferred area (optional)", widget=GovSelect(), validate_choice=False,
                                    validators=[Optional()])
    preferred_areas_5 = SelectField("Fifth preferred area (optional)", widget=GovSelect(), validate_choice=False,
                                    validators=[Optional()])
    preferred_location = StringField("More about the preferred location (optional)", widget=GovTextInput(),
                                     description="For example, north of the borough, near the school, or OL6: "
                                                 "never an address or a full postcode")
    # Requirements
    communication_needs = _radios("Does the child have communication, language or learning needs?",
                                  YES_NO_NOT_SPECIFIED)
    communication_which = _checkboxes("Which communication, language or learning needs?", COMMUNICATION_NEEDS,
                                      "Select all that apply")
    adaptations_needed = RadioField("Does the home need adapting?", widget=GovRadioInput(), choices=YES_NO,
                                    validate_choice=False, validators=[Optional()], default="no")
    adaptations_detail = TextAreaField("Adaptations the home needs", widget=GovTextArea(),
                                       description="Only if the home needs adapting")
    cultural_needs = _radios("Cultural needs", CULTURAL_NEEDS)
    cultural_detail = TextAreaField("Cultural needs in more detail (optional)", widget=GovTextArea())
    live_alongside = _radios("Who can the child be cared for alongside?", LIVE_ALONGSIDE)
    pets = _radios("Can the child live with pets?", PETS)
    additional_support = _checkboxes("Additional support needed", ADDITIONAL_SUPPORT,
                                     "Select all that apply, or none")
    deprivation_of_liberty = RadioField("Is there a Deprivation of Liberty order?", widget=GovRadioInput(),
                                        choices=YES_NO, validate_choice=False, validators=[Optional()],
                                        default="no")
    # Recommendation
    suitability_foster = _radios("Foster care", SUITABILITY)
    suitability_residential = _radios("Residential care", SUITABILITY)
    suitability_supported = _radios("Supported accommodation", SUITABILITY)
    # Risks
    risks_to_child = _checkboxes("Risks to the child", RISKS_TO_CHILD,
                                 "Select each risk present. Select none if there is no known risk")
    risks_to_others = _checkboxes("Risks to others or property", RISKS_TO_OTHERS,
                                  "Select each risk present. Select none if there is no known risk")
    # The placement
    age_years = IntegerField("Child's age in years", widget=GovIntegerInput(), validators=[Optional()])
    required_start = DateField("Date the placement must start", widget=GovDateInput(), validators=[Optional()],
                               description=DATE_HINT)
    expected_duration = StringField("Expected duration", widget=GovTextInput(),
                                    description="For example, 6 months, or until 18")
    needs_summary = TextAreaField("Summary of the child's needs", widget=GovTextArea(),
                                  description="Providers read this. Do not give names, dates of birth, addresses, "
                                              "schools or case numbers")
    education_needs = TextAreaField("Education needs (optional)", widget=GovTextArea(),
                                    description="Without naming the school")
    indicative_weekly_price = StringField("Indicative weekly price (optional)", widget=GovTextInput())
    quality_weight = IntegerField("Quality weight (per cent, optional)", widget=GovIntegerInput(),
                                  validators=[Optional()])
    cost_weight = IntegerField("Cost weight (per cent, optional)", widget=GovIntegerInput(), validators=[Optional()])
    # The child (private)
    child_first_names = StringField("First names", widget=GovTextInput())
    child_surname = StringField("Surname", widget=GovTextInput())
    child_known_as = StringField("Known as (optional)", widget=GovTextInput())
    child_date_of_birth = DateField("Date of birth", widget=GovDateInput(), validators=[Optional()],
                                    description=DATE_HINT)
    child_case_number = StringField("Case number", widget=GovTextInput(),
                                    description="In your case-management system")
    submit = SubmitField("Save draft", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.area_fields:
            field.choices = areas.choices(blank="No area" if field.name != "preferred_areas" else "Choose an area")

    @property
    def area_fields(self) -> list:
        return [self.preferred_areas, *(getattr(self, f"preferred_areas_{n}") for n in range(2, 6))]

    def fields_data(self) -> dict:
        """The referral's fields for the service, typed as it expects."""
        data = {name: getattr(self, name).data for name in FIELD_NAMES}
        data["preferred_areas"] = [field.data for field in self.area_fields if field.data]
        for name in BOOLEANS:
            data[name] = data[name] == "yes"
        data["siblings_to_place_with"] = data["siblings_to_place_with"] if data["siblings_to_place_with"] is not None \
            else 0
        return data

    def child_data(self) -> dict:
        return {name: getattr(self, f"child_{name}").data for name in CHILD_FIELDS}

    def fill_from(self, referral) -> None:
        """Show a saved draft."""
        for name in FIELD_NAMES:
            value = getattr(referral, name)
            if name == "preferred_areas":
                for field, code in zip(self.area_fields, referral.preferred_area_codes, strict=False):
                    field.data = code
                continue
            if name in BOOLEANS:
                value = "yes" if value else "no"
            elif isinstance(getattr(self, name), SelectMultipleField):
                value = [code for code in (value or "").split(",") if code]
            elif name == "indicative_weekly_price":
                value = pounds(value)
            getattr(self, name).data = value
        for name in CHILD_FIELDS:
            getattr(self, f"child_{name}").data = getattr(referral.child, name)

    def typing_errors(self) -> set[str]:
        """Fields whose input could not even be read (a number or a date), so the service's checks of them
        would only repeat the problem."""
        return {name for name, errors in self.errors.items() if errors}


class FundingForm(FlaskForm):
    # Only asked when the referral gives no indicative price: the figure the budget holder approves.
    expected_weekly = StringField("Weekly cost you expect to pay", widget=GovTextInput(),
                                  description="The referral gives providers no indicative price, so the budget holder "
                                              "approves what you expect to pay each week, like 1,450.00")
    submit = SubmitField("Ask a budget holder to approve the funding", widget=GovSubmitInput())


class DeadlineForm(FlaskForm):
    """The deadline for bids of a round, in UK time."""

    deadline_date = DateField("Date bids close", widget=GovDateInput(), validators=[Optional()],
                              description=DATE_HINT)
    deadline_time = StringField("Time bids close", widget=GovTextInput(), description=_time_hint())


class PublishForm(DeadlineForm):
    submit = SubmitField("Publish and invite providers", widget=GovSubmitInput())


class ReopenForm(DeadlineForm):
    submit = SubmitField("Re-open to the next tier", widget=GovSubmitInput())


class WithdrawForm(FlaskForm):
    reason = TextAreaField("Why are you withdrawing the referral?", widget=GovTextArea(),
                           description="Invited providers are told the referral is withdrawn, not why")
    submit = SubmitField("Withdraw the referral", widget=GovSubmitInput())


class ExhaustForm(FlaskForm):
    submit = SubmitField("Mark the framework as exhausted", widget=GovSubmitInput())
