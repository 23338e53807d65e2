"""The one parser behind every money field: what it accepts, what it refuses and the messages it gives."""

from decimal import Decimal

import pytest

from portal.errors import DomainError
from portal.money import WEEKLY_LIMIT, annual, parse_money


def parse(value, **options):
    return parse_money(value, label="the weekly price", maximum=WEEKLY_LIMIT, field="price", **options)


@pytest.mark.parametrize(("typed", "amount"), [
    ("1450", Decimal("1450.00")),
    ("1450.5", Decimal("1450.50")),
    ("1450.05", Decimal("1450.05")),
    ("1,450.50", Decimal("1450.50")),
    ("£1,450.50", Decimal("1450.50")),
    ("£ 1450", Decimal("1450.00")),
    ("  1450.00  ", Decimal("1450.00")),
    ("0.01", Decimal("0.01")),
    ("100,000", Decimal("100000.00")),
    ("100000.00", Decimal("100000.00")),
    (Decimal("1450.5"), Decimal("1450.50")),
    (Decimal("1E+3"), Decimal("1000.00")),
])
def test_pounds_and_pence_are_read(typed, amount):
    assert parse(typed) == amount
    assert parse(typed).as_tuple().exponent == -2


FORMAT = "Enter the weekly price in pounds and pence, like 1,450.00"
PLACES = "Enter the weekly price in pounds and pence, with no more than 2 decimal places"
POSITIVE = "The weekly price must be more than £0"
LIMIT = "The weekly price must be £100,000 or less"


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the weekly price"),
    ("   ", "Enter the weekly price"),
    (None, "Enter the weekly price"),
    ("1e5", FORMAT),
    ("1E5", FORMAT),
    ("NaN", FORMAT),
    ("nan", FORMAT),
    ("Infinity", FORMAT),
    ("-Infinity", FORMAT),
    ("inf", FORMAT),
    ("twelve hundred", FORMAT),
    ("12.50p", FORMAT),
    ("1_450", FORMAT),
    ("14,50", FORMAT),  # a comma is only a thousands separator
    ("1,4500", FORMAT),
    ("1450.", FORMAT),
    ("£", FORMAT),
    ("\u0661\u0664\u0665\u0660", FORMAT),  # Arabic-Indic digits
    ("\uff11\uff14\uff15\uff10", FORMAT),  # full-width digits
    ("1450.505", PLACES),
    ("12.345", PLACES),
    ("0", POSITIVE),
    ("0.00", POSITIVE),
    ("-5", POSITIVE),
    ("-0.01", POSITIVE),
    ("\u221250", POSITIVE),  # a typographic minus
    (Decimal("-5"), POSITIVE),
    (Decimal("NaN"), FORMAT),
    (Decimal("Infinity"), FORMAT),
    ("100000.01", LIMIT),
    ("100,000.01", LIMIT),
    ("250000", LIMIT),
])
def test_anything_else_is_refused_with_a_message_naming_the_field(typed, message):
    with pytest.raises(DomainError) as refused:
        parse(typed)
    assert refused.value.message == message
    assert refused.value.field == "price"


def test_an_optional_field_left_empty_is_none():
    assert parse("", required=False) is None
    assert parse("  ", required=False) is None
    with pytest.raises(DomainError, match="more than £0"):
        parse("0", required=False)


def test_the_limit_is_the_fields_own():
    assert parse_money("500", label="the fee", maximum=Decimal("500")) == Decimal("500.00")
    with pytest.raises(DomainError, match="^The fee must be £500 or less$"):
        parse_money("500.01", label="the fee", maximum=Decimal("500"))
    with pytest.raises(DomainError, match="^The fee must be £1,234.50 or less$"):
        parse_money("1,234.51", label="the fee", maximum=Decimal("1234.50"))


def test_a_float_is_a_mistake_in_the_code_not_an_amount():
    with pytest.raises(TypeError):
        parse(1450.5)


def test_the_annual_figure_is_52_weeks_to_the_penny():
    assert annual(Decimal("940.00")) == Decimal("48880.00")
    assert annual(Decimal("1234.57")) == Decimal("64197.64")
    assert annual(None) is None
