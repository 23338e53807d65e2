"""The provider's side of the individual placement agreement: its versions, newest and waiting first; each one
read, downloaded and, by a signatory, signed; beside it what the provider may know of the placement's life (the
outcome of each review and that an incident was recorded, by category and date). Nothing of the child's identity
(services.agreements, services.reviews, services.placement_records)."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.forms import add_domain_error
from portal.models.user import SIGNATORY
from portal.services import agreements, placement_records, reviews
from supplier.agreement_forms import SignForm
from supplier.views import blueprint


def _version(version_id: int):
    try:
        return agreements.version_for_provider(current_user, version_id)
    except NotFound:
        abort(404)


@blueprint.app_template_global("agreements_to_sign")
def agreements_to_sign() -> int:
    """How many versions wait for the signature of the signed-in provider's signatory (for its dashboard)."""
    return agreements.to_sign_count(current_user)


@blueprint.route("/agreements")
def agreements_list():
    page = agreements.for_provider(current_user, page=request.args.get("page", 1, type=int))
    return render_template("supplier/agreements/list.html", page=page,
                           is_signatory=current_user.has_role(SIGNATORY))


@blueprint.route("/agreements/<int:version_id>", methods=["GET", "POST"])
def agreement(version_id):
    version = _version(version_id)
    form = SignForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            agreements.sign_as_provider(current_user, version, name=form.name.data or "",
                                        position=form.position.data or "", sha256=form.sha256.data or "", now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Version {version.number} signed. The authority's budget holder countersigns it next.", "success")
            return redirect(url_for("supplier.agreement", version_id=version.id))
    placement = version.placement
    status = 400 if form.errors or form.form_errors else 200
    return render_template("supplier/agreements/agreement.html", version=version, placement=placement, form=form,
                           versions=agreements.versions_of(placement),
                           is_signatory=current_user.has_role(SIGNATORY),
                           outcomes=reviews.outcomes_for_provider(placement),
                           incidents=placement_records.incidents_for_provider(placement)), status


@blueprint.route("/agreements/<int:version_id>.pdf")
def agreement_pdf(version_id):
    version = _version(version_id)
    return Response(agreements.pdf_of(version), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{version.filename}"', "Cache-Control": "no-store"})
