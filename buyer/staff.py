"""An authority's user administrator manages that authority's own staff: the list with roles and status, invitations,
roles, deactivation and a budget holder's annual approval limit. The rules are in services.accounts and
services.staff; the blueprint's gate lets a user administrator who is not an officer reach these pages only."""

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from buyer.views import blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import pounds
from portal.forms import add_domain_error
from portal.services import accounts, staff
from portal.staff_forms import (
    ApprovalLimitForm,
    StaffInviteForm,
    StaffRolesForm,
    role_choices,
    save_approval_limit,
    set_active_from_request,
    withdraw_invitation_from_request,
)

PER_PAGE = 25


def user_administrators_only(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not staff.may_manage_staff(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _colleague(user_id: int):
    try:
        return staff.colleague(current_user, user_id)
    except NotFound:
        abort(404)


def _status(*forms) -> int:
    return 400 if any(form.errors or form.form_errors for form in forms) else 200


@blueprint.route("/staff", methods=["GET", "POST"])
@user_administrators_only
def staff_list():
    organisation = current_user.organisation
    form = StaffInviteForm()
    form.roles.choices = role_choices(accounts.allowed_roles(current_user, organisation))
    if form.validate_on_submit():
        try:
            accounts.invite(current_user, organisation, form.email.data, set(form.roles.data), now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"Invitation sent to {form.email.data}", "success")
            return redirect(url_for("buyer.staff_list"))
    page = db.paginate(staff.staff_query(organisation), page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    pending = accounts.pending_invitations(organisation, now())
    return render_template("buyer/staff/list.html", page=page, form=form, pending=pending,
                           withdrawable={invitation.id for invitation in pending
                                         if accounts.may_withdraw(current_user, invitation)}), _status(form)


@blueprint.route("/staff/<int:user_id>", methods=["GET", "POST"])
@user_administrators_only
def staff_member(user_id, limit_form=None):
    user = _colleague(user_id)
    form = StaffRolesForm()
    form.roles.choices = role_choices(accounts.allowed_roles(current_user, user.organisation))
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
    elif limit_form is None and form.validate_on_submit():
        try:
            accounts.change_roles(current_user, user, set(form.roles.data), now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"Roles of {user.name} saved", "success")
            return redirect(url_for("buyer.staff_member", user_id=user.id))
    if limit_form is None:
        limit_form = ApprovalLimitForm(formdata=None, approval_limit=pounds(user.approval_limit))
    else:
        form.roles.data = sorted(user.roles)
    return render_template("buyer/staff/member.html", user=user, form=form, limit_form=limit_form,
                           weekly=staff.weekly_equivalent(user.approval_limit) if user.approval_limit else None,
                           may_manage=user.roles <= set(accounts.allowed_roles(current_user, user.organisation)),
                           ), _status(form, limit_form)


@blueprint.route("/staff/<int:user_id>/approval-limit", methods=["POST"])
@user_administrators_only
def staff_approval_limit(user_id):
    user = _colleague(user_id)
    form = ApprovalLimitForm()
    if save_approval_limit(form, user, now()):
        return redirect(url_for("buyer.staff_member", user_id=user.id))
    return staff_member(user_id, limit_form=form)


@blueprint.route("/staff/<int:user_id>/active", methods=["POST"])
@user_administrators_only
def staff_active(user_id):
    user = _colleague(user_id)
    set_active_from_request(user, now())
    return redirect(url_for("buyer.staff_member", user_id=user.id))


@blueprint.route("/staff/invitations/<int:invitation_id>/withdraw", methods=["POST"])
@user_administrators_only
def staff_invitation_withdraw(invitation_id):
    withdraw_invitation_from_request(invitation_id, now())
    return redirect(url_for("buyer.staff_list"))
