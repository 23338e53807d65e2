from datetime import date, datetime

from portal.quarters import Quarter, last_n, parse, quarter_at, quarter_of


def test_the_financial_quarters_run_april_to_june_and_so_on():
    assert quarter_of(date(2026, 4, 1)) == Quarter(2026, 1)
    assert quarter_of(date(2026, 6, 30)) == Quarter(2026, 1)
    assert quarter_of(date(2026, 7, 1)) == Quarter(2026, 2)
    assert quarter_of(date(2026, 12, 31)) == Quarter(2026, 3)
    assert quarter_of(date(2027, 1, 1)) == Quarter(2026, 4)
    assert quarter_of(date(2027, 3, 31)) == Quarter(2026, 4)
    assert quarter_of(date(2027, 4, 1)) == Quarter(2027, 1)


def test_a_quarter_knows_its_days_label_and_neighbours():
    q4 = Quarter(2026, 4)
    assert (q4.start, q4.end, q4.last_day) == (date(2027, 1, 1), date(2027, 4, 1), date(2027, 3, 31))
    assert q4.label == "Q4 2026-27 (January to March 2027)"
    assert (q4.next, q4.previous) == (Quarter(2027, 1), Quarter(2026, 3))
    assert Quarter(2026, 1).previous == Quarter(2025, 4)
    assert q4.days() == 90 and q4.contains(date(2027, 3, 31)) and not q4.contains(date(2027, 4, 1))


def test_quarter_bounds_are_uk_midnights_across_the_change_to_summer_time():
    q1 = Quarter(2026, 1)  # starts 1 April 2026, in British Summer Time
    assert q1.start_utc == datetime(2026, 3, 31, 23, 0)
    assert Quarter(2026, 4).start_utc == datetime(2027, 1, 1, 0, 0)  # Greenwich Mean Time
    # 00:30 on 1 July UK time is 23:30 on 30 June UTC: the second quarter
    assert quarter_at(datetime(2026, 6, 30, 23, 30)) == Quarter(2026, 2)
    assert quarter_at(datetime(2026, 6, 30, 22, 59)) == Quarter(2026, 1)


def test_quarter_keys_round_trip_and_nonsense_is_none():
    assert parse("2026-Q2") == Quarter(2026, 2) and parse(Quarter(2026, 2).key) == Quarter(2026, 2)
    assert parse("2026-Q5") is None and parse("") is None and parse(None) is None and parse("x2026-Q1") is None
    assert last_n(Quarter(2026, 2), 3) == [Quarter(2025, 4), Quarter(2026, 1), Quarter(2026, 2)]
