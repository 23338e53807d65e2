"""How money and scores are written: half up, through Decimal, by one set of functions for pages and PDFs."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from portal.formatting import money, percent, plain, pounds, score

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("71.125"), "£71.13"),
    (Decimal("71.135"), "£71.14"),
    (Decimal("1234.5"), "£1,234.50"),
    (Decimal("1234567.005"), "£1,234,567.01"),
    (Decimal("0"), "£0.00"),
    (Decimal("-50"), "-£50.00"),
    (Decimal("-0.004"), "£0.00"),
    (Decimal("1E+5"), "£100,000.00"),
    (1450, "£1,450.00"),
    (None, ""),
])
def test_money(value, shown):
    assert money(value) == shown


def test_money_says_what_a_missing_amount_is():
    assert money(None, missing="Not given") == "Not given"


@pytest.mark.parametrize(("value", "places", "shown"), [
    (Decimal("71.125"), 2, "71.13"),
    (Decimal("71.12499"), 2, "71.12"),
    (Decimal("0.00005"), 4, "0.0001"),
    (Decimal("62.25"), 1, "62.3"),
    (Decimal("62.35"), 1, "62.4"),
    (Decimal("76"), 2, "76.00"),
    (Decimal("76"), 4, "76.0000"),
    (Decimal("-1.005"), 2, "-1.01"),
    (None, 2, ""),
])
def test_score_rounds_half_up(value, places, shown):
    assert score(value, places) == shown


def test_percent_and_pounds():
    assert percent(Decimal("62.25")) == "62.3%"
    assert pounds(Decimal("1450.5")) == "1450.50"
    assert pounds(None) == ""


def test_a_float_is_refused_rather_than_rounded_the_wrong_way():
    with pytest.raises(TypeError):
        score(71.125, 2)
    with pytest.raises(TypeError):
        money(71.125)


def test_the_filters_are_the_same_functions(app):
    assert app.jinja_env.filters["money"] is money
    assert app.jinja_env.filters["score"] is score


# A template that formats a number itself goes through a float and rounds half to even: 71.125 shows as 71.12.
NUMBER_FORMATTING = re.compile(r"""['"]%[-+ 0#,]*\d*\.\d+[fFeEgG%]['"]|\|\s*round\b|\bformat\(|\{:[^}]*\.\d+f\}""")


def test_no_template_formats_a_number_itself():
    found = [f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if NUMBER_FORMATTING.search(line)]
    assert not found, "use the score or money filter:\n" + "\n".join(found)


def test_plain_shows_a_number_as_typed_never_in_scientific_notation():
    assert plain(Decimal("10.00")) == "10" and plain(Decimal("2.50")) == "2.5" and plain(Decimal("100")) == "100"
    assert plain(None) == ""


def test_dates_are_written_by_format_date_never_by_a_platform_only_strftime_code():
    # "%-d" (the day without its zero) is the C library's of Linux only: on Windows it fails. format_date writes
    # "5 December 2026" on every platform.
    root = Path(__file__).resolve().parents[2]
    found = [f"{path.relative_to(root)}:{number}"
             for folder in ("portal", "buyer", "supplier", "evaluation", "admin")
             for path in sorted((root / folder).rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if re.search(r"%-[a-zA-Z]", line)]
    assert found == []
