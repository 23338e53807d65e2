"""English working days and the decision clock: weekends, bank holidays with their substitute days and
one-offs, pauses for clarification questions, and London days across the clock changes."""

from datetime import UTC, date, datetime

import pytest

from portal.workdays import (
    add_working_days,
    bank_holidays,
    decision_due_date,
    is_working_day,
    working_days_elapsed,
)

# Times are naive UTC.  In winter (GMT) UTC and London agree; in summer (BST) London is an hour ahead.


class TestIsWorkingDay:
    def test_weekdays_and_weekends(self):
        assert is_working_day(date(2026, 11, 6))  # Friday
        assert not is_working_day(date(2026, 11, 7))  # Saturday
        assert not is_working_day(date(2026, 11, 8))  # Sunday
        assert is_working_day(date(2026, 11, 9))  # Monday

    @pytest.mark.parametrize("day", [
        date(2027, 12, 27), date(2027, 12, 28),  # Christmas (Sat) and Boxing Day (Sun) 2027, substituted
        date(2026, 12, 28),  # Boxing Day 2026 is a Saturday: Monday 28th instead
        date(2028, 1, 3),  # New Year's Day 2028 is a Saturday: Monday 3rd instead
        date(2027, 3, 26), date(2027, 3, 29),  # Good Friday and Easter Monday 2027
        date(2022, 6, 2), date(2022, 6, 3),  # the Spring bank holiday moved, and the Platinum Jubilee
        date(2022, 9, 19),  # the state funeral of Queen Elizabeth II
        date(2023, 5, 8),  # the coronation of King Charles III
        date(2023, 5, 1), date(2027, 8, 30),  # early May and summer bank holidays
    ])
    def test_bank_holidays_are_not_working_days(self, day):
        assert day.weekday() < 5
        assert not is_working_day(day)

    @pytest.mark.parametrize("day", [
        date(2027, 12, 24), date(2027, 12, 29),  # either side of the 2027 Christmas break
        date(2022, 5, 30),  # the last Monday of May 2022 was not a bank holiday (it moved to 2 June)
        date(2027, 3, 25), date(2027, 3, 30),  # either side of Easter 2027
        date(2023, 5, 9),
    ])
    def test_ordinary_weekdays_are_working_days(self, day):
        assert is_working_day(day)

    def test_the_weekend_days_of_christmas_2027_are_in_the_list_but_not_working_days_anyway(self):
        holidays_2027 = bank_holidays(2027)
        assert {date(2027, 12, 25), date(2027, 12, 26), date(2027, 12, 27), date(2027, 12, 28)} <= holidays_2027
        assert not is_working_day(date(2027, 12, 25))

    def test_scottish_holidays_are_not_english_ones(self):
        assert is_working_day(date(2027, 1, 4))  # 2 January (Scotland) substitute: not in England
        assert is_working_day(date(2027, 8, 2))  # first Monday of August (Scotland)

    def test_a_datetime_is_refused(self):
        with pytest.raises(TypeError, match="London date"):
            is_working_day(datetime(2026, 11, 6, 12, 0))


class TestAddWorkingDays:
    def test_across_a_weekend(self):
        assert add_working_days(date(2026, 11, 6), 1) == date(2026, 11, 9)  # Friday + 1 = Monday
        assert add_working_days(date(2026, 11, 6), 5) == date(2026, 11, 13)
        assert add_working_days(date(2026, 11, 7), 1) == date(2026, 11, 9)  # Saturday + 1 = Monday

    def test_across_christmas_2027(self):
        # Friday 24 Dec; 25-28 are the weekend and the two substitute days; Wednesday 29 is next.
        assert add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 29)
        # 29, 30, 31 Dec, then 1 Jan 2028 (Sat), 2 (Sun), 3 (substitute New Year's Day), so Tuesday 4 Jan.
        assert add_working_days(date(2027, 12, 24), 4) == date(2028, 1, 4)

    def test_across_easter_2027(self):
        # Thursday 25 March; Good Friday 26, weekend, Easter Monday 29: Tuesday 30.
        assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)

    def test_across_the_one_offs(self):
        assert add_working_days(date(2022, 9, 16), 1) == date(2022, 9, 20)  # over the state funeral
        assert add_working_days(date(2022, 6, 1), 1) == date(2022, 6, 6)  # over the Jubilee weekend
        assert add_working_days(date(2023, 5, 5), 1) == date(2023, 5, 9)  # over the coronation

    def test_zero_and_negative(self):
        assert add_working_days(date(2026, 11, 7), 0) == date(2026, 11, 7)
        assert add_working_days(date(2027, 12, 29), -1) == date(2027, 12, 24)
        assert add_working_days(date(2026, 11, 9), -1) == date(2026, 11, 6)


class TestWorkingDaysElapsed:
    def test_same_day_is_zero(self):
        assert working_days_elapsed(datetime(2026, 11, 2, 9, 0), datetime(2026, 11, 2, 17, 0)) == 0

    def test_end_before_start_is_zero(self):
        assert working_days_elapsed(datetime(2026, 11, 9, 9, 0), datetime(2026, 11, 2, 17, 0)) == 0

    def test_the_next_working_day_is_one(self):
        assert working_days_elapsed(datetime(2026, 11, 2, 17, 0), datetime(2026, 11, 3, 9, 0)) == 1

    def test_across_a_weekend(self):
        # Closed Friday 6 Nov: Saturday and Sunday do not count, Monday 9 does, Tuesday 10 does.
        closed = datetime(2026, 11, 6, 17, 0)
        assert working_days_elapsed(closed, datetime(2026, 11, 8, 12, 0)) == 0
        assert working_days_elapsed(closed, datetime(2026, 11, 9, 12, 0)) == 1
        assert working_days_elapsed(closed, datetime(2026, 11, 10, 12, 0)) == 2

    def test_across_christmas_2027(self):
        # Closed Friday 24 Dec 2027.  25 Sat, 26 Sun, 27 and 28 substitute days: none count.
        closed = datetime(2027, 12, 24, 12, 0)
        assert working_days_elapsed(closed, datetime(2027, 12, 28, 23, 0)) == 0
        assert working_days_elapsed(closed, datetime(2027, 12, 29, 9, 0)) == 1
        # 29, 30, 31 Dec and 4, 5 Jan (3 Jan 2028 is the substitute New Year's Day): 5.
        assert working_days_elapsed(closed, datetime(2028, 1, 5, 9, 0)) == 5

    def test_across_easter_2027(self):
        # Closed Thursday 25 March 2027: Good Friday 26 and Easter Monday 29 do not count; Tuesday 30 does.
        # (The clocks also go forward on Sunday 28 March.)
        closed = datetime(2027, 3, 25, 16, 0)
        assert working_days_elapsed(closed, datetime(2027, 3, 29, 16, 0)) == 0
        assert working_days_elapsed(closed, datetime(2027, 3, 30, 8, 0)) == 1

    def test_across_the_2022_and_2023_one_offs(self):
        # Friday 16 Sep 2022 to Friday 23 Sep: 19 (funeral) left out; 20, 21, 22, 23 count.
        assert working_days_elapsed(datetime(2022, 9, 16, 12, 0), datetime(2022, 9, 23, 12, 0)) == 4
        # Wednesday 1 June 2022 to Wednesday 8 June: 2 and 3 June left out; 6, 7, 8 count.
        assert working_days_elapsed(datetime(2022, 6, 1, 12, 0), datetime(2022, 6, 8, 12, 0)) == 3
        # Friday 28 April 2023 to Friday 12 May: 1 May and 8 May (coronation) left out; 2-5 and 9-12 count.
        assert working_days_elapsed(datetime(2023, 4, 28, 12, 0), datetime(2023, 5, 12, 12, 0)) == 8


class TestPauses:
    # Closed Monday 2 Nov 2026 at noon; at Monday 16 Nov the working days are 3-6, 9-13 and 16: 10.
    CLOSED = datetime(2026, 11, 2, 12, 0)
    NOW = datetime(2026, 11, 16, 12, 0)

    def test_no_pause(self):
        assert working_days_elapsed(self.CLOSED, self.NOW) == 10

    def test_a_clarification_stops_every_working_day_it_was_open_for_any_part_of(self):
        # Asked Wednesday 4 Nov 10:00, answered Monday 9 Nov 15:00.  Open during Wed 4, Thu 5, Fri 6 (and the
        # weekend) and part of Mon 9: 4 working days left out, 10 - 4 = 6.
        pause = (datetime(2026, 11, 4, 10, 0), datetime(2026, 11, 9, 15, 0))
        assert working_days_elapsed(self.CLOSED, self.NOW, [pause]) == 6

    def test_an_open_clarification_stops_every_day_from_the_one_it_was_asked(self):
        # Asked Wednesday 11 Nov 09:00, not yet answered: 11, 12, 13 and 16 (today) are left out.
        # Counted: 3, 4, 5, 6, 9, 10 = 6.
        pause = (datetime(2026, 11, 11, 9, 0), None)
        assert working_days_elapsed(self.CLOSED, self.NOW, [pause]) == 6

    def test_answered_and_open_clarifications_together(self):
        # Both of the above: counted 3 and 10 only.
        pauses = [(datetime(2026, 11, 4, 10, 0), datetime(2026, 11, 9, 15, 0)), (datetime(2026, 11, 11, 9, 0), None)]
        assert working_days_elapsed(self.CLOSED, self.NOW, iter(pauses)) == 2

    def test_a_clarification_answered_the_same_day_stops_that_day(self):
        pause = (datetime(2026, 11, 3, 10, 0), datetime(2026, 11, 3, 16, 0))
        assert working_days_elapsed(self.CLOSED, self.NOW, [pause]) == 9

    def test_a_question_sent_on_thursday_and_answered_on_friday_stops_both_days(self):
        # The window closed on Friday 27 February 2026 at 17:00; the question was sent on Thursday 5 March and
        # answered on Friday 6 March.  Counted by Friday 13 March: 2, 3, 4, 9, 10, 11, 12, 13 = 8.
        closed = datetime(2026, 2, 27, 17, 0)
        pause = (datetime(2026, 3, 5, 11, 0), datetime(2026, 3, 6, 9, 30))
        assert working_days_elapsed(closed, datetime(2026, 3, 13, 12, 0), [pause]) == 8

    def test_midnight_boundaries(self):
        # Answered exactly at the end of Wed 4 Nov (midnight; GMT, so 00:00 UTC on the 5th): open during the
        # 4th, not during the 5th, so only the 4th is left out.
        answered_at_midnight = (datetime(2026, 11, 4, 10, 0), datetime(2026, 11, 5, 0, 0))
        assert working_days_elapsed(self.CLOSED, self.NOW, [answered_at_midnight]) == 9
        # Asked exactly at that midnight and answered the next morning: open during the 5th only.
        asked_at_midnight = (datetime(2026, 11, 5, 0, 0), datetime(2026, 11, 5, 9, 0))
        assert working_days_elapsed(self.CLOSED, self.NOW, [asked_at_midnight]) == 9
        # Asked and answered at that same midnight: open for no part of either day.
        instant = (datetime(2026, 11, 5, 0, 0), datetime(2026, 11, 5, 0, 0))
        assert working_days_elapsed(self.CLOSED, self.NOW, [instant]) == 10

    def test_a_pause_over_a_weekend_only_costs_nothing(self):
        pause = (datetime(2026, 11, 7, 10, 0), datetime(2026, 11, 8, 20, 0))
        assert working_days_elapsed(self.CLOSED, self.NOW, [pause]) == 10

    def test_aware_datetimes_are_refused(self):
        with pytest.raises(ValueError, match="naive UTC"):
            working_days_elapsed(self.CLOSED, datetime(2026, 11, 16, 12, 0, tzinfo=UTC))
        with pytest.raises(ValueError, match="naive UTC"):
            working_days_elapsed(self.CLOSED, self.NOW, [(datetime(2026, 11, 4, tzinfo=UTC), None)])


class TestLondonDays:
    def test_days_are_london_days_in_summer_time(self):
        # 23:30 UTC on Thursday 22 Oct 2026 is 00:30 BST on Friday 23 Oct: the window closed on the Friday.
        # 23:30 UTC on Monday 26 Oct is 23:30 GMT on the Monday (the clocks went back on Sunday 25).
        # Counted: Monday 26 only (in UTC dates it would have been Friday 23 and Monday 26).
        assert working_days_elapsed(datetime(2026, 10, 22, 23, 30), datetime(2026, 10, 26, 23, 30)) == 1

    def test_an_end_just_after_midnight_in_summer_time_is_the_next_day(self):
        # Closed Tuesday 20 Oct 2026 noon; 23:30 UTC on Thursday 22 is already Friday 23 in London.
        assert working_days_elapsed(datetime(2026, 10, 20, 12, 0), datetime(2026, 10, 22, 23, 30)) == 3

    def test_the_end_of_a_summer_day_is_23_00_utc(self):
        # Wednesday 21 Oct 2026 ends at midnight BST = 23:00 UTC.  A clarification answered at 23:30 UTC
        # (00:30 on Thursday in London) was open during part of Thursday too, so both days are left out.
        closed = datetime(2026, 10, 20, 12, 0)
        now = datetime(2026, 10, 23, 12, 0)  # 21, 22, 23 would count: 3
        late_answer = (datetime(2026, 10, 21, 9, 0), datetime(2026, 10, 21, 23, 30))
        assert working_days_elapsed(closed, now, [late_answer]) == 1
        early_answer = (datetime(2026, 10, 21, 9, 0), datetime(2026, 10, 21, 22, 30))  # 23:30 BST Wednesday
        assert working_days_elapsed(closed, now, [early_answer]) == 2

    def test_across_the_spring_clock_change(self):
        # Clocks go forward on Sunday 28 March 2027 (Easter Sunday).  Closed Wednesday 24 March at 23:30 UTC
        # (23:30 GMT, still the Wednesday); now Wednesday 31 March at 23:30 UTC = 00:30 BST on Thursday 1 April.
        # Days: 25 (Thu) counts, 26 Good Friday no, weekend, 29 Easter Monday no, 30, 31, 1 April count: 4.
        assert working_days_elapsed(datetime(2027, 3, 24, 23, 30), datetime(2027, 3, 31, 23, 30)) == 4


class TestDecisionDueDate:
    # The window closed on Friday 27 February 2026 at 17:00 (GMT); the DPS allows 10 working days.
    CLOSED = datetime(2026, 2, 27, 17, 0)

    def test_without_pauses_it_is_ten_working_days_after_the_close(self):
        assert decision_due_date(self.CLOSED, 10, datetime(2026, 3, 2, 9, 0)) == date(2026, 3, 13)

    def test_a_question_sent_thursday_and_answered_friday_makes_it_tuesday_17_march(self):
        pause = (datetime(2026, 3, 5, 11, 0), datetime(2026, 3, 6, 9, 30))
        assert decision_due_date(self.CLOSED, 10, datetime(2026, 3, 9, 9, 0), [pause]) == date(2026, 3, 17)

    def test_an_open_question_gives_the_due_date_as_it_stands(self):
        # Sent Thursday 5 March, still open on Friday 6 at noon: as it stands, Thursday and Friday are
        # paused and the counting resumes on Monday, so Tuesday 17 March.
        pause = (datetime(2026, 3, 5, 11, 0), None)
        assert decision_due_date(self.CLOSED, 10, datetime(2026, 3, 6, 12, 0), [pause]) == date(2026, 3, 17)
        # Still open on Monday 9 March: one more working day paused, so Wednesday 18 March.
        assert decision_due_date(self.CLOSED, 10, datetime(2026, 3, 9, 12, 0), [pause]) == date(2026, 3, 18)

    def test_it_agrees_with_the_count(self):
        pause = (datetime(2026, 3, 5, 11, 0), datetime(2026, 3, 6, 9, 30))
        due = decision_due_date(self.CLOSED, 10, datetime(2026, 3, 9, 9, 0), [pause])
        assert working_days_elapsed(self.CLOSED, datetime(2026, 3, 16, 12, 0), [pause]) == 9
        assert working_days_elapsed(self.CLOSED, datetime(due.year, due.month, due.day, 12, 0), [pause]) == 10

    def test_across_easter_2027(self):
        # Closed Thursday 25 March 2027: Good Friday and Easter Monday do not count, so 1 working day is Tue 30.
        assert decision_due_date(datetime(2027, 3, 25, 16, 0), 1, datetime(2027, 3, 25, 16, 0)) == date(2027, 3, 30)

    def test_a_deadline_below_one_day_is_refused(self):
        with pytest.raises(ValueError, match="at least 1"):
            decision_due_date(self.CLOSED, 0, self.CLOSED)
