from portal.forms import FlaskForm, GovSubmitInput, GovTextInput, StringField, SubmitField


class SignForm(FlaskForm):
    name = StringField("Your full name", widget=GovTextInput(),
                       description="Typing your name here is your signature for your organisation")
    position = StringField("Your position", widget=GovTextInput(), description="For example, Registered manager")
    sha256 = StringField("SHA-256")
    submit = SubmitField("Sign this version", widget=GovSubmitInput())
