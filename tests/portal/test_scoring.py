"""The tier-award engine against hand-worked examples (the arithmetic is in the comments)."""

from decimal import Decimal

import pytest

from portal.scoring import (
    EngineError,
    TierEntry,
    TierRow,
    award_tiers,
    quality_percent,
    round_for_display,
    tier_sizes,
)


def entry(provider_id, name, quality, price):
    return TierEntry(provider_id, name, Decimal(quality), Decimal(price))


def table(rows):
    """(name, rank, tier) in the order the engine returns them."""
    return [(row.provider_name, row.rank, row.tier) for row in rows]


def award(entries, quality_weight=60, cost_weight=40, tiers=3):
    return award_tiers(entries, quality_weight=quality_weight, cost_weight=cost_weight, tiers=tiers)


# Three providers; the lowest weekly price is Birch's £700.
ASH = entry(1, "Ash", "90", "1000")
BIRCH = entry(2, "Birch", "60", "700")
CEDAR = entry(3, "Cedar", "75", "800")


class TestWeighting:
    def test_sixty_forty_favours_quality(self):
        # Ash:   90/100 x 60 = 54;  700/1000 x 40 = 28    total 82
        # Cedar: 75/100 x 60 = 45;  700/800  x 40 = 35    total 80
        # Birch: 60/100 x 60 = 36;  700/700  x 40 = 40    total 76
        rows = award([ASH, BIRCH, CEDAR], 60, 40)
        assert table(rows) == [("Ash", 1, 1), ("Cedar", 2, 2), ("Birch", 3, 3)]
        ash = rows[0]
        assert ash.quality_component == Decimal("54.0000")
        assert ash.cost_component == Decimal("28.0000")
        assert ash.total == 82
        assert ash.lowest_price == Decimal("700")
        assert ash.quality_percent == Decimal("90") and ash.weekly_price == Decimal("1000")
        assert [row.total for row in rows] == [82, 80, 76]
        assert all(row.tied_with == () for row in rows)

    def test_forty_sixty_favours_price_and_reverses_the_order(self):
        # Birch: 60/100 x 40 = 24;  700/700  x 60 = 60    total 84
        # Cedar: 75/100 x 40 = 30;  700/800  x 60 = 52.5  total 82.5
        # Ash:   90/100 x 40 = 36;  700/1000 x 60 = 42    total 78
        rows = award([ASH, BIRCH, CEDAR], 40, 60)
        assert table(rows) == [("Birch", 1, 1), ("Cedar", 2, 2), ("Ash", 3, 3)]
        assert [(row.quality_component, row.cost_component, row.total) for row in rows] == [
            (Decimal("24.0000"), Decimal("60.0000"), 84),
            (Decimal("30.0000"), Decimal("52.5000"), Decimal("82.5")),
            (Decimal("36.0000"), Decimal("42.0000"), 78),
        ]

    def test_top_quality_at_the_lowest_price_scores_100(self):
        # 100/100 x 60 = 60; 500/500 x 40 = 40; total 100.  The other: 50/100 x 60 = 30; 500/1000 x 40 = 20.
        rows = award([entry(1, "Best", "100", "500"), entry(2, "Other", "50", "1000")])
        assert [row.total for row in rows] == [100, 50]

    def test_all_quality_or_all_cost(self):
        # 100/0: only quality counts; 0/100: only price counts.
        quality_only = award([ASH, BIRCH, CEDAR], 100, 0)
        assert table(quality_only) == [("Ash", 1, 1), ("Cedar", 2, 2), ("Birch", 3, 3)]
        assert {row.cost_component for row in quality_only} == {Decimal("0.0000")}
        cost_only = award([ASH, BIRCH, CEDAR], 0, 100)
        # Birch 700/700 x 100 = 100; Cedar 700/800 x 100 = 87.5; Ash 700/1000 x 100 = 70
        assert [(row.provider_name, row.total) for row in cost_only] == [
            ("Birch", 100), ("Cedar", Decimal("87.5")), ("Ash", 70)]


class TestOneProvider:
    def test_one_provider_is_tier_one_with_the_full_cost_weight(self):
        # It is its own lowest price: 950/950 x 40 = 40.  Quality 72.5/100 x 60 = 43.5.  Total 83.5.
        [row] = award([entry(7, "Only", "72.5", "950")], tiers=3)
        assert (row.rank, row.tier, row.tied_with) == (1, 1, ())
        assert row.quality_component == Decimal("43.5000")
        assert row.cost_component == Decimal("40.0000")
        assert row.total == Decimal("83.5")
        assert row.lowest_price == Decimal("950")

    def test_no_entries_no_rows(self):
        assert award([]) == []


class TestTies:
    def test_equal_totals_reached_differently_share_rank_and_tier(self):
        # Lowest price £500 (Xylo).  Weights 60/40; 4 providers in 3 tiers: target sizes 2, 1, 1.
        # Xylo:  90/100 x 60 = 54; 500/500  x 40 = 40   total 94   rank 1
        # Yew:  100/100 x 60 = 60; 500/1000 x 40 = 20   total 80   rank 2 (tie)
        # Zed:   80/100 x 60 = 48; 500/625  x 40 = 32   total 80   rank 2 (tie)
        # Wren:  50/100 x 60 = 30; 500/800  x 40 = 25   total 55   rank 4
        # Tiers by rank: rank 1 -> place 1 -> tier 1; rank 2 -> place 2 -> tier 1 (both tied providers);
        # rank 4 -> place 4 -> tier 3.  Tier 2 ends up empty.
        rows = award([entry(4, "Wren", "50", "800"), entry(3, "Zed", "80", "625"),
                      entry(2, "Yew", "100", "1000"), entry(1, "Xylo", "90", "500")], tiers=3)
        assert table(rows) == [("Xylo", 1, 1), ("Yew", 2, 1), ("Zed", 2, 1), ("Wren", 4, 3)]
        assert [row.tied_with for row in rows] == [(), ("Zed",), ("Yew",), ()]
        assert rows[1].total == rows[2].total == 80

    def test_tied_rows_are_listed_by_name_whatever_the_input_order(self):
        # All three: 70/100 x 60 = 42; 400/400 x 40 = 40; total 82.
        rows = award([entry(1, "Carol", "70", "400"), entry(2, "Alice", "70", "400"), entry(3, "Bob", "70", "400")])
        assert table(rows) == [("Alice", 1, 1), ("Bob", 1, 1), ("Carol", 1, 1)]
        assert [row.tied_with for row in rows] == [("Bob", "Carol"), ("Alice", "Carol"), ("Alice", "Bob")]

    def test_a_tie_in_recurring_decimals_is_still_a_tie(self):
        # Weights 50/50, lowest price £400 (Cove).
        # Cove:  40/100 x 50 = 20;  400/400  x 50 = 50                  total 70
        # Arch: 100/100 x 50 = 50;  400/1200 x 50 = 16.666...           total 66.666...
        # Bay:   50/100 x 50 = 25;  400/480  x 50 = 41.666...           total 66.666...
        # (Arch and Bay are both exactly 200/3.)  Components show 16.6667 and 41.6667.
        rows = award([entry(1, "Arch", "100", "1200"), entry(2, "Bay", "50", "480"), entry(3, "Cove", "40", "400")],
                     50, 50, tiers=2)
        # 3 providers in 2 tiers: sizes 2, 1.  Cove place 1 -> tier 1; Arch and Bay rank 2 -> tier 1.
        assert table(rows) == [("Cove", 1, 1), ("Arch", 2, 1), ("Bay", 2, 1)]
        assert rows[1].cost_component == Decimal("16.6667")
        assert rows[2].cost_component == Decimal("41.6667")
        assert rows[1].tied_with == ("Bay",) and rows[2].tied_with == ("Arch",)
        assert round_for_display(rows[1].total) == Decimal("66.6667")

    def test_equal_quality_shares_from_different_marks_tie(self):
        # 2 of 3 and 4 of 6 are both 66.666...%: the same Decimal, so the same total.
        first = quality_percent([(2, 3, 1)])
        second = quality_percent([(4, 6, 1)])
        assert first == second
        rows = award([TierEntry(1, "One", first, Decimal("500")), TierEntry(2, "Two", second, Decimal("500"))])
        assert [row.rank for row in rows] == [1, 1]
        assert rows[0].tied_with == ("Two",)

    def test_a_tie_across_a_tier_boundary_joins_the_better_tier(self):
        # 7 providers, 3 tiers: target sizes 3, 2, 2 (places 1-3, 4-5, 6-7).  All priced £1000, so each
        # cost component is 40; quality x 0.6 gives the totals:
        #   95 -> 97, 90 -> 94, 85 -> 91, 85 -> 91, 75 -> 85, 70 -> 82, 65 -> 79
        # Ranks 1, 2, 3, 3, 5, 6, 7.  Dee (rank 3, place 4) is tied with Cal, the last of tier 1, so it
        # joins tier 1 (4 providers); tier 2 keeps only place 5 (Eve); tier 3 is places 6 and 7.
        names = ["Ann", "Ben", "Cal", "Dee", "Eve", "Fay", "Guy"]
        qualities = ["95", "90", "85", "85", "75", "70", "65"]
        rows = award([entry(number, name, quality, "1000")
                      for number, (name, quality) in enumerate(zip(names, qualities, strict=True), start=1)])
        assert table(rows) == [("Ann", 1, 1), ("Ben", 2, 1), ("Cal", 3, 1), ("Dee", 3, 1),
                               ("Eve", 5, 2), ("Fay", 6, 3), ("Guy", 7, 3)]
        assert [row.total for row in rows] == [97, 94, 91, 91, 85, 82, 79]
        assert rows[2].tied_with == ("Dee",) and rows[3].tied_with == ("Cal",)

    def test_a_tie_can_empty_a_later_tier(self):
        # 3 providers, 3 tiers (sizes 1, 1, 1).  The top two tie at 60 + 40 = 100; the third scores
        # 50/100 x 60 = 30 + 40 = 70.  Both tied providers are in tier 1; tier 2 is empty; the third,
        # rank 3, stays in tier 3.
        rows = award([entry(1, "Hale", "100", "600"), entry(2, "Glen", "100", "600"), entry(3, "Iona", "50", "600")])
        assert table(rows) == [("Glen", 1, 1), ("Hale", 1, 1), ("Iona", 3, 3)]

    def test_a_tie_inside_a_tier_changes_nothing_else(self):
        # Same 7 as above but Eve and Fay tie (75 and 75 -> 85, 85): ranks 1, 2, 3, 4, 5, 5, 7.
        # Places 1-3 tier 1, Dee and Eve tier 2, Fay (rank 5 = place 5) tier 2 as well, Guy tier 3.
        names = ["Ann", "Ben", "Cal", "Dee", "Eve", "Fay", "Guy"]
        qualities = ["95", "90", "85", "80", "75", "75", "65"]
        rows = award([entry(number, name, quality, "1000")
                      for number, (name, quality) in enumerate(zip(names, qualities, strict=True), start=1)])
        assert table(rows) == [("Ann", 1, 1), ("Ben", 2, 1), ("Cal", 3, 1), ("Dee", 4, 2),
                               ("Eve", 5, 2), ("Fay", 5, 2), ("Guy", 7, 3)]


class TestPennies:
    def test_a_penny_gives_a_different_total_and_rank(self):
        # Same quality, so quality components are 80/100 x 60 = 48 each; lowest price £8000.00.
        # Alder: 8000/8000.00 x 40 = 40                      total 88
        # Bay:   8000/8000.01 x 40 = 39.99995000006249...    total 87.99995000006249...
        # Cove:  8000/8000.02 x 40 = 39.99990000024999...    total 87.99990000024999...
        # At 4 places Bay's cost component rounds up to 40.0000 (just over the half), the same as
        # Alder's, but the exact totals differ, so the ranks do too.
        rows = award([entry(3, "Cove", "80", "8000.02"), entry(2, "Bay", "80", "8000.01"),
                      entry(1, "Alder", "80", "8000.00")])
        assert table(rows) == [("Alder", 1, 1), ("Bay", 2, 2), ("Cove", 3, 3)]
        assert [row.cost_component for row in rows] == [Decimal("40.0000"), Decimal("40.0000"), Decimal("39.9999")]
        assert rows[0].total > rows[1].total > rows[2].total
        assert str(rows[1].total).startswith("87.9999500000624999")
        assert all(row.tied_with == () for row in rows)

    def test_a_penny_at_a_small_price(self):
        # 500/500.01 x 40 = 39.99920001599968...  -> 39.9992
        rows = award([entry(1, "Dale", "50", "500.00"), entry(2, "Eden", "50", "500.01")])
        assert [row.cost_component for row in rows] == [Decimal("40.0000"), Decimal("39.9992")]
        assert [row.rank for row in rows] == [1, 2]


class TestTierSizes:
    def test_seven_into_three(self):
        # 97, 94, 91, 88, 85, 82, 79 (quality 95..65 step 5 at 60%, plus 40 for the shared price)
        rows = award([entry(number, f"P{number}", str(100 - 5 * number), "1000") for number in range(1, 8)])
        assert [row.tier for row in rows] == [1, 1, 1, 2, 2, 3, 3]
        assert [row.rank for row in rows] == [1, 2, 3, 4, 5, 6, 7]
        assert tier_sizes(7, 3) == [3, 2, 2]

    @pytest.mark.parametrize(("providers", "tiers", "sizes"), [
        (7, 3, [3, 2, 2]), (6, 3, [2, 2, 2]), (8, 3, [3, 3, 2]), (10, 4, [3, 3, 2, 2]), (5, 5, [1, 1, 1, 1, 1]),
        (2, 3, [1, 1, 0]), (1, 5, [1, 0, 0, 0, 0]), (9, 1, [9]), (4, 0, []),
    ])
    def test_target_sizes(self, providers, tiers, sizes):
        assert tier_sizes(providers, tiers) == sizes

    def test_fewer_providers_than_tiers(self):
        # 2 providers, 5 tiers: the first to tier 1, the next to tier 2, tiers 3 to 5 empty.
        rows = award([entry(1, "Low", "50", "900"), entry(2, "High", "90", "900")], tiers=5)
        assert table(rows) == [("High", 1, 1), ("Low", 2, 2)]

    def test_no_tiers(self):
        # tiers=0: still scored and ranked, no tier for anyone (ties still shown).
        rows = award([ASH, BIRCH, CEDAR, entry(4, "Dune", "75", "800")], tiers=0)
        assert table(rows) == [("Ash", 1, None), ("Cedar", 2, None), ("Dune", 2, None), ("Birch", 4, None)]
        assert rows[1].tied_with == ("Dune",)

    def test_one_tier_takes_everyone(self):
        rows = award([ASH, BIRCH, CEDAR], tiers=1)
        assert [row.tier for row in rows] == [1, 1, 1]

    def test_rows_are_tier_rows(self):
        assert all(isinstance(row, TierRow) for row in award([ASH]))


class TestValidation:
    @pytest.mark.parametrize("price", ["0", "0.00", "-250"])
    def test_a_price_that_is_not_positive_names_the_provider(self, price):
        with pytest.raises(EngineError, match=r"weekly price for Birch must be more than £0") as raised:
            award([ASH, entry(2, "Birch", "60", price)])
        assert price in str(raised.value)

    @pytest.mark.parametrize("price", [Decimal("NaN"), Decimal("Infinity"), 700.0])
    def test_a_price_that_is_not_an_exact_amount(self, price):
        with pytest.raises(EngineError, match="weekly price for Birch must be an exact amount"):
            award([ASH, TierEntry(2, "Birch", Decimal("60"), price)])

    @pytest.mark.parametrize(("quality_weight", "cost_weight", "message"), [
        (60, 30, "must add up to 100%, but 60% quality and 30% cost add up to 90%"),
        (70, 40, "add up to 110%"),
        (-10, 110, "cannot be negative"),
        (110, -10, "cannot be negative"),
    ])
    def test_invalid_weights(self, quality_weight, cost_weight, message):
        with pytest.raises(EngineError, match=message):
            award([ASH], quality_weight, cost_weight)

    def test_weights_are_checked_even_without_entries(self):
        with pytest.raises(EngineError, match="add up to 100%"):
            award([], 50, 40)

    def test_weights_must_be_whole_numbers(self):
        with pytest.raises(EngineError, match="whole percentages"):
            award([ASH], Decimal("60"), 40)

    @pytest.mark.parametrize("quality", ["-0.01", "100.01"])
    def test_quality_outside_0_to_100(self, quality):
        with pytest.raises(EngineError, match=r"quality score for Ash must be between 0% and 100%"):
            award([entry(1, "Ash", quality, "1000")])

    @pytest.mark.parametrize("tiers", [-1, 6])
    def test_tiers_outside_0_to_5(self, tiers):
        with pytest.raises(EngineError, match="number of tiers must be a whole number from 0 to 5"):
            award([ASH], tiers=tiers)

    def test_a_provider_entered_twice(self):
        with pytest.raises(EngineError, match="Ash is entered more than once"):
            award([ASH, ASH])

    def test_engine_error_is_a_value_error(self):
        assert issubclass(EngineError, ValueError)


class TestQualityPercent:
    def test_weighted_share(self):
        # (3/5 weight 2) and (4/4 weight 1): 100 x (2x3 + 1x4) / (2x5 + 1x4) = 100 x 10/14 = 71.428571...
        result = quality_percent([(3, 5, 2), (4, 4, 1)])
        assert isinstance(result, Decimal)
        assert result.quantize(Decimal("0.0001")) == Decimal("71.4286")
        assert str(result).startswith("71.428571428571428571428571")

    def test_terminating_share_is_exact(self):
        # 100 x (2x3 + 1x1) / (2x4 + 1x2) = 100 x 7/10 = 70
        assert quality_percent([(3, 4, 2), (1, 2, 1)]) == Decimal("70")

    def test_full_and_zero_marks(self):
        assert quality_percent([(5, 5, 3), (10, 10, 1)]) == 100
        assert quality_percent([(0, 5, 3), (0, 10, 1)]) == 0

    def test_a_question_of_weight_zero_does_not_count(self):
        # 100 x (0x0 + 1x5) / (0x5 + 1x5) = 100
        assert quality_percent([(0, 5, 0), (5, 5, 1)]) == 100

    @pytest.mark.parametrize("marks", [[], [(3, 5, 0)], [(0, 0, 2)]])
    def test_no_weighted_marks(self, marks):
        with pytest.raises(EngineError, match="no weighted marks"):
            quality_percent(marks)

    @pytest.mark.parametrize("mark", [(6, 5, 1), (-1, 5, 1)])
    def test_a_score_outside_0_to_max(self, mark):
        with pytest.raises(EngineError, match=rf"score of {mark[0]}, which is not between 0 and 5"):
            quality_percent([(4, 5, 1), mark])

    def test_negative_weight_or_maximum(self):
        with pytest.raises(EngineError, match="negative maximum score or weight"):
            quality_percent([(1, 5, -1)])

    def test_marks_must_be_whole_numbers(self):
        with pytest.raises(EngineError, match="three whole numbers"):
            quality_percent([(2.5, 5, 1)])
