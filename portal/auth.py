"""Signing in and out, registration, password resets, invitations, and the role checks every
area uses."""

from functools import wraps

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import joinedload

from portal import areas
from portal.clock import now
from portal.errors import DomainError
from portal.extensions import db, limiter, login_manager
from portal.forms import (
    DataRequired,
    Email,
    FlaskForm,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    Length,
    Optional,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    add_domain_error,
)
from portal.models import User
from portal.models.user import (
    ADMINISTRATOR,
    ASSISTANT_DIRECTOR,
    BUDGET_HOLDER,
    COMMISSIONING_OFFICER,
    CONTRACT_MANAGER,
    EVALUATOR,
    HEAD_OF_SERVICE,
    PROVIDER_USER,
    USER_ADMINISTRATOR,
)
from portal.services import accounts, sessions

blueprint = Blueprint("auth", __name__)
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to see this page"
login_manager.login_message_category = "info"
SESSION_TOKEN = "session_token"


@login_manager.user_loader
def load_user(login_id: str):
    # The cookie names the user, a fingerprint of their password (so a password change signs out every session)
    # and the token of a session kept on the server (so signing out ends it for good).
    user_id, _, fingerprint = login_id.partition(":")
    token = session.get(SESSION_TOKEN)
    if not (user_id.isdecimal() and user_id.isascii()) or not isinstance(token, str):
        return None
    state = sessions.check(token, int(user_id), now())
    if state != sessions.ACTIVE:
        g.ended_session = state
        return None
    # The layout shows the user's organisation and roles on every page: load them in the same statement.
    user = db.session.get(User, int(user_id), options=[joinedload(User.organisation), joinedload(User.role_rows)])
    if user is None or not user.is_active or fingerprint != user.password_hash[-16:]:
        sessions.end(token)
        return None
    return user


def roles_required(*roles: str):
    """Refuse the view unless the signed-in user holds one of the roles."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def require_roles_for_blueprint(bp: Blueprint, *roles: str) -> None:
    @bp.before_request
    def check_roles():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not current_user.has_role(*roles):
            abort(403)


ENDED_MESSAGES = {
    sessions.IDLE: "You were signed out because you had not used the portal for a while. Sign in again.",
    sessions.TOO_OLD: "You were signed out because you signed in more than 12 hours ago. Sign in again.",
}


@blueprint.before_app_request
def forget_ended_sessions():
    if current_user.is_authenticated or SESSION_TOKEN not in session:
        return None
    # The session has ended on the server (signed out, expired, password changed): drop the stale cookie.
    ended = g.pop("ended_session", None)
    session.clear()
    if ended in ENDED_MESSAGES:
        flash(ENDED_MESSAGES[ended], "info")
        back_to = request.path if request.method == "GET" and request.endpoint != "auth.sign_in" else None
        return redirect(url_for("auth.sign_in", next=back_to))
    return None


def home_for(user: User) -> str:
    if user.has_role(PROVIDER_USER):
        return url_for("supplier.dashboard")
    if user.has_role(ADMINISTRATOR):
        return url_for("admin.dps_list")
    if user.has_role(EVALUATOR):
        return url_for("evaluation.dashboard")
    if user.has_role(COMMISSIONING_OFFICER):
        return url_for("buyer.dashboard")
    if user.has_role(BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR):
        return url_for("buyer.tasks")
    if user.has_role(CONTRACT_MANAGER):
        return url_for("buyer.contracts_dashboard")
    if user.has_role(USER_ADMINISTRATOR):
        return url_for("buyer.staff_list")
    return url_for("shared.notifications")


def _safe_next(target: str | None) -> str | None:
    """A path on this site to go to after signing in, or None. Browsers drop tabs and line breaks from a
    link and read a backslash as a slash, so a path like /%09/evil.example would lead off the site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(character) < 33 or ord(character) == 127 for character in target):
        return None
    return target


class SignInForm(FlaskForm):
    email = StringField("E-mail address", widget=GovTextInput(),
                        validators=[DataRequired("Enter your e-mail address")])
    password = PasswordField("Password", widget=GovPasswordInput(), validators=[DataRequired("Enter your password")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class RegisterForm(FlaskForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.local_authority_area.choices = areas.lowest_tier_choices()

    organisation_name = StringField("Organisation name", widget=GovTextInput(),
                                    validators=[DataRequired("Enter your organisation's name"), Length(max=200)])
    ofsted_urn = StringField("Ofsted unique reference number (URN)", widget=GovTextInput(),
                             description="Leave blank if your service is not registered with Ofsted",
                             validators=[Optional(), Length(max=12)])
    registered_office = TextAreaField("Registered office address", widget=GovTextArea(),
                                      validators=[DataRequired("Enter your registered office address")])
    postcode = StringField("Postcode", widget=GovTextInput(),
                           validators=[DataRequired("Enter the postcode"), Length(max=10)])
    local_authority_area = SelectField("Area of the registered office", widget=GovSelect(), validate_choice=False,
                                       description="The district, unitary authority or borough",
                                       validators=[DataRequired("Choose the area of the registered office")])
    telephone = StringField("Telephone", widget=GovTextInput(),
                            validators=[DataRequired("Enter a telephone number"), Length(max=30)])
    user_name = StringField("Your full name", widget=GovTextInput(),
                            validators=[DataRequired("Enter your full name"), Length(max=120)])
    email = StringField("Your e-mail address", widget=GovTextInput(),
                        validators=[DataRequired("Enter your e-mail address"),
                                    Email("Enter an e-mail address in the correct format, like name@example.org")])
    password = PasswordField("Create a password", widget=GovPasswordInput(),
                             description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters",
                             validators=[DataRequired("Create a password")])
    submit = SubmitField("Register", widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):
    email = StringField("E-mail address", widget=GovTextInput(),
                        validators=[DataRequired("Enter your e-mail address")])
    submit = SubmitField("Send a reset link", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", widget=GovPasswordInput(),
                             description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters",
                             validators=[DataRequired("Enter a new password")])
    submit = SubmitField("Save password", widget=GovSubmitInput())


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your full name", widget=GovTextInput(),
                       validators=[DataRequired("Enter your full name"), Length(max=120)])
    password = PasswordField("Create a password", widget=GovPasswordInput(),
                             description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters",
                             validators=[DataRequired("Create a password")])
    submit = SubmitField("Create account", widget=GovSubmitInput())


def _start_session(user: User) -> None:
    session.clear()
    session[SESSION_TOKEN] = sessions.start(user.id, now())
    login_user(user)
    session.permanent = True


@blueprint.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("auth/index.html")


@blueprint.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGN_IN"], methods=["POST"])
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/sign_in.html", form=form)


@blueprint.route("/sign-out", methods=["POST"])
def sign_out():
    token = session.get(SESSION_TOKEN)
    if isinstance(token, str):
        sessions.end(token)
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.sign_in"))


@blueprint.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_provider(
                organisation_name=form.organisation_name.data, ofsted_urn=form.ofsted_urn.data,
                registered_office=form.registered_office.data, postcode=form.postcode.data,
                area_code=form.local_authority_area.data, telephone=form.telephone.data,
                user_name=form.user_name.data, email=form.email.data, password=form.password.data, now=now(),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            _start_session(user)
            flash(f"{user.organisation.name} is registered. You can now apply when a window is open.", "success")
            return redirect(url_for("supplier.dashboard"))
    return render_template("auth/register.html", form=form)


@blueprint.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, now())
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@blueprint.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        accounts.user_for_reset_token(token, now())
    except DomainError as error:
        return render_template("auth/link_problem.html", message=error.message), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Your password has been changed. Sign in with your new password.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form)


@blueprint.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    try:
        invitation = accounts.invitation_for_token(token, now())
    except DomainError as error:
        return render_template("auth/link_problem.html", message=error.message), 400
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(token, form.name.data, form.password.data, now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            _start_session(user)
            flash(f"Welcome to the placements portal, {user.name}", "success")
            return redirect(home_for(user))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)
