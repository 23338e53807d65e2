"""The providers' side of the market: their own vacancies (publish, change, withdraw) and the sufficiency notices
of the authorities of the DPSs they hold places on. Rules live in portal.services.vacancies and
portal.services.sufficiency."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.forms import add_domain_error
from portal.market_forms import VacancyForm, WithdrawForm, show_problems
from portal.services import sufficiency, vacancies
from portal.services.vacancies import MarketInvalid
from portal.timezone import uk_today
from supplier.views import blueprint

PER_PAGE = 20


def _own(vacancy_id: int):
    try:
        return vacancies.get_own(current_user, vacancy_id)
    except NotFound:
        abort(404)


@blueprint.route("/vacancies")
def vacancy_list():
    today = uk_today(now())
    page = vacancies.own_page(current_user, today, page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template("supplier/market/vacancies.html", page=page, today=today,
                           can_publish=bool(vacancies.lots_for_provider(current_user.organisation)))


def _render_form(form, vacancy=None, status=200):
    return render_template("supplier/market/vacancy_form.html", form=form, vacancy=vacancy), status


def _save(form, action, vacancy=None):
    """Run the service's `action` on the form's vacancy; the form again (400) with its mistakes if refused."""
    if form.validate_on_submit():
        try:
            action(form.vacancy_input())
        except MarketInvalid as error:
            show_problems(form, error.problems)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return None
    return _render_form(form, vacancy, status=400)


@blueprint.route("/vacancies/new", methods=["GET", "POST"])
def vacancy_new():
    form = VacancyForm(vacancies.lots_for_provider(current_user.organisation))
    if request.method == "GET":
        return _render_form(form)
    refused = _save(form, lambda data: vacancies.publish(current_user, data, now()))
    if refused:
        return refused
    flash("Vacancy published: officers of the arrangement's authorities can find it", "success")
    return redirect(url_for("supplier.vacancy_list"))


@blueprint.route("/vacancies/<int:vacancy_id>/edit", methods=["GET", "POST"])
def vacancy_edit(vacancy_id):
    vacancy = _own(vacancy_id)
    form = VacancyForm(vacancies.lots_for_provider(current_user.organisation))
    form.submit.label.text = "Save the vacancy"
    if request.method == "GET":
        form.fill_from(vacancy)
        return _render_form(form, vacancy)
    refused = _save(form, lambda data: vacancies.update(current_user, vacancy, data, now()), vacancy)
    if refused:
        return refused
    flash("Vacancy saved", "success")
    return redirect(url_for("supplier.vacancy_list"))


@blueprint.route("/vacancies/<int:vacancy_id>/withdraw", methods=["GET", "POST"])
def vacancy_withdraw(vacancy_id):
    vacancy = _own(vacancy_id)
    form = WithdrawForm()
    if request.method == "POST":
        if form.validate_on_submit():
            vacancies.withdraw(current_user, vacancy, now())
            flash("Vacancy withdrawn: it is no longer on the board", "success")
            return redirect(url_for("supplier.vacancy_list"))
        return render_template("supplier/market/vacancy_withdraw.html", form=form, vacancy=vacancy), 400
    return render_template("supplier/market/vacancy_withdraw.html", form=form, vacancy=vacancy)


@blueprint.route("/sufficiency")
def sufficiency_notices():
    today = uk_today(now())
    page = sufficiency.for_provider(current_user.organisation, today, page=request.args.get("page", 1, type=int),
                                    per_page=PER_PAGE)
    return render_template("supplier/market/notices.html", page=page, today=today)
