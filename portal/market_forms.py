"""The market's forms, shared by the providers' and the authorities' pages: a vacancy, a sufficiency notice, and
the vacancy board's search. They carry what was typed; the rules are in portal.services.vacancies and
portal.services.sufficiency, whose mistakes the views show on these fields (`show_problems`)."""

from portal import areas
from portal.errors import DomainError
from portal.forms import (
    DateField,
    FlaskForm,
    GovDateInput,
    GovIntegerInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    IntegerField,
    Optional,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    add_domain_error,
    record_id,
)
from portal.services.sufficiency import NoticeInput
from portal.services.vacancies import Search, VacancyInput

DATE_HINT = "For example, 31 3 2027"


def lot_choices(lots, blank: str = "Choose a lot") -> list[tuple[str, str]]:
    return [("", blank)] + [(str(lot.id), f"{lot.dps.name}: {lot.label} (ages {lot.age_band})") for lot in lots]


def show_problems(form, problems: dict[str, str]) -> None:
    for name, message in problems.items():
        add_domain_error(form, DomainError(message, field=name))


def _age(label: str, description: str = "") -> IntegerField:
    return IntegerField(label, widget=GovIntegerInput(), validators=[Optional()], description=description)


class VacancyForm(FlaskForm):
    lot_id = SelectField("Lot", widget=GovSelect(), validate_choice=False,
                         description="A lot your organisation holds a place on")
    home_name = StringField("The home or service", widget=GovTextInput(),
                            description="Its name as officers know it, never its address")
    area_code = SelectField("Area of the home", widget=GovSelect(), validate_choice=False,
                            description="The district, unitary authority or borough the home is in")
    age_from = _age("Youngest age", "In years")
    age_to = _age("Oldest age", "In years")
    available_from = DateField("Free from", widget=GovDateInput(), validators=[Optional()], description=DATE_HINT)
    available_until = DateField("Free until", widget=GovDateInput(), validators=[Optional()],
                                description="The last day it is shown on the board. " + DATE_HINT)
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(),
                          description="What the place suits: no addresses, telephone numbers or e-mail addresses")
    submit = SubmitField("Publish the vacancy", widget=GovSubmitInput())

    def __init__(self, lots, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot_id.choices = lot_choices(lots)
        self.area_code.choices = areas.lowest_tier_choices()

    def fill_from(self, vacancy) -> None:
        self.lot_id.data = str(vacancy.lot_id)
        self.home_name.data = vacancy.home_name
        self.area_code.data = vacancy.area_code
        self.age_from.data, self.age_to.data = vacancy.age_from, vacancy.age_to
        self.available_from.data, self.available_until.data = vacancy.available_from, vacancy.available_until
        self.notes.data = vacancy.notes

    def vacancy_input(self) -> VacancyInput:
        return VacancyInput(lot_id=record_id(self.lot_id.data), home_name=self.home_name.data or "",
                            area_code=self.area_code.data or "", age_from=self.age_from.data,
                            age_to=self.age_to.data, available_from=self.available_from.data,
                            available_until=self.available_until.data, notes=self.notes.data or "")


class NoticeForm(FlaskForm):
    lot_id = SelectField("Lot", widget=GovSelect(), validate_choice=False)
    area_code = SelectField("Where the need is", widget=GovSelect(), validate_choice=False,
                            description="An authority's whole area, or a district or borough within it")
    age_from = _age("Youngest age", "In years")
    age_to = _age("Oldest age", "In years")
    places = IntegerField("How many carers or homes", widget=GovIntegerInput(), validators=[Optional()])
    note = TextAreaField("Note (optional)", widget=GovTextArea(),
                         description="What the children need: never a child's name or details")
    needed_until = DateField("Needed until", widget=GovDateInput(), validators=[Optional()],
                             description="The last day providers see the notice. " + DATE_HINT)
    submit = SubmitField("Publish the notice", widget=GovSubmitInput())

    def __init__(self, lots, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot_id.choices = lot_choices(lots)
        self.area_code.choices = areas.choices()

    def fill_from(self, notice) -> None:
        self.lot_id.data = str(notice.lot_id)
        self.area_code.data = notice.area_code
        self.age_from.data, self.age_to.data = notice.age_from, notice.age_to
        self.places.data = notice.places
        self.note.data = notice.note
        self.needed_until.data = notice.needed_until

    def notice_input(self) -> NoticeInput:
        return NoticeInput(lot_id=record_id(self.lot_id.data), area_code=self.area_code.data or "",
                           age_from=self.age_from.data, age_to=self.age_to.data, places=self.places.data,
                           note=self.note.data or "", needed_until=self.needed_until.data)


class WithdrawForm(FlaskForm):
    submit = SubmitField("Withdraw it", widget=GovSubmitInput())


class VacancySearchForm(FlaskForm):
    """The board's filters, sent in the address (GET) so a search can be shared: no CSRF token."""

    class Meta:
        csrf = False

    lot = SelectField("Lot", widget=GovSelect(), validate_choice=False)
    area = SelectField("Area", widget=GovSelect(), validate_choice=False,
                       description="An authority's whole area finds the vacancies in its districts too")
    age = IntegerField("Child's age", widget=GovIntegerInput(), validators=[Optional()])
    on = DateField("Free on", widget=GovDateInput(), validators=[Optional()], description=DATE_HINT)
    submit = SubmitField("Search", widget=GovSubmitInput())

    def __init__(self, lots, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot.choices = lot_choices(lots, blank="Any lot")
        self.area.choices = areas.choices(blank="Any area")

    def search(self) -> Search | None:
        """The search asked for; None (with the mistakes on the fields) when a filter cannot be read."""
        if not self.validate():
            return None
        lot_id = record_id(self.lot.data) if self.lot.data else None
        if self.lot.data and lot_id not in {record_id(value) for value, _ in self.lot.choices if value}:
            self.lot.errors = ["Choose a lot from the list"]
            return None
        if self.area.data and areas.get(self.area.data) is None:
            self.area.errors = ["Choose an area from the list"]
            return None
        if self.age.data is not None and not 0 <= self.age.data <= 25:
            self.age.errors = ["Enter an age from 0 to 25"]
            return None
        area_code = areas.get(self.area.data).code if self.area.data else ""  # "e10000017" typed is Lancashire
        return Search(lot_id=lot_id, area_code=area_code, age=self.age.data, on=self.on.data)
