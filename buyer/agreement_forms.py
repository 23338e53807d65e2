"""Forms of the placement's life on the authority's side: the agreement, price changes, reviews, feedback and
incidents. The services check every value; these forms only carry them."""

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
from portal.models.placement_life import FEEDBACK_FROM, INCIDENT_CATEGORIES, RATINGS
from portal.models.placement_review import COST_DECISIONS, INTERVAL_CHOICES, MEETS_NEEDS

DATE_HINT = "For example, 27 3 2026"


class IssueForm(FlaskForm):
    amendment = TextAreaField("What this amendment changes", widget=GovTextArea(),
                              description="Both parties sign the new version; the provider reads this text.")
    submit = SubmitField("Issue the agreement", widget=GovSubmitInput())


class CountersignForm(FlaskForm):
    sha256 = StringField("SHA-256")
    submit = SubmitField("Countersign this version", widget=GovSubmitInput())


class PriceChangeForm(FlaskForm):
    weekly_cost = StringField("New weekly price (£)", widget=GovTextInput(), description="For example, 1850.00")
    effective_from = DateField("Date the new price takes effect", widget=GovDateInput(), validators=[Optional()],
                               description=DATE_HINT)
    reason = TextAreaField("Why the price changes", widget=GovTextArea(),
                           description="What was negotiated with the provider, and why")
    submit = SubmitField("Ask for approval", widget=GovSubmitInput())


class ReviewForm(FlaskForm):
    held_on = DateField("Date of the review", widget=GovDateInput(), validators=[Optional()], description=DATE_HINT)
    attendees = TextAreaField("Who attended", widget=GovTextArea(), description="Names and roles")
    meets_needs = RadioField("Does the placement meet the needs in the child's plan?", widget=GovRadioInput(),
                             choices=choices(MEETS_NEEDS.items()), validate_choice=False)
    notes = TextAreaField("Notes", widget=GovTextArea(), description="Seen only by your authority")
    submit = SubmitField("Record the review", widget=GovSubmitInput())


class CostReviewForm(FlaskForm):
    decision = RadioField("What was decided", widget=GovRadioInput(), choices=choices(COST_DECISIONS.items()),
                          validate_choice=False)
    note = TextAreaField("Note", widget=GovTextArea(), description="Required when the cost changes or ends")
    submit = SubmitField("Record the cost review", widget=GovSubmitInput())


class IntervalForm(FlaskForm):
    months = RadioField("Months between placement reviews", widget=GovRadioInput(),
                        choices=choices((str(months), f"{months} month{'s' if months > 1 else ''}")
                                         for months in INTERVAL_CHOICES), validate_choice=False)
    submit = SubmitField("Save", widget=GovSubmitInput())


class FeedbackForm(FlaskForm):
    given_on = DateField("Date the feedback was given", widget=GovDateInput(), validators=[Optional()],
                         description=DATE_HINT)
    given_by = RadioField("Who gave it", widget=GovRadioInput(), choices=choices(FEEDBACK_FROM.items()),
                          validate_choice=False)
    rating = RadioField("Rating", widget=GovRadioInput(),
                        choices=choices((str(value), f"{value}: {label}") for value, label in RATINGS.items()),
                        validate_choice=False)
    comment = TextAreaField("Comment", widget=GovTextArea())
    submit = SubmitField("Record the feedback", widget=GovSubmitInput())


INFORMED = [("lado", "The local authority designated officer (LADO) was informed"),
            ("police", "The police were informed"), ("ended", "It ended the placement")]


class IncidentForm(FlaskForm):
    occurred_on = DateField("Date it happened", widget=GovDateInput(), validators=[Optional()],
                            description=DATE_HINT)
    category = RadioField("What is recorded", widget=GovRadioInput(), choices=choices(INCIDENT_CATEGORIES.items()),
                          validate_choice=False)
    summary = TextAreaField("What happened", widget=GovTextArea(), description="Seen only by your authority")
    flags = SelectMultipleField("Who was informed, and what followed", widget=GovCheckboxesInput(),
                                choices=choices(INFORMED), validate_choice=False)
    outcome = TextAreaField("Outcome", widget=GovTextArea(),
                            description="Leave empty while it is open. Seen only by your authority")
    submit = SubmitField("Record it", widget=GovSubmitInput())


class OutcomeForm(FlaskForm):
    outcome = TextAreaField("Outcome", widget=GovTextArea(), description="Seen only by your authority")
    flags = SelectMultipleField("What followed", widget=GovCheckboxesInput(), choices=choices(INFORMED[2:]),
                                validate_choice=False)
    submit = SubmitField("Record the outcome", widget=GovSubmitInput())
