"""The monthly Ofsted import (the lead's administrators): upload Ofsted's CSV, choose its columns, preview what
changes, apply. The rules are in portal.services.ofsted_import."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin.views import blueprint
from portal.clock import now
from portal.compliance_forms import (
    ApplyForm,
    EvidenceDecisionForm,
    MappingForm,
    UploadForm,
    notice_form,
    record_notice_from,
)
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import add_domain_error
from portal.models import Organisation
from portal.models.compliance import EVIDENCE_STATUSES, SUBMITTED
from portal.services import compliance, contracts
from portal.services import ofsted_import as imports
from portal.shared import _send_stored


def _import(import_id: int):
    try:
        return imports.get(current_user, import_id)
    except NotFound:
        abort(404)


@blueprint.route("/ofsted-imports", methods=["GET", "POST"])
def ofsted_imports():
    """The lead's Ofsted imports, newest first, and the form to upload the month's file."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            imported = imports.upload(current_user, data=upload.read() if upload else b"",
                                            filename=upload.filename if upload else "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect(url_for("admin.ofsted_import_mapping", import_id=imported.id))
    page = db.paginate(imports.imports_of(current_user), page=request.args.get("page", 1, type=int),
                       per_page=25, error_out=False)
    return render_template("admin/ofsted/imports.html", form=form, page=page), \
        400 if form.errors or form.form_errors else 200


@blueprint.route("/ofsted-imports/<int:import_id>/columns", methods=["GET", "POST"])
def ofsted_import_mapping(import_id):
    """Which column holds what: offered as last time's choice (or a guess), remembered when saved."""
    imported = _import(import_id)
    headings = imports.headings(imported)
    form = MappingForm(data=None if request.method == "POST" else imports.mapping_for(imported))
    for name in imports.FIELDS:
        getattr(form, name).choices = [("", "Choose a column")] + [(heading, heading) for heading in headings]
    if imported.is_applied:
        flash("This import has been applied: its columns can no longer change", "info")
        return redirect(url_for("admin.ofsted_import", import_id=imported.id))
    if form.validate_on_submit():
        try:
            imports.save_mapping(current_user, imported,
                                       {name: getattr(form, name).data for name in imports.FIELDS}, now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect(url_for("admin.ofsted_import", import_id=imported.id))
    return render_template("admin/ofsted/mapping.html", form=form, imported=imported), \
        400 if form.errors or form.form_errors else 200


@blueprint.route("/ofsted-imports/<int:import_id>")
def ofsted_import(import_id):
    """The preview of what applying changes (or, once applied, what it recorded)."""
    imported = _import(import_id)
    mapping = imports.mapping_for(imported)
    if not all(mapping.values()):
        return redirect(url_for("admin.ofsted_import_mapping", import_id=imported.id))
    return render_template("admin/ofsted/preview.html", imported=imported, form=ApplyForm(),
                           preview=imports.preview(imported, mapping), shown=imports.SHOWN)


@blueprint.route("/ofsted-imports/<int:import_id>/apply", methods=["POST"])
def ofsted_import_apply(import_id):
    imported = _import(import_id)
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = imports.apply(current_user, imported, now())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"Import applied: {len(result.changes)} judgements recorded, {result.falls} of them falls", "success")
    return redirect(url_for("admin.ofsted_import", import_id=imported.id))


# Evidence: the lead's administrators decide it as the providers' contract managers do ---------------------------

@blueprint.route("/compliance/evidence")
def compliance_evidence_list():
    """Evidence of the providers on the lead's DPSs: waiting for a decision by default, or by status."""
    status = request.args.get("status", SUBMITTED)
    status = status if status in EVIDENCE_STATUSES else None
    page = db.paginate(compliance.evidence_of_lead(current_user, status=status),
                       page=request.args.get("page", 1, type=int), per_page=25, error_out=False)
    return render_template("admin/ofsted/evidence.html", page=page, status=status or "all",
                           statuses=EVIDENCE_STATUSES)


@blueprint.route("/compliance/evidence/<int:evidence_id>", methods=["GET", "POST"])
def compliance_evidence(evidence_id):
    try:
        evidence = compliance.evidence_for(current_user, evidence_id)
    except NotFound:
        abort(404)
    form = EvidenceDecisionForm()
    if form.validate_on_submit():
        accept = {"accept": True, "reject": False}.get(form.decision.data or "")
        try:
            compliance.decide_evidence(current_user, evidence, accept=accept, reason=form.reason.data or "",
                                       now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"{evidence.kind_label} of {evidence.provider.name} {evidence.status}", "success")
            return redirect(url_for("admin.compliance_evidence", evidence_id=evidence.id))
    return render_template("buyer/compliance/evidence.html", evidence=evidence, form=form,
                           file_endpoint="admin.compliance_evidence_file",
                           back_link=url_for("admin.compliance_evidence_list"), back_text="Back to evidence"), \
        400 if form.errors or form.form_errors else 200


@blueprint.route("/compliance/evidence/<int:evidence_id>/file")
def compliance_evidence_file(evidence_id):
    try:
        evidence = compliance.evidence_for(current_user, evidence_id)
    except NotFound:
        abort(404)
    return _send_stored(evidence.stored_name, evidence.file_type, evidence.filename)


# Enforcement notices: the lead's administrators record them as the providers' contract managers do --------------

@blueprint.route("/compliance/providers/<int:provider_id>/notices/new", methods=["GET", "POST"])
def compliance_notice_new(provider_id):
    """Record an Ofsted enforcement notice against one of the provider's settings (a provider on the lead's DPSs)."""
    if not compliance.may_manage(current_user, provider_id):
        abort(404)
    provider = db.session.get(Organisation, provider_id)
    settings = contracts.settings_of(provider_id)
    form = notice_form(settings)
    if form.validate_on_submit():
        try:
            setting = record_notice_from(form, current_user, settings, request.files, now())
        except NotFound:
            abort(404)
        if setting is not None:
            flash(f"Enforcement notice about {setting.label} recorded", "success")
            return redirect(url_for("admin.provider_detail", provider_id=provider_id))
    return render_template("buyer/compliance/notice.html", provider=provider, form=form,
                           back_link=url_for("admin.provider_detail", provider_id=provider_id),
                           back_text=f"Back to {provider.name}"), 400 if form.errors or form.form_errors else 200
