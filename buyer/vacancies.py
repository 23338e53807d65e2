"""The officers' side of the market: the vacancy board (search and filter the current vacancies on the DPSs the
authority belongs to) and the authority's own sufficiency notices (publish, change, withdraw). Rules live in
portal.services.vacancies and portal.services.sufficiency."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from buyer.views import blueprint
from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.forms import add_domain_error
from portal.market_forms import NoticeForm, VacancySearchForm, WithdrawForm, show_problems
from portal.services import sufficiency, vacancies
from portal.services.vacancies import MarketInvalid, Search
from portal.timezone import uk_today

PER_PAGE = 20


# The vacancy board ----------------------------------------------------------------------------------------------

@blueprint.route("/vacancies")
def vacancy_board():
    today = uk_today(now())
    form = VacancySearchForm(vacancies.visible_lots(current_user), formdata=request.args)
    criteria = form.search() if request.args else Search()
    if criteria is None:
        return render_template("buyer/market/vacancies.html", form=form, page=None, today=today), 400
    page = vacancies.search(current_user, criteria, today, page=request.args.get("page", 1, type=int),
                            per_page=PER_PAGE)
    return render_template("buyer/market/vacancies.html", form=form, page=page, today=today)


# Sufficiency notices --------------------------------------------------------------------------------------------

def _own_notice(notice_id: int):
    try:
        return sufficiency.get_own(current_user, notice_id)
    except NotFound:
        abort(404)


@blueprint.route("/sufficiency")
def sufficiency_notices():
    today = uk_today(now())
    page = sufficiency.own_page(current_user, today, page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template("buyer/market/notices.html", page=page, today=today)


def _render_notice_form(form, notice=None, status=200):
    return render_template("buyer/market/notice_form.html", form=form, notice=notice), status


@blueprint.route("/sufficiency/new", methods=["GET", "POST"])
def sufficiency_new():
    form = NoticeForm(sufficiency.lots_for_authority(current_user))
    if request.method == "GET":
        return _render_notice_form(form)
    if form.validate_on_submit():
        try:
            sufficiency.publish(current_user, form.notice_input(), now())
        except MarketInvalid as error:
            show_problems(form, error.problems)
        else:
            flash("Notice published: the providers admitted to the arrangement can see it", "success")
            return redirect(url_for("buyer.sufficiency_notices"))
    return _render_notice_form(form, status=400)


@blueprint.route("/sufficiency/<int:notice_id>/edit", methods=["GET", "POST"])
def sufficiency_edit(notice_id):
    notice = _own_notice(notice_id)
    form = NoticeForm(sufficiency.lots_for_authority(current_user))
    form.submit.label.text = "Save the notice"
    if request.method == "GET":
        form.fill_from(notice)
        return _render_notice_form(form, notice)
    if form.validate_on_submit():
        try:
            sufficiency.update(current_user, notice, form.notice_input(), now())
        except MarketInvalid as error:
            show_problems(form, error.problems)
        else:
            flash("Notice saved", "success")
            return redirect(url_for("buyer.sufficiency_notices"))
    return _render_notice_form(form, notice, status=400)


@blueprint.route("/sufficiency/<int:notice_id>/withdraw", methods=["GET", "POST"])
def sufficiency_withdraw(notice_id):
    notice = _own_notice(notice_id)
    form = WithdrawForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                sufficiency.withdraw(current_user, notice, now())
            except DomainError as error:
                add_domain_error(form, error)
            else:
                flash("Notice withdrawn", "success")
                return redirect(url_for("buyer.sufficiency_notices"))
        return render_template("buyer/market/notice_withdraw.html", form=form, notice=notice), 400
    return render_template("buyer/market/notice_withdraw.html", form=form, notice=notice)
