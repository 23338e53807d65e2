"""Forms of the administrator's quarterly return and KPI pages."""

from portal.forms import (
    FlaskForm,
    GovIntegerInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    InputRequired,
    IntegerField,
    Optional,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
    choices,
)
from portal.models.kpi import ANSWER_TYPES
from portal.services.kpis import KPIS


class ReturnQuestionForm(FlaskForm):
    # The service says what is missing, in its own words (DomainError on the field).
    text = TextAreaField("Question", widget=GovTextArea(), validators=[Optional()],
                         description="For example: How many foster carers did you approve in the quarter?")
    guidance = TextAreaField("Guidance for providers (optional)", widget=GovTextArea(), validators=[Optional()])
    answer_type = RadioField("What kind of answer?", widget=GovRadioInput(), choices=choices(ANSWER_TYPES.items()),
                             validate_choice=False)
    submit = SubmitField("Save question", widget=GovSubmitInput())


class ReturnSettingsForm(FlaskForm):
    due_days = IntegerField("Days after the quarter's end that returns are due", widget=GovIntegerInput(),
                            validators=[InputRequired("Enter a whole number of days")])
    reminder_days = IntegerField("Days before the due date that providers are reminded", widget=GovIntegerInput(),
                                 validators=[InputRequired("Enter a whole number of days")])
    submit = SubmitField("Save", widget=GovSubmitInput())


class RemoveForm(FlaskForm):
    submit = SubmitField("Remove the question", widget=GovSubmitInput())


def _threshold_fields():
    fields = {}
    for key, kpi in KPIS.items():
        hint = ("Flag a provider whose average rating is below this (1 to 5)" if kpi.average
                else "Flag a provider whose rate per 100 placements is above this")
        fields[key] = StringField(kpi.label, widget=GovTextInput(), validators=[Optional()],
                                  description=f"{hint}. Leave empty for no threshold.")
    return fields


ThresholdsForm = type("ThresholdsForm", (FlaskForm,), {**_threshold_fields(),
                                                       "submit": SubmitField("Save thresholds",
                                                                             widget=GovSubmitInput())})
