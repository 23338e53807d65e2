"""The tier-award engine: from each admitted provider's quality and weekly price on a lot to its score,
rank and tier. Pure: no database, no Flask, no floats.

Scoring
    quality component = quality_percent / 100 x quality_weight
    cost component    = (lowest weekly price among the entries) / (provider's weekly price) x cost_weight
    total             = quality component + cost component
The weights are whole percentages summing to 100, so a provider with full quality marks and the lowest
price scores exactly 100.

Exactness
    Totals are compared as exact fractions (``fractions.Fraction`` built from the Decimal inputs), so
    equal totals are equal however they were reached and a penny's difference in price always gives a
    different total and a different rank. ``TierRow.total`` is that exact total as a Decimal to
    50 significant digits (it is not rounded to 4 places, because at realistic weekly prices a penny
    moves the total by less than 0.0001). The quality and cost components are rounded to 4 decimal
    places, ROUND_HALF_UP, for display and storage only; nothing is ranked on a rounded figure. Use
    ``round_for_display`` to show a total: two different totals can look the same at 4 places, and
    then their ranks still differ and ``tied_with`` is empty.

Ranking
    Competition ranking on the exact totals, best first: 1, 2, 2, 4. Equal totals are a tie: tied
    providers share a rank and a tier, and each row names the others in ``tied_with``. A tie is never
    broken; tied rows are listed by provider name only so the display is stable.

Tiers (``tiers`` from 0 to 5)
    With n providers and k tiers the target tier sizes are as equal as possible, earlier (better) tiers
    taking the extra places: n // k each, plus one for each of the first n % k tiers (7 into 3 gives
    3, 2, 2; with fewer providers than tiers, tier 1 gets the first provider, tier 2 the next, and so
    on). Tiers fill in rank order: a provider's tier is the tier its rank's place falls in under those
    target sizes (rank r is place r; tied providers share the rank, so the best place among them). So
    a provider tied with the last provider of a tier joins that tier: the tier grows, the places it
    takes come out of the following tier(s) (the target boundaries themselves do not move), and a later
    tier may end up empty. Example: 7 into 3 with ranks 1, 2, 3, 3, 5, 6, 7 gives tiers of 4, 1, 2.
    ``tiers == 0`` means the lot has no tiers: every row's tier is None, and the rows are still ranked.

Validation (EngineError, a ValueError, with a message for people)
    weights that are negative or do not sum to 100; a number of tiers outside 0..5; a weekly price that
    is not a positive amount (the message names the provider); a quality outside 0..100; a provider
    entered twice; a float where an exact amount is needed. No entries gives no rows.
"""

from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

MAX_TIERS = 5
PRECISION = 50


class EngineError(ValueError):
    """Input the engine cannot score; the message says what is wrong in words people use."""


@dataclass(frozen=True)
class TierEntry:
    provider_id: int
    provider_name: str
    quality_percent: Decimal  # the moderated quality score as a share of the maximum, 0..100
    weekly_price: Decimal


@dataclass(frozen=True)
class TierRow:
    provider_id: int
    provider_name: str
    quality_percent: Decimal
    quality_component: Decimal  # 4 decimal places
    weekly_price: Decimal
    lowest_price: Decimal
    cost_component: Decimal  # 4 decimal places
    total: Decimal  # the exact total to 50 significant digits; ranks and ties come from the exact value
    rank: int
    tier: int | None
    tied_with: tuple[str, ...]


def quality_percent(marks: list[tuple[int, int, int]]) -> Decimal:
    """100 x sum(weight x score) / sum(weight x max_score) over the scored questions' (score, max_score,
    weight), as a Decimal correctly rounded to 50 significant digits (equal shares give equal results)."""
    scored = 0
    possible = 0
    for number, mark in enumerate(marks, start=1):
        if len(mark) != 3 or not all(_is_int(value) for value in mark):
            raise EngineError(f"Mark {number} must be three whole numbers: score, maximum score and weight.")
        score, max_score, weight = mark
        if max_score < 0 or weight < 0:
            raise EngineError(f"Mark {number} has a negative maximum score or weight.")
        if not 0 <= score <= max_score:
            raise EngineError(f"Mark {number} has a score of {score}, which is not between 0 and {max_score}.")
        scored += weight * score
        possible += weight * max_score
    if possible == 0:
        raise EngineError("There are no weighted marks to work out a quality score from.")
    with localcontext() as context:
        context.prec = PRECISION
        return Decimal(100 * scored) / Decimal(possible)


def award_tiers(entries: list[TierEntry], *, quality_weight: int, cost_weight: int, tiers: int) -> list[TierRow]:
    """Score, rank and tier the providers on one lot (the rules are in the module docstring).
    Rows come back best first; tied rows by provider name."""
    _check_weights(quality_weight, cost_weight)
    if not _is_int(tiers) or not 0 <= tiers <= MAX_TIERS:
        raise EngineError(f"The number of tiers must be a whole number from 0 to {MAX_TIERS}, not {tiers}.")
    if not entries:
        return []
    _check_entries(entries)

    lowest = min(entry.weekly_price for entry in entries)
    scored = []
    for entry in entries:
        quality = Fraction(entry.quality_percent) / 100 * quality_weight
        cost = Fraction(lowest) / Fraction(entry.weekly_price) * cost_weight
        scored.append((entry, quality, cost, quality + cost))
    scored.sort(key=lambda item: (-item[3], item[0].provider_name, item[0].provider_id))

    names_by_total: dict[Fraction, list[str]] = {}
    for entry, _quality, _cost, total in scored:
        names_by_total.setdefault(total, []).append(entry.provider_name)

    sizes = tier_sizes(len(entries), tiers)
    rows = []
    rank = 0
    previous_total = None
    for place, (entry, quality, cost, total) in enumerate(scored, start=1):
        if total != previous_total:
            rank = place
            previous_total = total
        names = list(names_by_total[total])
        names.remove(entry.provider_name)
        rows.append(TierRow(
            provider_id=entry.provider_id,
            provider_name=entry.provider_name,
            quality_percent=entry.quality_percent,
            quality_component=_round_half_up(quality),
            weekly_price=entry.weekly_price,
            lowest_price=lowest,
            cost_component=_round_half_up(cost),
            total=_to_decimal(total),
            rank=rank,
            tier=_tier_of_place(rank, sizes) if tiers else None,
            tied_with=tuple(names),
        ))
    return rows


def tier_sizes(providers: int, tiers: int) -> list[int]:
    """The target size of each tier before ties: as equal as possible, the better tiers taking the extra
    places (7 providers into 3 tiers: [3, 2, 2]; 2 into 3: [1, 1, 0]). No tiers: []."""
    if tiers <= 0:
        return []
    size, extra = divmod(providers, tiers)
    return [size + (1 if number < extra else 0) for number in range(tiers)]


def round_for_display(value: Decimal) -> Decimal:
    """A score to 4 decimal places, half up, as the components are shown and stored."""
    return _round_half_up(Fraction(value))


def _tier_of_place(place: int, sizes: list[int]) -> int:
    boundary = 0
    for tier, size in enumerate(sizes, start=1):
        boundary += size
        if place <= boundary:
            return tier
    raise AssertionError("a rank is never beyond the last provider")  # pragma: no cover


def _check_weights(quality_weight: int, cost_weight: int) -> None:
    if not _is_int(quality_weight) or not _is_int(cost_weight):
        raise EngineError("The quality and cost weights must be whole percentages.")
    if quality_weight < 0 or cost_weight < 0:
        raise EngineError(f"The weights cannot be negative (quality {quality_weight}%, cost {cost_weight}%).")
    if quality_weight + cost_weight != 100:
        raise EngineError(f"The quality and cost weights must add up to 100%, but {quality_weight}% quality and "
                          f"{cost_weight}% cost add up to {quality_weight + cost_weight}%.")


def _check_entries(entries: list[TierEntry]) -> None:
    seen = set()
    for entry in entries:
        name = entry.provider_name
        if entry.provider_id in seen:
            raise EngineError(f"{name} is entered more than once (provider {entry.provider_id}).")
        seen.add(entry.provider_id)
        price = entry.weekly_price
        if not _is_exact_amount(price):
            raise EngineError(f"The weekly price for {name} must be an exact amount, not {price!r}.")
        if not price > 0:
            raise EngineError(f"The weekly price for {name} must be more than £0 (it is £{price}).")
        quality = entry.quality_percent
        if not _is_exact_amount(quality):
            raise EngineError(f"The quality score for {name} must be an exact amount, not {quality!r}.")
        if not 0 <= quality <= 100:
            raise EngineError(f"The quality score for {name} must be between 0% and 100% (it is {quality}%).")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_exact_amount(value) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return _is_int(value)


def _round_half_up(value: Fraction) -> Decimal:
    """An exact value to 4 decimal places, halves away from zero (ROUND_HALF_UP), straight from the
    fraction, so nothing is rounded twice."""
    # In whole numbers (Fraction arithmetic is slow when a lot of 2,000 is tiered): the fraction of a
    # ten-thousandth left over is at least a half when twice the remainder reaches the denominator.
    whole, remainder = divmod(abs(value.numerator) * 10_000, value.denominator)
    if 2 * remainder >= value.denominator:
        whole += 1
    result = Decimal(whole).scaleb(-4)
    return -result if value.numerator < 0 else result


def _to_decimal(value: Fraction) -> Decimal:
    with localcontext() as context:
        context.prec = PRECISION
        return Decimal(value.numerator) / Decimal(value.denominator)
