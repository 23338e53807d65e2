"""Forms of the escalation ladder on the authority's side: performance issues, contract reviews, proposing a
sanction, recording a notice met or a suspension's review, and deciding an appeal. The service
(portal.services.ladder) checks every value; these forms only carry them."""

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
from portal.models.ladder import APPEAL_OUTCOME_LABELS, BREACH_LABELS, SAFEGUARDING, SANCTION_LABELS, SEVERITY_LABELS

DATE_HINT = "For example, 27 3 2027"
NO_CHILD = "The provider reads this: do not name or identify a child."
ACTION_ROWS = 3


def _with_actions(cls):
    """Three action rows (what, and the date it is due), as action_1, due_1… (the service names errors so)."""
    for number in range(1, ACTION_ROWS + 1):
        setattr(cls, f"action_{number}", TextAreaField(f"Action {number}", widget=GovTextArea(),
                                                       description=NO_CHILD if number == 1 else ""))
        setattr(cls, f"due_{number}", DateField(f"Action {number} due on", widget=GovDateInput(),
                                                validators=[Optional()], description=DATE_HINT))
    return cls


def action_rows(form) -> list[tuple[str, object]]:
    return [(getattr(form, f"action_{number}").data, getattr(form, f"due_{number}").data)
            for number in range(1, ACTION_ROWS + 1)]


@_with_actions
class IssueForm(FlaskForm):
    severity = RadioField("How serious is the issue?", widget=GovRadioInput(), validate_choice=False,
                          choices=choices([(key, f"{label}: " + (
                              "agreed actions and timescales" if key == "minor" else
                              "agreed with your head of service or a budget holder first"))
                              for key, label in SEVERITY_LABELS.items()]))
    placement_id = SelectField("About one of your placements (optional)", widget=GovSelect(), validate_choice=False,
                               choices=choices([("", "Not about one placement")]))
    description = TextAreaField("The issue", widget=GovTextArea(), description=NO_CHILD)
    submit = SubmitField("Raise the issue", widget=GovSubmitInput())


class ActionDoneForm(FlaskForm):
    note = TextAreaField("Note (optional)", widget=GovTextArea())
    submit = SubmitField("Record as done", widget=GovSubmitInput())


class CloseIssueForm(FlaskForm):
    submit = SubmitField("Close the issue", widget=GovSubmitInput())


class ReviewForm(FlaskForm):
    breach = RadioField("The breach", widget=GovRadioInput(), validate_choice=False,
                        choices=choices([(key, label) for key, label in BREACH_LABELS.items() if key != SAFEGUARDING]))
    details = TextAreaField("What happened", widget=GovTextArea(), description=NO_CHILD)
    submit = SubmitField("Open the contract review", widget=GovSubmitInput())


class CloseReviewForm(FlaskForm):
    outcome = TextAreaField("Why no sanction is needed", widget=GovTextArea())
    submit = SubmitField("Complete the review with no sanction", widget=GovSubmitInput())


@_with_actions
class ProposeForm(FlaskForm):
    kind = RadioField("The sanction to propose", widget=GovRadioInput(), validate_choice=False,
                      choices=choices(list(SANCTION_LABELS.items())))
    grounds = TextAreaField("Grounds", widget=GovTextArea(),
                            description="Sent to the provider in the letter. " + NO_CHILD)
    review_on = DateField("Suspension review date", widget=GovDateInput(), validators=[Optional()],
                          description="For a suspension. " + DATE_HINT)
    submit = SubmitField("Propose for approval", widget=GovSubmitInput())


class NoticeMetForm(FlaskForm):
    reason = TextAreaField("How the notice was met", widget=GovTextArea())
    submit = SubmitField("Record the notice as met", widget=GovSubmitInput())


class SuspensionReviewForm(FlaskForm):
    decision = RadioField("Your decision at the review", widget=GovRadioInput(), validate_choice=False,
                          choices=choices([("lift", "Lift the suspension"),
                                           ("extend", "Extend it to a new review date")]))
    review_on = DateField("New review date", widget=GovDateInput(), validators=[Optional()],
                          description="When extending. " + DATE_HINT)
    reason = TextAreaField("Reason", widget=GovTextArea(), description="The provider is told it.")
    submit = SubmitField("Record the review", widget=GovSubmitInput())


@_with_actions
class AppealDecisionForm(FlaskForm):
    outcome = RadioField("Outcome", widget=GovRadioInput(), validate_choice=False,
                         choices=choices(list(APPEAL_OUTCOME_LABELS.items())))
    reduced_to = RadioField("Reduced to (when partly upheld)", widget=GovRadioInput(), validate_choice=False,
                            choices=choices([(key, label) for key, label in SANCTION_LABELS.items()
                                             if key != "termination"]))
    review_on = DateField("Suspension review date (when reduced to suspension)", widget=GovDateInput(),
                          validators=[Optional()], description=DATE_HINT)
    reason = TextAreaField("Reason for the decision", widget=GovTextArea(), description="The provider is told it.")
    submit = SubmitField("Decide the appeal", widget=GovSubmitInput())
