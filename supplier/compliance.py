"""The provider's side of the compliance register: its insurance and other dated evidence (upload, see the
decisions), and the documents of enforcement notices about its settings. The rules are in
portal.services.compliance."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.clock import now
from portal.compliance_forms import EvidenceForm
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import add_domain_error
from portal.services import compliance
from portal.shared import _send_stored
from portal.timezone import uk_today
from supplier.views import blueprint


@blueprint.route("/compliance/evidence", methods=["GET", "POST"])
def compliance_evidence():
    """The provider's evidence, newest first, and the form to upload more."""
    form = EvidenceForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            evidence = compliance.submit_evidence(current_user, kind=form.kind.data or "",
                                                  expires_on=form.expires_on.data,
                                                  data=upload.read() if upload else b"",
                                                  filename=upload.filename if upload else "", now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"{evidence.kind_label} uploaded: your contract manager will check it", "success")
            return redirect(url_for("supplier.compliance_evidence"))
    page = db.paginate(compliance.evidence_list(current_user.organisation_id),
                       page=request.args.get("page", 1, type=int), per_page=25, error_out=False)
    return render_template("supplier/compliance/evidence.html", form=form, page=page,
                           in_force=compliance.evidence_in_force(current_user.organisation_id),
                           today=uk_today(now())), 400 if form.errors or form.form_errors else 200


@blueprint.route("/compliance/evidence/<int:evidence_id>/file")
def compliance_evidence_file(evidence_id):
    try:
        evidence = compliance.evidence_for(current_user, evidence_id)
    except NotFound:
        abort(404)
    return _send_stored(evidence.stored_name, evidence.file_type, evidence.filename)


@blueprint.route("/compliance/notices/<int:notice_id>/file")
def compliance_notice_file(notice_id):
    try:
        notice = compliance.notice_for(current_user, notice_id)
    except NotFound:
        abort(404)
    return _send_stored(notice.stored_name, notice.file_type, notice.filename)
