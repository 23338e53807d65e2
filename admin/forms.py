from wtforms import HiddenField, ValidationError

from portal import areas
from portal.forms import (
    DataRequired,
    DateField,
    Email,
    FlaskForm,
    GovCheckboxesInput,
    GovDateInput,
    GovIntegerInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    InputRequired,
    IntegerField,
    Length,
    Optional,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    choices,
    parse_time,
)
from portal.models.dps import EVIDENCE_KINDS, SERVICE_TYPES
from portal.models.organisation import OFSTED_RATINGS
from portal.models.user import AUTHORITY_ROLES, ROLE_LABELS

WHOLE_NUMBER = "Enter a whole number"
AUTHORITY_ROLE_CHOICES = choices((role, ROLE_LABELS[role]) for role in AUTHORITY_ROLES)


def _time_field(label: str, description: str = "Use the 24-hour clock, for example 09:00 or 17:00"):
    return StringField(label, widget=GovTextInput(), description=description,
                       validators=[DataRequired("Enter a time")])


def _check_time(form, field):
    if parse_time(field.data) is None:
        raise ValidationError("Enter a real time, for example 09:00 or 17:00")


class TermsForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(),
                       validators=[DataRequired("Enter the DPS's name"), Length(max=200)])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Optional()])
    continuous = RadioField("How often do entry windows open?", widget=GovRadioInput(),
                            choices=choices([("cadence", "Every few months"), ("continuous", "Continuously open")]),
                            validators=[DataRequired("Choose how often windows open")])
    cadence_months = IntegerField("Months between window openings", widget=GovIntegerInput(),
                                  validators=[Optional()], description="For example 4 for every four months")
    window_length_days = IntegerField("How many days each window stays open", widget=GovIntegerInput(),
                                      validators=[InputRequired(WHOLE_NUMBER)])
    required_evidence = SelectMultipleField("Evidence providers must send", widget=GovCheckboxesInput(),
                                            choices=choices(list(EVIDENCE_KINDS.items())),
                                            validators=[DataRequired("Select the evidence providers must send")])

    def validate(self, extra_validators=None):
        # Not an inline validator: Optional() on the field stops the chain before one would run.
        valid = super().validate(extra_validators)
        if self.continuous.data == "cadence" and self.cadence_months.data is None and not self.cadence_months.errors:
            self.cadence_months.errors.append("Enter how many months there are between windows")
            return False
        return valid


class DpsForm(TermsForm):
    reference = StringField("Reference", widget=GovTextInput(), description="For example NW-16P-DPS",
                            validators=[DataRequired("Enter a reference"), Length(max=40)])
    service_type = SelectField("Service", widget=GovSelect(),
                               choices=choices([("", "Choose a service")] + list(SERVICE_TYPES.items())),
                               validators=[DataRequired("Choose the service")])
    start_date = DateField("Start of the term", widget=GovDateInput(), description="For example 1 4 2026",
                           validators=[DataRequired("Enter the start date as a real date")])
    initial_years = IntegerField("Initial term, in years", widget=GovIntegerInput(),
                                 validators=[InputRequired(WHOLE_NUMBER)])
    extension_years = StringField("Optional extensions, in years", widget=GovTextInput(),
                                  description="Join them with +, for example 1+1 for two one-year extensions",
                                  validators=[Optional(), Length(max=20)])
    quality_weight = IntegerField("Quality weight for tiers (per cent)", widget=GovIntegerInput(),
                                  description="Cost takes the rest: 60 gives 60% quality, 40% cost",
                                  validators=[InputRequired(WHOLE_NUMBER)])
    quality_threshold_percent = IntegerField("Quality score needed for admission (per cent)",
                                             widget=GovIntegerInput(), validators=[InputRequired(WHOLE_NUMBER)])
    submit = SubmitField("Create DPS", widget=GovSubmitInput())


class EditTermsForm(TermsForm):
    reminder_days = IntegerField("Days before the close to remind providers", widget=GovIntegerInput(),
                                 validators=[InputRequired(WHOLE_NUMBER)])
    decision_working_days = IntegerField("Working days to decide applications", widget=GovIntegerInput(),
                                         validators=[InputRequired(WHOLE_NUMBER)])
    moderation_gap = IntegerField("Highlight evaluators' scores that differ by more than", widget=GovIntegerInput(),
                                  validators=[InputRequired(WHOLE_NUMBER)])
    submit = SubmitField("Save", widget=GovSubmitInput())


class MemberForm(FlaskForm):
    area_code = SelectField("Authority", widget=GovSelect(), validate_choice=False,
                            description="The county, unitary, metropolitan or London borough council (Wales, "
                                        "Scotland and Northern Ireland are not member authorities)",
                            validators=[DataRequired("Choose the authority from the list")])
    council_name = StringField("Council's name (optional)", widget=GovTextInput(), validators=[Optional()],
                               description="Only for a council new to the portal. Leave blank for the usual name "
                                           "(for example Kent County Council, Manchester City Council); type its "
                                           "own name if it differs, as it cannot be changed here later")
    submit = SubmitField("Add member authority", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.area_code.choices = areas.upper_tier_choices()


class LeaveForm(FlaskForm):
    left_on = DateField("Date the authority left", widget=GovDateInput(),
                        validators=[DataRequired("Enter the date the authority left as a real date")])
    reason = TextAreaField("Reason", widget=GovTextArea(), validators=[DataRequired("Give the reason")],
                           id="leave-reason")
    submit = SubmitField("Record that the authority left", widget=GovSubmitInput())


class ExtensionForm(FlaskForm):
    # The extension the page offered: a form sent twice takes up nothing more.
    number = HiddenField()
    taken_on = DateField("Date the extension was taken up", widget=GovDateInput(),
                         validators=[DataRequired("Enter the date the extension was taken up as a real date")])
    submit = SubmitField("Record the extension", widget=GovSubmitInput())


class LotForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(),
                       validators=[DataRequired("Enter the lot's name"), Length(max=200)])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Optional()])
    # The age categories are rows of plain inputs (category-N-age_from, -age_to, -tiers), read by
    # dps_setup.parse_categories.
    submit = SubmitField("Save lot", widget=GovSubmitInput())


class WeightingForm(FlaskForm):
    quality_weight = IntegerField("Quality weight (per cent)", widget=GovIntegerInput(),
                                  description="Cost takes the rest", validators=[InputRequired(WHOLE_NUMBER)])
    quality_threshold_percent = IntegerField("Quality score needed for admission (per cent)",
                                             widget=GovIntegerInput(), validators=[InputRequired(WHOLE_NUMBER)])
    submit = SubmitField("Save weighting", widget=GovSubmitInput())


class QuestionForm(FlaskForm):
    text = TextAreaField("Question", widget=GovTextArea(), validators=[DataRequired("Enter the question")])
    guidance = TextAreaField("Guidance for providers", widget=GovTextArea(), validators=[Optional()])
    scoring = RadioField("How is it marked?", widget=GovRadioInput(),
                         choices=choices([("scored", "Scored"), ("pass_fail", "Pass or fail")]),
                         validators=[DataRequired("Choose how the question is marked")])
    weight = IntegerField("Weight", widget=GovIntegerInput(), validators=[Optional()], default=1)
    max_score = IntegerField("Maximum score", widget=GovIntegerInput(), validators=[Optional()], default=5)
    min_score = IntegerField("Minimum acceptable score", widget=GovIntegerInput(), validators=[Optional()], default=2)
    word_limit = IntegerField("Word limit", widget=GovIntegerInput(), validators=[InputRequired(WHOLE_NUMBER)],
                              default=500)
    submit = SubmitField("Save question", widget=GovSubmitInput())


class FirstWindowForm(FlaskForm):
    opens_on = DateField("Date the first window opens", widget=GovDateInput(),
                         validators=[DataRequired("Enter the opening date as a real date")])
    opens_at = _time_field("Time it opens")
    submit = SubmitField("Schedule window", widget=GovSubmitInput())

    validate_opens_at = _check_time


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", widget=GovTextArea(), validators=[DataRequired("Give a reason")])
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class ExtendForm(FlaskForm):
    closes_on = DateField("New closing date", widget=GovDateInput(),
                          validators=[DataRequired("Enter the new closing date as a real date")])
    closes_at = _time_field("New closing time")
    reason = TextAreaField("Reason", widget=GovTextArea(), validators=[DataRequired("Give a reason")],
                           id="extend-reason")
    submit = SubmitField("Extend window", widget=GovSubmitInput())

    validate_closes_at = _check_time


class InviteUserForm(FlaskForm):
    organisation_id = SelectField("Authority", widget=GovSelect(), coerce=int, validate_choice=False,
                                  validators=[DataRequired("Choose the authority")])
    email = StringField("E-mail address", widget=GovTextInput(),
                        validators=[DataRequired("Enter an e-mail address"),
                                    Email("Enter an e-mail address in the correct format, like name@council.gov.uk")])
    roles = SelectMultipleField("Roles", widget=GovCheckboxesInput(), choices=AUTHORITY_ROLE_CHOICES,
        validators=[DataRequired("Select at least one role")])
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class RolesForm(FlaskForm):
    roles = SelectMultipleField("Roles", widget=GovCheckboxesInput(), choices=AUTHORITY_ROLE_CHOICES,
        validators=[DataRequired("Select at least one role")])
    submit = SubmitField("Save roles", widget=GovSubmitInput())


class OfstedForm(FlaskForm):
    rating = RadioField("Ofsted rating", widget=GovRadioInput(), choices=choices((r, r) for r in OFSTED_RATINGS),
                        validators=[DataRequired("Choose the Ofsted rating")])
    rating_date = DateField("Date of the judgement", widget=GovDateInput(), description="For example 14 3 2026",
                            validators=[DataRequired("Enter the date of the judgement as a real date")])
    submit = SubmitField("Record rating", widget=GovSubmitInput())


class CautionDecisionForm(FlaskForm):
    decision = RadioField("What is your decision?", widget=GovRadioInput(),
                          choices=choices([("lifted", "Lift the caution: the provider is admitted without caution"),
                                           ("confirmed", "Confirm the caution: it stays")]),
                          validators=[DataRequired("Choose whether to lift or confirm the caution")])
    reason = TextAreaField("Reason", widget=GovTextArea(), description="The provider reads this reason")
    submit = SubmitField("Record the decision", widget=GovSubmitInput())
