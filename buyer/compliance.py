"""The compliance register at an authority (every endpoint named `contracts_…`, see buyer/views.py): the lead
assistant director's decision on an Inadequate judgement, evidence to accept or reject, enforcement notices, the
monthly Ofsted review and asking to continue a placement at an Inadequate setting. The rules are in
portal.services.compliance."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from buyer.views import blueprint
from portal.clock import now
from portal.compliance_forms import (
    ContinueForm,
    EvidenceDecisionForm,
    InadequateDecisionForm,
    ReviewDoneForm,
    notice_form,
    record_notice_from,
)
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import add_domain_error
from portal.models import Placement
from portal.models.user import ASSISTANT_DIRECTOR
from portal.services import compliance, contracts
from portal.shared import _send_stored


def _found(function, *args):
    try:
        return function(current_user, *args)
    except NotFound:
        abort(404)


def _status(form) -> int:
    return 400 if form.errors or form.form_errors else 200


@blueprint.route("/contracts/inspections/<int:inspection_id>", methods=["GET", "POST"])
def contracts_inspection(inspection_id):
    """An Inadequate judgement and the lead assistant director's decision on its restriction."""
    inspection = _found(compliance.inspection_for, inspection_id)
    form = InadequateDecisionForm()
    may_decide = inspection.awaits_decision and compliance.may_decide(current_user, inspection)
    if request.method == "POST":
        if not current_user.has_role(ASSISTANT_DIRECTOR):
            abort(403)
        if form.validate_on_submit():
            try:
                compliance.decide(current_user, inspection, decision=form.decision.data or "",
                                  reason=form.reason.data, now=now())
            except NotFound:
                abort(404)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                flash(f"Decision on {inspection.setting.label} recorded", "success")
                return redirect(url_for("buyer.tasks"))
    contract_list = compliance.contracts_of_provider(inspection.setting.provider_id, lead_id=inspection.lead_id,
                                                     live_only=False)
    return render_template("buyer/compliance/inspection.html", inspection=inspection, form=form,
                           may_decide=may_decide and inspection.awaits_decision, contracts=contract_list,
                           restrictions=compliance.standing.restrictions_of_source(inspection)), _status(form)


@blueprint.route("/contracts/evidence/<int:evidence_id>", methods=["GET", "POST"])
def contracts_evidence(evidence_id):
    """Evidence a provider uploaded, and the decision on it."""
    evidence = _found(compliance.evidence_for, evidence_id)
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
            return redirect(url_for("buyer.contracts_evidence", evidence_id=evidence.id))
    return render_template("buyer/compliance/evidence.html", evidence=evidence, form=form), _status(form)


@blueprint.route("/contracts/evidence/<int:evidence_id>/file")
def contracts_evidence_file(evidence_id):
    evidence = _found(compliance.evidence_for, evidence_id)
    return _send_stored(evidence.stored_name, evidence.file_type, evidence.filename)


@blueprint.route("/contracts/dps/<int:dps_id>/providers/<int:provider_id>/notices/new", methods=["GET", "POST"])
def contracts_notice_new(dps_id, provider_id):
    """Record an Ofsted enforcement notice against one of the provider's settings."""
    contract = _found(contracts.contract_of, dps_id, provider_id)
    if not compliance.may_manage(current_user, provider_id):
        abort(403)
    settings = contracts.settings_of(provider_id)
    form = notice_form(settings)
    if form.validate_on_submit():
        try:
            setting = record_notice_from(form, current_user, settings, request.files, now())
        except NotFound:
            abort(404)
        if setting is not None:
            flash(f"Enforcement notice about {setting.label} recorded", "success")
            return redirect(url_for("buyer.contracts_provider", dps_id=dps_id, provider_id=provider_id))
    return render_template("buyer/compliance/notice.html", provider=contract.provider, form=form,
                           back_link=url_for("buyer.contracts_provider", dps_id=dps_id, provider_id=provider_id),
                           back_text="Back to the contract"), _status(form)


@blueprint.route("/contracts/notices/<int:notice_id>/file")
def contracts_notice_file(notice_id):
    notice = _found(compliance.notice_for, notice_id)
    return _send_stored(notice.stored_name, notice.file_type, notice.filename)


@blueprint.route("/contracts/ofsted-review", methods=["POST"])
def contracts_ofsted_review():
    """The contract manager marks this month's Ofsted review of their providers done."""
    form = ReviewDoneForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        compliance.mark_review_done(current_user, notes=form.notes.data or "", now=now())
    except NotFound:
        abort(403)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("This month's Ofsted review is marked done", "success")
    return redirect(url_for("buyer.tasks"))


@blueprint.route("/contracts/placements/<int:placement_id>/continuation", methods=["POST"])
def contracts_continue_placement(placement_id):
    """The officer asks the authority's assistant director to agree a placement continues at an Inadequate
    setting."""
    form = ContinueForm()
    if not form.validate_on_submit():
        abort(400)
    placement = db.session.get(Placement, placement_id)
    if placement is None:
        abort(404)
    try:
        approval = compliance.ask_to_continue(current_user, placement, now())
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(error.message, "error")
    else:
        if getattr(approval, "already_asked", False):
            flash("The assistant director has already been asked", "info")
        else:
            flash(f"The assistant director has been asked about {placement.agreement_reference}", "success")
    return redirect(url_for("buyer.tasks"))


@blueprint.app_template_global("compliance_tasks")
def compliance_tasks():
    """The Tasks page's compliance section for the signed-in user."""
    moment = now()
    return {"decisions": compliance.decisions_due(current_user), "evidence": compliance.evidence_to_check(current_user),
            "review_pending": compliance.review_pending(current_user, moment),
            "continuations": compliance.placements_needing_continuation(current_user, moment),
            "review_form": ReviewDoneForm(), "continue_form": ContinueForm()}
