"""The forms of the staff pages, shared by an authority's user administrator (buyer), a provider's (supplier) and
the consortium administrator (admin). Which roles a form offers is set by the page from
portal.services.accounts.allowed_roles; the service checks them again."""

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
    choices,
)
from portal.models.user import PROVIDER_USER, ROLE_LABELS


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
