"""The main pages' cheaper paths give the same HTML as the GOV.UK macros and the drawing they replace, and run
a fixed number of SQL statements however many rows the page shows."""

import pytest
from flask import render_template_string

from portal.extensions import db
from portal.models import Notification, UserRole
from portal.models.user import CONTRACT_MANAGER
from tests.portal.test_query_counts import MANY, assert_constant, counting

TAG_CLASSES = ["", "govuk-tag--grey", "govuk-tag--green", "govuk-tag--blue", "govuk-tag--red", "govuk-tag--orange",
               "govuk-tag--yellow", "govuk-tag--purple", "govuk-tag--pink", "govuk-tag--magenta", "govuk-tag--teal",
               "govuk-tag--turquoise"]


@pytest.mark.parametrize("classes", TAG_CLASSES)
def test_the_tag_filter_writes_what_the_govuk_macro_writes(app, classes):
    template = ('{% from "govuk_frontend_jinja/components/tag/macro.html" import govukTag %}'
                "{{ govukTag({'text': text, 'classes': classes}) }}|{{ text | tag(classes) }}")
    for text in ["Open", "Tied with Provider A & B's <home>", "3 questions to answer"]:
        by_macro, by_filter = render_template_string(template, text=text, classes=classes).split("|")
        assert by_filter == by_macro


def test_the_tag_filter_escapes_the_text(app):
    assert render_template_string("{{ '<script>' | tag('govuk-tag--red') }}") == (
        '<strong class="govuk-tag govuk-tag--red">\n  &lt;script&gt;\n</strong>\n')


def _menu_count_statements(statements: list[str]) -> list[str]:
    return [statement for statement in statements if "FROM notification" in statement and "count(" in statement]


def test_the_menus_tasks_and_notifications_are_counted_in_one_statement(world, sign_in, clock):
    officer_and_manager = world.member_officer
    officer_and_manager.role_rows.append(UserRole(role=CONTRACT_MANAGER))
    db.session.commit()
    with counting() as statements:
        page = sign_in(officer_and_manager).get("/authority/referrals").get_data(as_text=True)
    assert "Contracts" in page and "Tasks" in page and "Notifications" in page
    menu_counts = _menu_count_statements(statements)
    # One statement for the notifications, the QA visits, agreements, reviews, compliance and the ladder.
    assert len(menu_counts) == 1
    assert all(table in menu_counts[0] for table in ("placement", "agreement_version", "ladder_action"))


def test_the_menus_counts_do_not_grow_with_notifications_and_tasks(world, sign_in, clock):
    officer = world.member_officer

    def add(start, stop):
        for index in range(start, stop):
            db.session.add(Notification(user_id=officer.id, subject=f"Notice {index}", body="", link=None,
                                        created_at=clock.now()))
        db.session.commit()

    assert_constant(sign_in(officer), "/authority/referrals", add)
    assert f"Notifications ({MANY})" in sign_in(officer).get("/authority/referrals").get_data(as_text=True)


SELECT_MACRO = ('{% from "govuk_frontend_jinja/components/select/macro.html" import govukSelect %}'
                "{{ govukSelect(params) }}")


@pytest.mark.parametrize("chosen", [None, "", "dps.updated", "application.changed"])
def test_the_audit_trails_select_writes_what_the_govuk_macro_writes(app, chosen):
    from portal.services import audit

    items = [{"value": "", "text": "All actions"}] + [
        {"value": key, "text": label, "selected": key == chosen} for key, label in audit.ACTIONS.items()]
    params = {"id": "action", "name": "action", "label": {"text": "Action"}, "items": items}
    by_function = render_template_string("{{ govuk_select(params) }}", params=params)
    assert by_function == render_template_string(SELECT_MACRO, params=params)
    assert by_function.count(" selected>") == (1 if chosen else 0)


def test_the_select_function_escapes_and_refuses_what_it_does_not_write(app):
    params = {"id": "kind", "name": "kind", "label": {"text": "Kind <b>"},
              "items": [{"value": 'a"b', "text": "A & B", "selected": True}]}
    assert render_template_string("{{ govuk_select(params) }}", params=params) == (
        render_template_string(SELECT_MACRO, params=params))
    with pytest.raises(ValueError):
        render_template_string("{{ govuk_select(params) }}", params={**params, "hint": {"text": "A hint"}})


def test_the_signed_in_user_is_loaded_with_their_organisation_and_roles_in_one_statement(world, sign_in):
    client = sign_in(world.member_officer)
    with counting() as statements:
        assert client.get("/notifications").status_code == 200
    sessions = [statement for statement in statements if "FROM user_session" in statement]
    users = [statement for statement in statements if "FROM user_account" in statement]
    assert len(sessions) == 1
    assert len(users) == 1 and "JOIN organisation" in users[0] and "JOIN user_role" in users[0]
    assert not [statement for statement in statements if statement.lstrip().startswith("SELECT user_role.")]


def test_templates_are_compiled_once_outside_debug(app):
    assert not app.debug and app.jinja_env.auto_reload is False
    assert app.jinja_env.cache is not None


def test_the_providers_dashboard_counts_its_figures_in_one_statement(world, sign_in):
    with counting() as statements:
        assert sign_in(world.provider_a).get("/provider/").status_code == 200
    figures = [statement for statement in statements
               if all(table in statement for table in ("bid_invitation", "sufficiency_notice", "quarterly_return"))]
    assert len(figures) == 1
    assert not [statement for statement in statements if statement.lstrip().startswith("SELECT count(quarterly")]
