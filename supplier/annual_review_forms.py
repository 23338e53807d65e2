"""Forms of the annual contract review on the provider's side. Answers are one textarea per question, read from
the request; the service checks every value."""

from portal.forms import FlaskForm, GovSubmitInput, GovTextArea, StringField, SubmitField, TextAreaField


class AnswersForm(FlaskForm):
    version = StringField("Version")
    save = SubmitField("Save your answers", widget=GovSubmitInput())
    submit = SubmitField("Submit the self-assessment", widget=GovSubmitInput())


class CommentForm(FlaskForm):
    comment = TextAreaField("Your comment on the rating", widget=GovTextArea(),
                            description="The contract manager reads it and may moderate the rating before the "
                                        "action plan is issued")
    submit = SubmitField("Send your comment", widget=GovSubmitInput())


class ActionDoneForm(FlaskForm):
    note = TextAreaField("What was done", widget=GovTextArea())
    submit = SubmitField("Mark the action done", widget=GovSubmitInput())
