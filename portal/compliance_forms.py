"""Forms of the compliance register, used by the authority, provider and administrator pages (the rules are in
portal.services.compliance and portal.services.ofsted_import)."""

from portal.forms import (
    DateField,
    FileField,
    FlaskForm,
    GovDateInput,
    GovFileInput,
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
from portal.models.compliance import DECISIONS, EVIDENCE_KINDS, NOTICE_KINDS

FILE_HINT = "PDF, DOCX, ODT, XLSX or CSV, up to 10 MB"


class EvidenceForm(FlaskForm):
    kind = RadioField("What is the evidence?", widget=GovRadioInput(), choices=choices(list(EVIDENCE_KINDS.items())),
                      validate_choice=False)
    expires_on = DateField("Date it expires", widget=GovDateInput(), validators=[Optional()],
                           description="The last day the cover or evidence is valid. For example, 31 3 2027")
    file = FileField("File", widget=GovFileInput(), description=FILE_HINT)
    submit = SubmitField("Upload evidence", widget=GovSubmitInput())


class EvidenceDecisionForm(FlaskForm):
    decision = RadioField("Your decision", widget=GovRadioInput(), validate_choice=False,
                          choices=choices([("accept", "Accept it"), ("reject", "Reject it")]))
    reason = TextAreaField("Reason", widget=GovTextArea(), description="Needed to reject: the provider reads it")
    submit = SubmitField("Record the decision", widget=GovSubmitInput())


class InadequateDecisionForm(FlaskForm):
    decision = RadioField("Your decision", widget=GovRadioInput(), choices=choices(list(DECISIONS.items())),
                          validate_choice=False)
    reason = TextAreaField("Why", widget=GovTextArea(), description="Every member authority reads it")
    submit = SubmitField("Record the decision", widget=GovSubmitInput())


class NoticeForm(FlaskForm):
    setting_id = SelectField("Setting", widget=GovSelect(), validate_choice=False)
    kind = RadioField("What is it?", widget=GovRadioInput(), choices=choices(list(NOTICE_KINDS.items())),
                      validate_choice=False)
    issued_on = DateField("Date of the notice", widget=GovDateInput(), validators=[Optional()],
                          description="For example, 3 11 2026")
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(), description="Do not name any child")
    file = FileField("The notice", widget=GovFileInput(), description=FILE_HINT)
    submit = SubmitField("Record the notice", widget=GovSubmitInput())


class ReviewDoneForm(FlaskForm):
    notes = TextAreaField("Notes (optional)", widget=GovTextArea())
    submit = SubmitField("Mark this month's Ofsted review done", widget=GovSubmitInput())


class ContinueForm(FlaskForm):
    submit = SubmitField("Ask the assistant director", widget=GovSubmitInput())


class UploadForm(FlaskForm):
    file = FileField("Ofsted's inspection data (CSV)", widget=GovFileInput(),
                     description="The CSV file of Ofsted's published inspection outcomes, up to 10 MB")
    submit = SubmitField("Upload and choose the columns", widget=GovSubmitInput())


class MappingForm(FlaskForm):
    urn_column = SelectField("URN", widget=GovSelect(), validate_choice=False)
    provider_type_column = SelectField("Provider type", widget=GovSelect(), validate_choice=False)
    date_column = SelectField("Inspection date", widget=GovSelect(), validate_choice=False)
    type_column = SelectField("Inspection type", widget=GovSelect(), validate_choice=False)
    judgement_column = SelectField("Overall judgement (1 to 4, or the words)", widget=GovSelect(),
                                   validate_choice=False)
    submit = SubmitField("Save the columns and preview", widget=GovSubmitInput())


class ApplyForm(FlaskForm):
    submit = SubmitField("Apply the import", widget=GovSubmitInput())
