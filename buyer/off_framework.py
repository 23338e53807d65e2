"""Officers' off-framework pages: the authority's own provider list, the off-framework search and placement once
a referral has exhausted the framework, and the QA visits due (the placements list is in buyer/placements.py)."""


from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from buyer.off_framework_forms import (
    DocumentForm,
    PlacementApprovalForm,
    PlacementForm,
    ProviderForm,
    QaVisitForm,
    RefereeForm,
    ReferenceForm,
    SearchForm,
)
from buyer.views import blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.forms import add_domain_error, choices, parse_time
from portal.models.approval import OFF_FRAMEWORK_SEARCH, PLACEMENT_COST, SENIOR_AGREEMENT
from portal.models.user import COMMISSIONING_OFFICER
from portal.services import approvals, awards, off_framework, referrals, uploads
from portal.services.off_framework import CostLine, ProviderDetails
from portal.timezone import local_datetime


def _found(getter, *args):
    try:
        return getter(current_user, *args)
    except NotFound:
        abort(404)


def _status(form) -> int:
    return 400 if form.errors or form.form_errors else 200


# The provider list -----------------------------------------------------------------------------

@blueprint.route("/off-framework-providers")
def off_framework_providers():
    search = request.args.get("search", "").strip()
    page = off_framework.list_for(current_user, page=request.args.get("page", 1, type=int), search=search)
    return render_template("buyer/off_framework/providers.html", page=page, search=search,
                           references_taken_up=off_framework.references_taken_up)


def _details(form: ProviderForm) -> ProviderDetails:
    return ProviderDetails(
        name=form.name.data or "", ofsted_urn=form.ofsted_urn.data or "", ofsted_rating=form.ofsted_rating.data or "",
        local_authority_area=form.local_authority_area.data or "", address=form.address.data or "",
        contact_name=form.contact_name.data or "", email=form.email.data or "", telephone=form.telephone.data or "",
        services=form.services.data or "", place_with_caution=bool(form.place_with_caution.data),
        caution_note=form.caution_note.data or "")


@blueprint.route("/off-framework-providers/new", methods=["GET", "POST"])
def off_framework_provider_new():
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            provider = off_framework.create(current_user, _details(form), now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"{provider.name} added to your off-framework list", "success")
            return redirect(url_for("buyer.off_framework_provider", provider_id=provider.id))
    return render_template("buyer/off_framework/provider_form.html", form=form, provider=None), _status(form)


@blueprint.route("/off-framework-providers/<int:provider_id>/edit", methods=["GET", "POST"])
def off_framework_provider_edit(provider_id):
    provider = _found(off_framework.get_provider, provider_id)
    form = ProviderForm(obj=provider)
    if request.method == "GET":
        form.ofsted_urn.data = provider.ofsted_urn or ""
        form.ofsted_rating.data = provider.ofsted_rating or ""
        form.local_authority_area.data = provider.area_code or ""
    if form.validate_on_submit():
        try:
            off_framework.update(current_user, provider, _details(form), now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Details of {provider.name} saved", "success")
            return redirect(url_for("buyer.off_framework_provider", provider_id=provider.id))
    return render_template("buyer/off_framework/provider_form.html", form=form, provider=provider), _status(form)


def _reference_form(referee, formdata=None):
    form = ReferenceForm(formdata=formdata, prefix=f"referee-{referee.id}")
    if formdata is None:
        form.outcome.data = referee.outcome or off_framework.NOT_TAKEN_UP
        form.note.data = referee.note
    return form


def _render_provider(provider, *, failed=None, document_form=None, referee_form=None, reference_form=None):
    reference_forms = {referee.id: _reference_form(referee) for referee in provider.referees}
    if reference_form is not None:
        reference_forms[reference_form.referee_id] = reference_form
    return render_template(
        "buyer/off_framework/provider.html", provider=provider, failed=failed,
        document_form=document_form or DocumentForm(formdata=None),
        referee_form=referee_form or RefereeForm(formdata=None), reference_forms=reference_forms,
        references_taken_up=off_framework.references_taken_up(provider), evidence=off_framework.evidence_of(provider),
        missing_evidence=off_framework.missing_evidence(provider),
        minimum_references=off_framework.MINIMUM_REFERENCES, outcome_label=off_framework.outcome_label,
        size_label=uploads.size_label), 400 if failed is not None else 200


@blueprint.route("/off-framework-providers/<int:provider_id>")
def off_framework_provider(provider_id):
    return _render_provider(_found(off_framework.get_provider, provider_id))


@blueprint.route("/off-framework-providers/<int:provider_id>/documents", methods=["POST"])
def off_framework_document_upload(provider_id):
    provider = _found(off_framework.get_provider, provider_id)
    form = DocumentForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            document = off_framework.upload_document(
                current_user, provider, kind=form.kind.data, title=form.title.data or "",
                filename=upload.filename if upload else "", data=upload.read() if upload else b"", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"{document.title} uploaded", "success")
            return redirect(url_for("buyer.off_framework_provider", provider_id=provider.id) + "#documents")
    return _render_provider(provider, failed=form, document_form=form)


@blueprint.route("/off-framework-documents/<int:document_id>")
def off_framework_document(document_id):
    document = _found(off_framework.get_document, document_id)
    path = uploads.path_of(document.stored_name)
    if not path.exists():
        abort(404)
    _label, mimetype = uploads.ALLOWED_TYPES[document.file_type]
    name = uploads.download_name(document.original_filename, document.file_type)
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)


@blueprint.route("/off-framework-providers/<int:provider_id>/referees", methods=["POST"])
def off_framework_referee_add(provider_id):
    provider = _found(off_framework.get_provider, provider_id)
    form = RefereeForm()
    if form.validate_on_submit():
        try:
            referee = off_framework.add_referee(current_user, provider, authority_name=form.authority_name.data or "",
                                                contact_name=form.contact_name.data or "",
                                                email=form.email.data or "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Referee {referee.contact_name} of {referee.authority_name} added", "success")
            return redirect(url_for("buyer.off_framework_provider", provider_id=provider.id) + "#referees")
    return _render_provider(provider, failed=form, referee_form=form)


@blueprint.route("/off-framework-referees/<int:referee_id>", methods=["POST"])
def off_framework_reference(referee_id):
    referee = _found(off_framework.get_referee, referee_id)
    provider = referee.provider
    form = _reference_form(referee, formdata=request.form)
    form.referee_id = referee.id
    if form.validate_on_submit():
        was_cautioned = provider.place_with_caution
        try:
            off_framework.record_reference(current_user, referee, outcome=form.outcome.data,
                                           note=form.note.data or "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Reference from {referee.authority_name} recorded", "success")
            if provider.place_with_caution and not was_cautioned:
                flash(f"{provider.name} is now marked place with caution because the reference was unsatisfactory",
                      "important")
            return redirect(url_for("buyer.off_framework_provider", provider_id=provider.id) + "#referees")
    return _render_provider(provider, failed=form, reference_form=form)


# The off-framework search and placement for a referral --------------------------------------------

def _cost_lines(form: PlacementForm) -> list[CostLine]:
    return [CostLine(description=line.description.data or "", amount=line.amount.data or "",
                     timescale=line.timescale.data or "", review_date=line.review_date.data)
            for line in (entry.form for entry in form.costs.entries)]


def _show_placement_error(form: PlacementForm, error: DomainError) -> None:
    """Domain errors about a cost line name it costs-<n>-<part>: put them on that line's field."""
    if error.field and error.field.startswith("costs-"):
        _, index, part = error.field.split("-", 2)
        field = form.costs.entries[int(index)].form[part]
        field.errors = [*field.errors, error.message]
        form.costs.errors = [entry.errors for entry in form.costs.entries]  # a FieldList keeps its own copy
        return
    add_domain_error(form, error)


def _provider_choices(providers) -> list:
    labels = [(0, "Choose a provider")]
    for provider in providers:
        notes = [provider.local_authority_area]
        if provider.place_with_caution:
            notes.append("place with caution")
        if off_framework.missing_evidence(provider):
            notes.append("evidence missing")
        labels.append((provider.id, f"{provider.name} ({', '.join(notes)})"))
    return choices(labels)


def _render_off_framework(referral, *, search_form=None, placement_form=None, approval_form=None):
    moment = now()
    providers = off_framework.usable_providers(current_user)
    placement_form = placement_form or PlacementForm(formdata=None)
    placement_form.provider_id.choices = _provider_choices(providers)
    approval_form = approval_form or PlacementApprovalForm(formdata=None)
    approval_form.agreed_provider_id.choices = _provider_choices(providers)
    failed = any(form is not None and (form.errors or form.form_errors)
                 for form in (search_form, placement_form, approval_form))
    return render_template(
        "buyer/off_framework/referral.html", referral=referral, moment=moment,
        not_exhausted=off_framework.not_exhausted_reason(referral, moment),
        placement=awards.placement_of(referral), providers=providers,
        references_taken_up=off_framework.references_taken_up, minimum_references=off_framework.MINIMUM_REFERENCES,
        missing_evidence=off_framework.missing_evidence, search_form=search_form or SearchForm(formdata=None),
        placement_form=placement_form, approval_form=approval_form,
        search=off_framework.search_approval(referral), search_asked=approvals.latest(referral, OFF_FRAMEWORK_SEARCH),
        agreement_asked=approvals.latest(referral, SENIOR_AGREEMENT),
        cost_asked=approvals.latest(referral, PLACEMENT_COST)), 400 if failed else 200


@blueprint.route("/referrals/<int:referral_id>/off-framework", methods=["GET", "POST"])
def referral_off_framework(referral_id):
    referral = _found(referrals.get_for_authority, referral_id)
    if request.method == "GET":
        return _render_off_framework(referral)
    if off_framework.search_approval(referral) is None:
        return _ask_search(referral)
    return _place(referral)


def _ask_search(referral):
    form = SearchForm()
    if form.validate_on_submit():
        try:
            asked = off_framework.ask_search(current_user, referral, expected_weekly=form.expected_weekly.data,
                                             notes=form.notes.data or "", now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("The off-framework search was already asked for: it is waiting for an answer" if asked.already_asked
                  else "Approval of the off-framework search asked for: the budget holders who may approve it are "
                  "told", "success")
            return redirect(url_for("buyer.referral_off_framework", referral_id=referral.id))
    return _render_off_framework(referral, search_form=form)


@blueprint.route("/referrals/<int:referral_id>/off-framework/approvals", methods=["POST"])
def referral_off_framework_approvals(referral_id):
    referral = _found(referrals.get_for_authority, referral_id)
    form = PlacementApprovalForm()
    form.agreed_provider_id.choices = _provider_choices(off_framework.usable_providers(current_user))
    if form.validate_on_submit():
        provider = _found(off_framework.get_provider, form.agreed_provider_id.data)
        try:
            asked = off_framework.ask_placement_approvals(current_user, referral, provider,
                                                          weekly_cost=form.weekly_cost.data, now=now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if all(approval.already_asked for approval in asked):
                flash(f"The head of service's agreement to placing with {provider.name}, and approval of the cost, "
                      "were already asked for at that weekly cost", "success")
            else:
                flash(f"The head of service's agreement to placing with {provider.name}, and approval of the cost, "
                      "asked for", "success")
            return redirect(url_for("buyer.referral_off_framework", referral_id=referral.id) + "#approvals")
    return _render_off_framework(referral, approval_form=form)


def _place(referral):
    form = PlacementForm()
    if form.validate_on_submit():
        try:
            provider = off_framework.get_provider(current_user, form.provider_id.data)
        except NotFound:
            abort(404)
        try:
            placement = off_framework.place(
                current_user, referral, provider, cost_lines=_cost_lines(form), start_date=form.start_date.data,
                location_area=form.location_area.data or "",
                caution_acknowledged=bool(form.caution_acknowledged.data), now=now())
        except DomainError as error:
            _show_placement_error(form, error)
        else:
            flash(f"{referral.reference} placed off framework with {provider.name} "
                  f"({placement.agreement_reference})", "success")
            return redirect(url_for("buyer.placement", placement_id=placement.id))
    return _render_off_framework(referral, placement_form=form)


# Placements and QA visits ----------------------------------------------------------------------

@blueprint.route("/tasks")
def tasks():
    """The approvals the user may answer, and for officers the QA visits due."""
    moment = now()
    is_officer = current_user.has_role(COMMISSIONING_OFFICER)
    return render_template("buyer/off_framework/tasks.html", moment=moment, is_officer=is_officer,
                           tasks=off_framework.qa_tasks(current_user, moment) if is_officer else [],
                           approval_tasks=approvals.tasks_for(current_user))


@blueprint.route("/placements/<int:placement_id>/qa-visit", methods=["GET", "POST"])
def qa_visit(placement_id):
    placement = _found(off_framework.get_placement, placement_id)
    form = QaVisitForm()
    if form.validate_on_submit():
        visited_at = None
        at = parse_time(form.visited_time.data)
        if form.visited_on.data is not None and at is None:
            form.visited_time.errors = ["Enter the time of the visit, like 14:30"]
        else:
            if form.visited_on.data is not None:
                visited_at = local_datetime(form.visited_on.data, at)
            try:
                off_framework.record_qa_visit(current_user, placement, visited_at=visited_at,
                                              notes=form.notes.data or "", now=now())
            except DomainError as error:
                add_domain_error(form, error)
            else:
                flash(f"QA visit to {placement.provider_name} recorded", "success")
                return redirect(url_for("buyer.tasks"))
    return render_template("buyer/off_framework/qa_visit.html", placement=placement, form=form,
                           moment=now()), _status(form)
