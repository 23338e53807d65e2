"""Forms of the annual contract review on the authority's side. The service (portal.services.annual_reviews)
checks every value; these forms only carry them. Moderation's radios are one per answer, read from the request."""

from portal.forms import (
    DateField,
    FlaskForm,
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    Optional,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    choices,
)
from portal.models.annual_review import COST_OUTCOMES, RATINGS, RISK_FACTORS

DATE_HINT = "For example, 27 3 2027"


class SendForm(FlaskForm):
    due_on = DateField("Date the answers are due", widget=GovDateInput(), validators=[Optional()],
                       description=DATE_HINT)
    documents = TextAreaField("Documents to update", widget=GovTextArea(),
                              description="For example, insurance certificates, the safeguarding policy, the "
                                          "statement of purpose")
    submit = SubmitField("Send the questionnaire", widget=GovSubmitInput())


class ModerationForm(FlaskForm):
    version = StringField("Version")
    submit = SubmitField("Save the moderation", widget=GovSubmitInput())


class MeetingForm(FlaskForm):
    held_on = DateField("Date of the meeting", widget=GovDateInput(), validators=[Optional()], description=DATE_HINT)
    attendees = TextAreaField("Who attended", widget=GovTextArea(), description="Names, roles and organisations")
    notes = TextAreaField("Notes of the meeting", widget=GovTextArea(),
                          description="What was discussed. The provider reads these notes: do not name a child.")
    submit = SubmitField("Record the meeting", widget=GovSubmitInput())


class CostCheckForm(FlaskForm):
    outcome = RadioField("What you found of the cost", widget=GovRadioInput(),
                         choices=choices(COST_OUTCOMES.items()), validate_choice=False)
    note = TextAreaField("Note", widget=GovTextArea(), description="Required when the cost is to be renegotiated "
                                                                   "or referred")
    submit = SubmitField("Record the cost review", widget=GovSubmitInput())


class RatingForm(FlaskForm):
    rating = RadioField("Overall rating", widget=GovRadioInput(), choices=choices(RATINGS.items()),
                        validate_choice=False)
    risk_factors = SelectMultipleField("Risk factors", widget=GovCheckboxesInput(),
                                       choices=choices(RISK_FACTORS.items()), validate_choice=False,
                                       description="Select all that apply")
    notes = TextAreaField("Why this rating", widget=GovTextArea(),
                          description="The balanced scorecard's findings and the areas of concern")
    best_practice = TextAreaField("Best practice to share (optional)", widget=GovTextArea())
    submit = SubmitField("Give the rating", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    text = TextAreaField("Action", widget=GovTextArea())
    owner = StringField("Who owns it", widget=GovTextInput(), description="A person or role, for example "
                                                                          "Registered manager")
    due_on = DateField("Date it is due", widget=GovDateInput(), validators=[Optional()], description=DATE_HINT)
    submit = SubmitField("Add the action", widget=GovSubmitInput())


class IssueForm(FlaskForm):
    version = StringField("Version")
    submit = SubmitField("Issue the action plan to the provider", widget=GovSubmitInput())


class ActionDoneForm(FlaskForm):
    note = TextAreaField("What was done", widget=GovTextArea())
    submit = SubmitField("Record the action done", widget=GovSubmitInput())


class PlainForm(FlaskForm):
    """A button only (CSRF-protected)."""
