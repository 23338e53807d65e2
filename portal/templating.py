"""Template filters and globals shared by every page."""

from flask import g, request, url_for
from flask_login import current_user
from markupsafe import Markup

from portal import areas
from portal.clock import now
from portal.formatting import money, plain, score
from portal.models.user import (
    ADMINISTRATOR,
    COMMISSIONING_OFFICER,
    CONTRACT_MANAGER,
    EVALUATOR,
    PROVIDER_USER,
    USER_ADMINISTRATOR,
)
from portal.money import annual
from portal.services import (
    agreements,
    annual_reviews,
    approvals,
    compliance,
    counting,
    ladder,
    mail,
    off_framework,
    referrals,
    reviews,
)
from portal.services.approvals import DECIDERS
from portal.timezone import format_date, format_datetime, format_day


def task_count(user) -> int:
    """Every task the Tasks page lists for the user: approvals, QA visits, agreements, reviews and cost reviews,
    annual reviews, compliance and the enforcement ladder."""
    counters, counted_otherwise = _task_parts(user, now())
    return sum(counting.counts(counters)) + counted_otherwise


def _task_parts(user, moment) -> tuple[list, int]:
    """The COUNT statements of the parts that have them (for the menu to run in one statement), and the total of
    the parts counted otherwise."""
    counters = [*off_framework.qa_task_counters(user), *agreements.task_counters(user, moment),
                *reviews.task_counters(user, moment), *compliance.task_counters(user, moment),
                *ladder.task_counters(user, moment)]
    counted_otherwise = (approvals.task_count(user) + annual_reviews.task_count(user, moment)
                         + int(compliance.review_pending(user, moment)) + ladder.appeal_task_count(user))
    return counters, counted_otherwise


# The menu shows a count up to this, and "99+" above it: so each of its COUNTs reads at most one row more, and
# costs the same however many placements, reviews or notifications there are.
MENU_COUNT_SHOWN = 99


def _menu_counts(user) -> tuple[int | None, int]:
    """The Tasks count (None for a user who has no Tasks page) and the unread notifications: their COUNTs in one
    statement, each counting no further than MENU_COUNT_SHOWN + 1."""
    has_tasks = user.has_role(COMMISSIONING_OFFICER, CONTRACT_MANAGER, *DECIDERS)
    counters, counted_otherwise = _task_parts(user, now()) if has_tasks else ([], 0)
    *task_counts, unread = counting.counts([*counters, mail.unread_counter(user)], at_most=MENU_COUNT_SHOWN)
    return (sum(task_counts) + counted_otherwise if has_tasks else None), unread


def _menu_label(text: str, count: int) -> str:
    """"Tasks", "Tasks (3)" or "Tasks (99+)"."""
    if not count:
        return text
    return f"{text} ({count})" if count <= MENU_COUNT_SHOWN else f"{text} ({MENU_COUNT_SHOWN}+)"


def navigation() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    items, under = [], {}
    if current_user.has_role(PROVIDER_USER):
        items += [("Applications", url_for("supplier.dashboard")),
                  ("Referrals", url_for("supplier.referral_list")), ("Vacancies", url_for("supplier.vacancy_list")),
                  ("Placements", url_for("supplier.placements")),
                  ("Agreements", url_for("supplier.agreements_list")), ("Returns", url_for("supplier.returns_list")),
                  ("Settings", url_for("supplier.settings")), ("Contracts", url_for("supplier.contracts_list")),
                  ("Team", url_for("supplier.team"))]
        # Contract management's own pages are reached from the contracts (and each contract's page), under it.
        under[url_for("supplier.contracts_list")] = (url_for("supplier.annual_reviews_list"),
                                                     url_for("supplier.compliance_evidence"))
    tasks, unread = _menu_counts(current_user)
    if tasks is not None:
        if current_user.has_role(COMMISSIONING_OFFICER):
            items += [("Providers", url_for("buyer.dashboard")), ("Referrals", url_for("buyer.referral_list")),
                      ("Placements", url_for("buyer.placements")), ("Children", url_for("buyer.children")),
                      ("Off-framework providers", url_for("buyer.off_framework_providers")),
                      ("Vacancies", url_for("buyer.vacancy_board")), ("Analytics", url_for("buyer.analytics_page"))]
        elif referrals.reads_referrals(current_user):  # those who decide its approvals read them too
            items.append(("Referrals", url_for("buyer.referral_list")))
        if current_user.has_role(CONTRACT_MANAGER):
            items.append(("Contracts", url_for("buyer.contracts_dashboard")))
        items.append((_menu_label("Tasks", tasks), url_for("buyer.tasks")))
    if current_user.has_role(USER_ADMINISTRATOR) and not current_user.organisation.is_provider:
        items.append(("Staff", url_for("buyer.staff_list")))
    if current_user.has_role(EVALUATOR):
        items.append(("Evaluation", url_for("evaluation.dashboard")))
    if current_user.has_role(ADMINISTRATOR):
        items += [("DPS set-up", url_for("admin.dps_list")), ("Provider register", url_for("admin.providers")),
                  ("Users", url_for("admin.users")), ("Overdue returns", url_for("admin.overdue_returns")),
                  ("Audit", url_for("admin.audit_log")), ("Outbox", url_for("admin.outbox")),
                  ("Consortium analytics", url_for("admin.analytics_page"))]
        items += [("Ofsted imports", url_for("admin.ofsted_imports")),
                  ("Providers' evidence", url_for("admin.compliance_evidence_list"))]
    items.append((_menu_label("Notifications", unread), url_for("shared.notifications")))
    # The most specific item is the current one ("/authority/referrals" rather than "/authority/").
    current = max((href for _, href in items if request.path.startswith(href)), key=len, default=None)
    current = next((href for href, paths in under.items() if request.path.startswith(paths)), current)
    return [{"text": text, "href": href, "active": href == current} for text, href in items]


def govuk_tag(text, classes: str = "") -> Markup:
    """The markup GOV.UK Frontend's govukTag macro writes, for a text and its modifier classes: list pages show a
    tag on every row, and a macro call per row is most of the cost of rendering them."""
    class_list = f"govuk-tag {classes}" if classes else "govuk-tag"
    return Markup('<strong class="{}">\n  {}\n</strong>\n').format(class_list, text)


def govuk_select(params: dict) -> Markup:
    """The markup GOV.UK Frontend's govukSelect macro writes, for a select with a plain label and options that each
    have a value (no hint, error or attributes): the audit trail's filter has an option per kind of event, and the
    macro makes a macro call for each."""
    if set(params) != {"id", "name", "label", "items"} or set(params["label"]) != {"text"}:
        raise ValueError("govuk_select writes only a select with a plain label and options: use govukSelect")
    options = Markup("").join(
        Markup('        <option value="{}"{}>{}</option>\n').format(
            item["value"], Markup(" selected") if item.get("selected") else "", item["text"])
        for item in params["items"])
    return Markup('<div class="govuk-form-group">\n  <label class="govuk-label" for="{id}">\n    {label}\n  </label>\n'
                  '  <select class="govuk-select" id="{id}" name="{name}">\n{options}  </select>\n</div>\n').format(
        id=params["id"], name=params["name"], label=params["label"]["text"], options=options)


def init_app(app) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(money, "money")
    app.add_template_filter(annual, "annual")
    app.add_template_filter(score, "score")
    app.add_template_filter(plain, "plain")
    app.add_template_filter(approvals.answered_line, "approval_line")
    app.add_template_filter(govuk_tag, "tag")
    app.add_template_filter(areas.flag_label, "place_flag")
    app.add_template_global(govuk_select, "govuk_select")

    @app.context_processor
    def globals_for_pages():
        return {"now": now, "navigation": navigation, "csp_nonce": lambda: g.get("csp_nonce", "")}
