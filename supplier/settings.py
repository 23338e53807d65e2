"""The provider's settings: every provider user sees them and offers them in bids; its user administrators add,
change and close them (portal.services.settings holds the rules)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.forms import add_domain_error
from portal.services import settings as setting_service
from supplier.setting_forms import CloseSettingForm, SettingForm
from supplier.views import blueprint


def _status(form) -> int:
    return 400 if form.errors or form.form_errors else 200


def _own(setting_id: int):
    try:
        return setting_service.own_setting(current_user, setting_id)
    except NotFound:
        abort(404)


def _require_manager() -> None:
    if not setting_service.may_manage(current_user):
        abort(403)


@blueprint.route("/settings")
def settings():
    status = request.args.get("status") or None
    search = request.args.get("q", "")
    page = setting_service.settings_page(current_user, status=status if status in setting_service.STATUS_FILTERS
                                         else None, search=search, page=request.args.get("page", 1, type=int))
    return render_template("supplier/settings/list.html", page=page, status=status, search=search,
                           statuses=setting_service.STATUS_FILTERS, manages=setting_service.may_manage(current_user))


@blueprint.route("/settings/new", methods=["GET", "POST"])
def setting_new():
    _require_manager()
    form = SettingForm()
    if form.validate_on_submit():
        try:
            setting = setting_service.add(current_user, form.setting_input(), now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"{setting.name} added to your settings", "success")
            return redirect(url_for("supplier.settings"))
    return render_template("supplier/settings/form.html", form=form, setting=None), _status(form)


@blueprint.route("/settings/<int:setting_id>", methods=["GET", "POST"])
def setting_edit(setting_id):
    setting = _own(setting_id)
    manages = setting_service.may_manage(current_user)
    form = SettingForm()
    if request.method == "GET":
        form.fill_from(setting)
        form.seen.data = setting_service.fingerprint(setting)
    elif not manages:
        abort(403)
    elif form.validate_on_submit():
        try:
            setting_service.change(current_user, setting, form.setting_input(), seen=form.seen.data or "",
                                   now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"{setting.name} saved", "success")
            return redirect(url_for("supplier.settings"))
    return render_template("supplier/settings/form.html", form=form, setting=setting, manages=manages,
                           close_form=CloseSettingForm(formdata=None)), _status(form)


@blueprint.route("/settings/<int:setting_id>/close", methods=["GET", "POST"])
def setting_close(setting_id):
    setting = _own(setting_id)
    _require_manager()
    form = CloseSettingForm()
    if form.validate_on_submit():
        try:
            setting_service.close(current_user, setting, now=now())
        except DomainError as error:
            db.session.rollback()
            add_domain_error(form, error)
        else:
            flash(f"{setting.name} closed. It is kept for the placements made there.", "success")
            return redirect(url_for("supplier.settings"))
    return render_template("supplier/settings/close.html", form=form, setting=setting), _status(form)
