from portal.forms import (
    DataRequired,
    DateField,
    Email,
    FileField,
    FlaskForm,
    GovDateInput,
    GovFileInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    Length,
    Optional,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    choices,
)
from portal.models.dps import EVIDENCE_KINDS
from portal.models.placement_life import ENDING_REASONS


class UploadForm(FlaskForm):
    kind = SelectField("Document", widget=GovSelect(), choices=choices(list(EVIDENCE_KINDS.items())),
                       validators=[DataRequired("Choose which document this is")])
    file = FileField("File", widget=GovFileInput(), description="PDF, DOCX, ODT, XLSX or CSV, up to 10 MB")
    expires_on = DateField("Date the insurance cover ends", widget=GovDateInput(), validators=[Optional()],
                           description="Only for the insurance certificate. For example, 31 3 2027")
    submit = SubmitField("Upload", widget=GovSubmitInput())


class RefereeForm(FlaskForm):
    authority_name = StringField("Local authority", widget=GovTextInput(),
                                 validators=[DataRequired("Enter the local authority's name"), Length(max=200)])
    contact_name = StringField("Referee's name", widget=GovTextInput(),
                               validators=[DataRequired("Enter the referee's name"), Length(max=120)])
    job_title = StringField("Job title", widget=GovTextInput(),
                            validators=[DataRequired("Enter the referee's job title"), Length(max=120)])
    email = StringField("E-mail address", widget=GovTextInput(),
                        validators=[DataRequired("Enter the referee's e-mail address"),
                                    Email("Enter an e-mail address in the correct format, like name@council.gov.uk")])
    telephone = StringField("Telephone (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=30)])
    submit = SubmitField("Add referee", widget=GovSubmitInput())


class CautionEvidenceForm(FlaskForm):
    file = FileField("Evidence file", widget=GovFileInput(), description="PDF, DOCX, ODT, XLSX or CSV, up to 10 MB")
    note = TextAreaField("What does this evidence show?", widget=GovTextArea(),
                         description="For example, a new reference from a local authority, or the actions taken since "
                                     "the unsatisfactory reference")
    submit = SubmitField("Send evidence", widget=GovSubmitInput())


class NoticeForm(FlaskForm):
    """The provider's written notice to end a placement; the rules are in portal/services/endings.py."""

    end_date = DateField("End date", widget=GovDateInput(), validators=[Optional()],
                         description="The first day the child will no longer live with you. For example, 24 4 2027")
    reason = SelectField("Reason", widget=GovSelect(), validate_choice=False,
                         choices=choices([("", "Select a reason"), *ENDING_REASONS.items()]))
    detail = TextAreaField("More about the reason (required for another reason)", widget=GovTextArea(),
                           description="Do not name the child.")
    submit = SubmitField("Give notice", widget=GovSubmitInput())
