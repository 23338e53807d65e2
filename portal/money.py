"""Reading an amount of money a person typed: the one parser behind every money field of the portal.

An amount is pounds and pence: digits, commas only as thousands separators ("1,450.50"), at most 2 decimal
places and an optional leading "£". Anything else is refused with a message naming the field: scientific
notation ("1e5"), "NaN", "Infinity", digits other than 0-9, negative or zero amounts and amounts over the
field's limit.
"""

import re
from decimal import Decimal

from portal.errors import DomainError

WEEKLY_LIMIT = Decimal("100000")  # the most any weekly price or cost may be
WEEKS_A_YEAR = 52  # approval limits are annual: a weekly cost x 52


def annual(weekly: Decimal | None) -> Decimal | None:
    """The annual figure of a weekly cost, to the penny, that approval limits are compared with."""
    return None if weekly is None else (weekly * WEEKS_A_YEAR).quantize(Decimal("0.01"))

_AMOUNT = re.compile(r"(?P<minus>[-\u2212])?£?\s*(?P<pounds>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<pence>[0-9]+))?")


def parse_money(value: str | Decimal | int | None, *, label: str, maximum: Decimal, field: str | None = None,
                required: bool = True) -> Decimal | None:
    """The amount as a Decimal with 2 places, or None when nothing was typed and the field is optional.

    `label` names the field in messages ("the weekly price agreed"); `field` is the form field the error
    concerns. Raises DomainError with a message a person can act on.
    """
    text = _as_text(value).strip()
    if not text:
        if required:
            raise DomainError(f"Enter {label}", field=field)
        return None
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise DomainError(f"Enter {label} in pounds and pence, like 1,450.00", field=field)
    if len(match["pence"] or "") > 2:
        raise DomainError(f"Enter {label} in pounds and pence, with no more than 2 decimal places", field=field)
    amount = Decimal(f"{match['pounds'].replace(',', '')}.{match['pence'] or '0'}").quantize(Decimal("0.01"))
    if match["minus"] or amount == 0:
        raise DomainError(f"{_capitalised(label)} must be more than £0", field=field)
    if amount > maximum:
        raise DomainError(f"{_capitalised(label)} must be {_limit(maximum)} or less", field=field)
    return amount


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # A stored or computed amount: written out in full, so "1E+5" or "NaN" meet the same rules as typing.
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"An amount of money must be text or a Decimal, not {type(value).__name__}")


def _capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


def _limit(maximum: Decimal) -> str:
    whole = maximum == maximum.to_integral_value()
    return f"£{maximum:,.0f}" if whole else f"£{maximum:,.2f}"
