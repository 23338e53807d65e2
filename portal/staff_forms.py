"""The forms of the staff pages, shared by an authority's user administrator (buyer), a provider's (supplier) and
the consortium administrator (admin). Which roles a form offers is set by the page from
portal.services.accounts.allowed_roles; the service checks them again. The two small handlers below are the
request glue the three pages share: the rules are in the services they call."""

from datetime import datetime

from flask import abort, flash, request
from flask_login import current_user

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import (
    DataRequired,
    Email,
    FlaskForm,
    GovCheckboxesInput,
    GovSubmitInput,
    GovTextInput,
    Length,
    SelectMultipleField,
    StringField,
    SubmitField,
    add_domain_error,
    choices,
)
from portal.models.user import PROVIDER_USER, ROLE_LABELS
from portal.services import accounts, staff


def role_choices(roles) -> list:
    """Checkbox choices for the roles, in the portal's order. A provider's users are all provider users, so that
    role is not a choice there."""
    return choices((role, ROLE_LABELS[role]) for role in ROLE_LABELS if role in roles and role != PROVIDER_USER)


class StaffInviteForm(FlaskForm):
    email = StringField("E-mail address", widget=GovTextInput(),
                        validators=[DataRequired("Enter an e-mail address"),
                                    Email("Enter an e-mail address in the correct format, like name@example.org")])
    roles = SelectMultipleField("Roles", widget=GovCheckboxesInput())
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class StaffRolesForm(FlaskForm):
    roles = SelectMultipleField("Roles", widget=GovCheckboxesInput())
    submit = SubmitField("Save roles", widget=GovSubmitInput())


class ApprovalLimitForm(FlaskForm):
    approval_limit = StringField("Annual approval limit", widget=GovTextInput(),
                                 description="The most this budget holder may approve, as a year's cost (a weekly "
                                             "cost × 52), in pounds, like 150,000. Leave it blank to clear the limit.",
                                 validators=[Length(max=30)])
    save_limit = SubmitField("Save approval limit", widget=GovSubmitInput())


def set_active_from_request(user, now: datetime) -> None:
    """Activate or deactivate the user as the posted form asks, telling the signed-in person the outcome."""
    try:
        accounts.set_active(current_user, user, request.form.get("active") == "yes", now)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"{user.name}'s account is {'active' if user.active else 'deactivated'}", "success")


def save_approval_limit(form, user, now: datetime) -> bool:
    """Save the budget holder's limit from a valid form; False (the error on the form) when refused."""
    if not form.validate_on_submit():
        return False
    try:
        staff.set_approval_limit(current_user, user, form.approval_limit.data or "", now)
    except DomainError as error:
        db.session.rollback()
        add_domain_error(form, error)
        return False
    flash(f"Approval limit of {user.name} saved", "success")
    return True


def withdraw_invitation_from_request(invitation_id: int, now: datetime) -> None:
    """Withdraw the organisation's waiting invitation, telling the signed-in person the outcome."""
    try:
        invitation = accounts.withdraw_invitation(current_user, invitation_id, now)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"The invitation to {invitation.email} is withdrawn: its link no longer works", "success")
