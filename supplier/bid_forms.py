"""The provider's bid and decline forms. The rules are in portal.services.bids; these forms only carry what was
typed (money as text, so a mistake is shown back as typed) and show the service's mistakes on their fields."""

from wtforms import FieldList, Form, FormField

from portal import areas
from portal.formatting import pounds
from portal.forms import (
    DateField,
    FlaskForm,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    Optional,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    choices,
    record_id,
)
from portal.models.referral import DECLINE_REASONS
from portal.services.bids import MAX_ADDITIONAL_COSTS, AdditionalCost, BidInput


class MoneyInput(GovTextInput):
    """A pounds-and-pence box: £ before, "per week" after, the decimal keyboard on phones."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        params.setdefault("prefix", {"text": "£"})
        params.setdefault("suffix", {"text": "per week"})
        params.setdefault("classes", "govuk-input--width-10")
        params.setdefault("inputmode", "decimal")
        params.setdefault("spellcheck", False)
        return params


class AdditionalCostForm(Form):
    """One row of additional costs; a row left empty is ignored."""

    description = StringField("What it pays for", widget=GovTextInput(),
                              description="Linked to a need or an outcome, like 1:1 support at school")
    weekly_amount = StringField("Weekly amount", widget=MoneyInput())
    timescale = StringField("Timescale", widget=GovTextInput(), description="For how long, like First 12 weeks")
    review_date = DateField("Review date", widget=GovDateInput(), validators=[Optional()],
                            description="For example, 31 3 2027")


class BidForm(FlaskForm):
    core_weekly_fee = StringField("Core weekly fee", widget=MoneyInput(),
                                  description="The weekly fee for the placement, before any additional costs")
    costs = FieldList(FormField(AdditionalCostForm), min_entries=MAX_ADDITIONAL_COSTS,
                      max_entries=MAX_ADDITIONAL_COSTS)
    proposed_start = DateField("Proposed start date", widget=GovDateInput(), validators=[Optional()],
                               description="For example, 31 3 2027")
    setting = SelectField("The setting you are offering", widget=GovSelect(), validate_choice=False,
                          description="Its area and description fill the boxes below where you leave them empty; "
                                      "you can change them for this bid")
    home_area = SelectField("Area of the home or carers", widget=GovSelect(), validate_choice=False,
                            description="The district, unitary authority or borough the home is in")
    home_description = TextAreaField("The home or carers", widget=GovTextArea(),
                                     description="Who would care for the child and where, without addresses")
    how_needs_met = TextAreaField("How you will meet the child's needs", widget=GovTextArea())
    submit = SubmitField("Send bid", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.home_area.choices = areas.lowest_tier_choices()
        self.setting.choices = []

    def offer_settings(self, open_settings, *, prefill: bool) -> None:
        """The provider's open settings to choose from; on a new bid with one setting, it is chosen and the
        home's area and description are filled from it."""
        self.setting.choices = choices([("", "Choose a setting")]
                                       + [(str(setting.id), setting.label) for setting in open_settings])
        if prefill and len(open_settings) == 1:
            only = open_settings[0]
            self.setting.data = str(only.id)
            self.home_area.data = self.home_area.data or only.area_code or ""
            self.home_description.data = self.home_description.data or only.description

    def fill_from(self, bid) -> None:
        """Prefill for a revision from the provider's bid."""
        self.core_weekly_fee.data = pounds(bid.core_weekly_fee)
        for entry, cost in zip(self.costs.entries, bid.costs, strict=False):
            entry.form.description.data = cost.description
            entry.form.weekly_amount.data = pounds(cost.weekly_amount)
            entry.form.timescale.data = cost.timescale
            entry.form.review_date.data = cost.review_date
        self.proposed_start.data = bid.proposed_start
        self.home_area.data = bid.home_area_code or ""
        self.setting.data = str(bid.setting_id) if bid.setting_id else ""
        self.home_description.data = bid.home_description
        self.how_needs_met.data = bid.how_needs_met

    def bid_input(self) -> BidInput:
        return BidInput(
            core_weekly_fee=self.core_weekly_fee.data or "",
            additional_costs=[AdditionalCost(entry.form.description.data or "", entry.form.weekly_amount.data or "",
                                             entry.form.timescale.data or "", entry.form.review_date.data)
                              for entry in self.costs.entries],
            proposed_start=self.proposed_start.data,
            home_area=self.home_area.data or "",
            home_description=self.home_description.data or "",
            how_needs_met=self.how_needs_met.data or "",
            setting_id=record_id(self.setting.data),
        )

    def field_named(self, name: str):
        """The field a service problem names: "home_area", or "costs-2-timescale" for a row's field."""
        if name.startswith("costs-"):
            _, index, part = name.split("-", 2)
            return getattr(self.costs.entries[int(index)].form, part, None)
        return getattr(self, name, None)

    def show_problems(self, problems: dict[str, str]) -> None:
        """Put the service's problems on their fields, after any of the form's own (unreadable dates)."""
        for name, message in problems.items():
            field = None if name == "costs" else self.field_named(name)
            if field is None:
                self.form_errors.append(message)
            elif not field.errors:
                field.errors = [message]
        self.costs.errors = [entry.errors for entry in self.costs.entries]
        if not any(self.costs.errors):
            self.costs.errors = []


class DeclineForm(FlaskForm):
    reason = RadioField("Why can you not bid?", widget=GovRadioInput(), choices=choices(DECLINE_REASONS.items()),
                        validate_choice=False)
    detail = TextAreaField("More detail", widget=GovTextArea(), validators=[Optional()],
                           description="Needed if you chose Other")
    submit = SubmitField("Decline the referral", widget=GovSubmitInput())
