"""Forms of the placement pages: the ending. They read what was typed; the rules are in portal/services/endings.py."""

from portal.forms import (
    DateField,
    FlaskForm,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    Optional,
    RadioField,
    SelectField,
    SubmitField,
    TextAreaField,
    choices,
)
from portal.models.placement_life import ENDING_REASONS, NOTICE_BY

PLANNED = {"yes": "Planned", "no": "Unplanned"}


class EndingForm(FlaskForm):
    notice_given_by = RadioField("Who gave written notice?", widget=GovRadioInput(), choices=choices(NOTICE_BY.items()),
                                 validate_choice=False)
    notice_given_on = DateField("Date written notice was given", widget=GovDateInput(), validators=[Optional()],
                                description="For example, 27 3 2027")
    end_date = DateField("End date", widget=GovDateInput(), validators=[Optional()],
                         description="The first day the child no longer lives there. For example, 24 4 2027")
    planned = RadioField("Was the ending planned?", widget=GovRadioInput(), choices=choices(PLANNED.items()),
                         validate_choice=False)
    reason = SelectField("Reason", widget=GovSelect(), choices=choices([("", "Select a reason"),
                                                                         *ENDING_REASONS.items()]),
                         validate_choice=False)
    detail = TextAreaField("More about the ending (optional, required for another reason)", widget=GovTextArea())
    next_placement_id = SelectField("The placement that follows (for a move or a step-down)", widget=GovSelect(),
                                    validate_choice=False)
    submit = SubmitField("Record the ending", widget=GovSubmitInput())

    def fill_from(self, placement) -> None:
        self.notice_given_by.data = placement.notice_given_by
        self.notice_given_on.data = placement.notice_given_on
        self.end_date.data = placement.end_date
        self.planned.data = {True: "yes", False: "no"}.get(placement.ending_planned)
        self.reason.data = placement.ending_reason or ""
        self.detail.data = placement.ending_detail
        self.next_placement_id.data = str(placement.next_placement_id or "")

