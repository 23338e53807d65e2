"""How the portal writes money and scores, on pages, in PDFs, e-mails, exports and the audit trail.

Every figure is rounded half up (71.125 to 2 places is 71.13) with Decimal arithmetic, never through a float.
Rounding here is for display only: nothing is compared or stored rounded by these functions.
"""

from decimal import ROUND_HALF_UP, Decimal


def rounded(value: Decimal | int, places: int) -> Decimal:
    """The value to `places` decimal places, halves rounded away from zero."""
    if isinstance(value, float) or isinstance(value, bool):
        raise TypeError("A figure to show must be a Decimal or an int, never a float")
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def money(value: Decimal | int | None, *, missing: str = "") -> str:
    """An amount as people read it: "£1,234.56", "-£12.50"; `missing` when there is none."""
    if value is None:
        return missing
    amount = rounded(value, 2)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,}"


def pounds(value: Decimal | int | None) -> str:
    """An amount as a plain number, "1234.50": to put back into a form field or a spreadsheet cell."""
    if value is None:
        return ""
    return format(rounded(value, 2), "f")


def score(value: Decimal | int | None, places: int = 2) -> str:
    """A score, percentage or component to `places` decimal places: "71.13"."""
    if value is None:
        return ""
    return format(rounded(value, places), "f")


def plain(value: Decimal | int | None) -> str:
    """A number as typed, without trailing zeros nor an exponent: Decimal("10.00") is "10", "2.50" is "2.5"."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def percent(value: Decimal | int | None, places: int = 1) -> str:
    """A percentage: "71.1%"."""
    if value is None:
        return ""
    return f"{score(value, places)}%"
