"""The officer's forms for weighing bids and awarding a referral. The rules (whole-number scores, prices, the
reason when the bid chosen is not ranked first, the budget holder's approval) are checked by services.awards;
these forms only carry what was typed."""

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput
from wtforms import BooleanField

from portal.forms import (
    FlaskForm,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    Optional,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
    choices,
)
from portal.models.bid import CRITERIA, CRITERION_MAX

SCORE_CHOICES = choices((str(score), str(score)) for score in range(CRITERION_MAX + 1))
SCORE_HINT = f"0 means the bid does not address this at all, {CRITERION_MAX} that it fully meets it"


def _score_field(label: str) -> RadioField:
    # validate_choice off: the service reads the score and says what is wrong with it in its own words.
    return RadioField(label, widget=GovRadioInput(), choices=SCORE_CHOICES, validate_choice=False,
                      description=SCORE_HINT)


class AssessForm(FlaskForm):
    needs = _score_field(CRITERIA["needs"])
    location = _score_field(CRITERIA["location"])
    stability = _score_field(CRITERIA["stability"])
    education = _score_field(CRITERIA["education"])
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(), validators=[Optional()],
                          description="Why you gave these scores, for the record of the decision")
    submit = SubmitField("Save the scores", widget=GovSubmitInput())

    def scores(self) -> dict[str, str]:
        return {criterion: self[criterion].data for criterion in CRITERIA}


class NegotiateForm(FlaskForm):
    price = StringField("Weekly price agreed", widget=GovTextInput(),
                        description="The total weekly price the provider has agreed, like 1,450.00")
    note = TextAreaField("What was agreed, and why", widget=GovTextArea())
    submit = SubmitField("Record the price agreed", widget=GovSubmitInput())


class AwardForm(FlaskForm):
    bid_id = RadioField("Which bid do you award?", widget=GovRadioInput(), validate_choice=False, choices=[])
    reason = TextAreaField("Reason for your choice", widget=GovTextArea(),
                           description="Required when you choose a bid that is not ranked first")
    caution_acknowledged = BooleanField("I have read the caution and still wish to award", widget=GovCheckboxInput())
    ask = SubmitField("Ask a budget holder to approve this bid's weekly cost", widget=GovSubmitInput())
    submit = SubmitField("Award and make the placement", widget=GovSubmitInput())
