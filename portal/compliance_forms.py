"""Forms of the compliance register, used by the authority, provider and administrator pages (the rules are in
portal.services.compliance and portal.services.ofsted_import)."""

from portal.errors import DomainError, NotFound
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


def notice_form(settings) -> NoticeForm:
    """The notice form offering the provider's settings."""
    form = NoticeForm()
    form.setting_id.choices = [("", "Choose the setting")] + [(str(setting.id), setting.label)
                                                              for setting in settings]
    return form


def record_notice_from(form: NoticeForm, user, settings, files, now):
    """Record the notice the valid form describes (portal.services.compliance.record_notice); the setting it was
    about, or None with the problems put on the form. Nothing is stored when anything is wrong. NotFound passes
    through."""
    from portal.forms import add_domain_error
    from portal.services import compliance

    setting = next((setting for setting in settings if str(setting.id) == form.setting_id.data), None)
    if setting is None:
        form.setting_id.errors = ["Choose the setting the notice is about"]
        return None
    upload = files.get("file")
    try:
        compliance.record_notice(user, setting, kind=form.kind.data or "", issued_on=form.issued_on.data,
                                 notes=form.notes.data or "", data=upload.read() if upload else b"",
                                 filename=upload.filename if upload else "", now=now)
    except NotFound:
        raise  # not the user's to record: the page answers 404
    except DomainError as error:
        add_domain_error(form, error)
        return None
    return setting


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
