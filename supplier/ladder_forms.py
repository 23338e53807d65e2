"""The provider's forms on the escalation ladder: an appeal, and an action recorded done."""

from portal.forms import FlaskForm, GovSubmitInput, GovTextArea, SubmitField, TextAreaField


class AppealForm(FlaskForm):
    grounds = TextAreaField("Grounds of your appeal", widget=GovTextArea(),
                            description="Say why the decision is wrong or too severe. Do not name or identify a child.")
    submit = SubmitField("Send your appeal", widget=GovSubmitInput())


class ActionDoneForm(FlaskForm):
    note = TextAreaField("What you did (optional)", widget=GovTextArea())
    submit = SubmitField("Record as done", widget=GovSubmitInput())
