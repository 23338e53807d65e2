"""The provider's setting form. The rules are in portal.services.settings; this form only carries what was
typed."""

from wtforms import HiddenField

from portal import areas
from portal.forms import (
    FlaskForm,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    choices,
)
from portal.models.setting import SETTING_KINDS
from portal.services.settings import SettingInput


class SettingForm(FlaskForm):
    name = StringField("Name of the setting", widget=GovTextInput(),
                       description="As it is known to Ofsted and to placing authorities, like Mill Lane House")
    kind = SelectField("Type of setting", widget=GovSelect(), validate_choice=False,
                       choices=choices([("", "Choose a type")] + list(SETTING_KINDS.items())))
    ofsted_urn = StringField("Ofsted URN (optional)", widget=GovTextInput(),
                             description="As shown on the setting's registration, like 1234567 or SC123456")
    area_code = SelectField("Area", widget=GovSelect(), validate_choice=False,
                            description="The district, unitary authority or borough the setting is in")
    address = TextAreaField("Address", widget=GovTextArea(),
                            description="Seen by your organisation and the consortium only, never in a bid")
    description = TextAreaField("Description (optional)", widget=GovTextArea(),
                                description="Offered in your bids: who cares for children there, without addresses")
    seen = HiddenField()
    submit = SubmitField("Save setting", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.area_code.choices = areas.lowest_tier_choices()

    def fill_from(self, setting) -> None:
        self.name.data, self.kind.data, self.ofsted_urn.data = setting.name, setting.kind, setting.ofsted_urn or ""
        self.area_code.data, self.address.data = setting.area_code or "", setting.address
        self.description.data = setting.description

    def setting_input(self) -> SettingInput:
        return SettingInput(name=self.name.data or "", kind=self.kind.data or "", ofsted_urn=self.ofsted_urn.data or "",
                            area_code=self.area_code.data or "", address=self.address.data or "",
                            description=self.description.data or "")


class CloseSettingForm(FlaskForm):
    submit = SubmitField("Close the setting", widget=GovSubmitInput())
