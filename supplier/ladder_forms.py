"""The provider's forms on the escalation ladder: an appeal, and an action recorded done."""

from portal.forms import FileField, FlaskForm, GovFileInput, GovSubmitInput, GovTextArea, SubmitField, TextAreaField
from portal.services.uploads import ALLOWED_LABEL


class AppealForm(FlaskForm):
    grounds = TextAreaField("Grounds of your appeal", widget=GovTextArea(),
                            description="Say why the decision is wrong or too severe. Do not name or identify a child.")
    document = FileField("Supporting document (optional)", widget=GovFileInput(),
                         description=f"{ALLOWED_LABEL}, up to 10 MB")
    submit = SubmitField("Send your appeal", widget=GovSubmitInput())


class ActionDoneForm(FlaskForm):
    note = TextAreaField("What you did (optional)", widget=GovTextArea())
    submit = SubmitField("Record as done", widget=GovSubmitInput())
