from portal.forms import (
    FlaskForm,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    RadioField,
    SubmitField,
    TextAreaField,
)

DECISIONS = [("approve", "Approve"), ("refuse", "Refuse")]


class AnswerForm(FlaskForm):
    # validate_choice off: the view says what is missing in its own words.
    decision = RadioField("Your answer", widget=GovRadioInput(), choices=DECISIONS, validate_choice=False)
    reason = TextAreaField("Reason", widget=GovTextArea(),
                           description="Required when you refuse; the person who asked is told it")
    submit = SubmitField("Send your answer", widget=GovSubmitInput())


class WithdrawRequestForm(FlaskForm):
    submit = SubmitField("Withdraw the request", widget=GovSubmitInput())
