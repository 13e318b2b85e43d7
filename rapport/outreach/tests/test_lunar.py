"""Lunar birthdays against known dates, and properties over the whole calendar."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lunardate import LunarDate

from rapport.outreach import lunar

# (birth date, Gregorian year, the dates the birthday is celebrated in that year)
KNOWN = [
    # Born on Spring Festival 1990 (27 Jan 1990): Spring Festival 2026 is 17 Feb 2026.
    (date(1990, 1, 27), 2026, [date(2026, 2, 17)]),
    # Born on Mid-Autumn 1985 (29 Sep 1985): Mid-Autumn 2025 is 6 Oct 2025.
    (date(1985, 9, 29), 2025, [date(2025, 10, 6)]),
    # Born in the leap 4th month of 2020 (1 Jun 2020 = leap 4/10): the ordinary 4/10 of 2025.
    (date(2020, 6, 1), 2025, [date(2025, 5, 7)]),
    # Born on 12/25 of lunar 1990 (9 Feb 1991): lunar 2024's 12/25 is in Gregorian 2025,
    # lunar 2025's in Gregorian 2026 (12 Feb 2026).
    (date(1991, 2, 9), 2026, [date(2026, 2, 12)]),
    # Born on the 30th of the 2nd month of 1990; the 2nd month of 2025 has 29 days: the 29th.
    (LunarDate(1990, 2, 30).to_solar_date(), 2025, [LunarDate(2025, 2, 29).to_solar_date()]),
    # ... and in 2026 the 2nd month... whichever it has, the date is in that month.
]


@pytest.mark.parametrize(("born", "year", "expected"), KNOWN)
def test_known_lunar_birthdays(born, year, expected):
    assert lunar.lunar_birthdays_in(born, year) == expected


def test_a_twelfth_month_birthday_can_fall_twice_or_never_in_a_gregorian_year():
    born = LunarDate(1980, 12, 1).to_solar_date()
    counts = {y: len(lunar.lunar_birthdays_in(born, y)) for y in range(1990, 2090)}
    assert set(counts.values()) <= {0, 1, 2}
    # Over a long span every lunar year is celebrated exactly once.
    assert sum(counts.values()) == len(
        [
            y
            for y in range(1989, 2090)
            if date(1990, 1, 1) <= LunarDate(y, 12, 1).to_solar_date() < date(2090, 1, 1)
        ]
    )


def test_gregorian_leap_day_is_kept_on_the_first_of_march():
    assert lunar.birthdays_between(
        date(2000, 2, 29), False, date(2025, 2, 1), date(2025, 3, 31)
    ) == [date(2025, 3, 1)]


def test_outside_the_lunar_calendar_the_gregorian_date_is_used():
    assert lunar.lunar_of(date(1899, 5, 5)) is None
    assert lunar.lunar_birthdays_in(date(1899, 5, 5), 2025) == [date(2025, 5, 5)]


births = st.dates(min_value=date(1901, 1, 1), max_value=date(2040, 12, 31))


@settings(max_examples=300, deadline=None)
@given(born=births, year=st.integers(min_value=1950, max_value=2098))
def test_the_date_found_is_the_lunar_birthday_or_its_documented_fallback(born, year):
    month, day, _leap = lunar.lunar_of(born)
    for found in lunar.lunar_birthdays_in(born, year):
        assert found.year == year
        f_month, f_day, f_leap = lunar.lunar_of(found)
        assert not f_leap  # leap-month births are celebrated in the ordinary month
        assert f_month == month
        if day == 30 and f_day == 29:  # the month is short this year: its last day
            assert lunar.lunar_of(found + timedelta(days=1))[1] == 1
        else:
            assert f_day == day


@settings(max_examples=300, deadline=None)
@given(born=births, day=st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31)))
def test_the_database_lookup_agrees_with_the_per_person_rule(born, day):
    if born >= day:
        return
    celebrated_today = day in lunar.lunar_birthdays_in(born, day.year)
    assert (born in lunar.lunar_birth_dates_celebrated_on(day)) == celebrated_today


@settings(max_examples=200, deadline=None)
@given(born=births, year=st.integers(min_value=2000, max_value=2098))
def test_every_celebration_is_found_by_the_database_lookup(born, year):
    for found in lunar.lunar_birthdays_in(born, year):
        if found > born:
            assert born in lunar.lunar_birth_dates_celebrated_on(found)
