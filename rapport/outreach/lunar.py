"""Birthdays in the Gregorian and the Chinese lunar calendar, as dates of a given year.

The lunar calendar comes from `lunardate` (maintained, covers lunar years 1900–2099). The rules,
as a Chinese family keeps them:

- **A lunar birthday** is celebrated on the same lunar month and day every lunar year; it moves
  between late January and late February and so on in the Gregorian calendar.
- **Born in a leap month** (闰月): celebrated in the ordinary month of that number every year
  (leap months come back only every few decades; the ordinary month is what families use). In a
  year that has a leap month of that number too, the ordinary (first) one counts.
- **Born on the 30th** of a month that has only 29 days this year: celebrated on the 29th (the
  last day of that month), never pushed into the next month.
- **Born late in the 12th lunar month**: the birthday of lunar year Y falls in January or February
  of Gregorian year Y+1. So a Gregorian year can hold no lunar birthday of such a person or two
  (one in early January, one in late December): `lunar_birthdays_in` returns a list, and the
  moments calendar asks for the dates inside a window, never "the" date of a Gregorian year.
- **Outside 1900–2099** (the library's range) a lunar birthday falls back to the Gregorian date.
- **A Gregorian birthday on 29 February** is celebrated on 1 March in common years (as the
  customer page says).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from lunardate import LunarDate

FIRST_LUNAR_YEAR, LAST_LUNAR_YEAR = 1900, 2099
FIRST_SOLAR, LAST_SOLAR = date(1900, 1, 31), date(2099, 12, 31)  # lunar 1900-01-01 .. in range


def lunar_of(day: date) -> tuple[int, int, bool] | None:
    """(lunar month, lunar day, leap month?) of a Gregorian date; None outside the range."""
    if not FIRST_SOLAR <= day <= LAST_SOLAR:
        return None
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    return lunar.month, lunar.day, lunar.is_leap_month


def _lunar_to_solar(year: int, month: int, day: int) -> date | None:
    """The Gregorian date of lunar (year, ordinary month, day), day 30 → 29 when the month is
    short; None outside the library's range."""
    for d in (day, day - 1) if day == 30 else (day,):
        try:
            return LunarDate(year, month, d, False).to_solar_date()
        except ValueError:
            continue
    return None


def gregorian_birthday_in(birthday: date, year: int) -> date:
    try:
        return birthday.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def lunar_birthdays_in(birthday: date, year: int) -> list[date]:
    """The Gregorian dates in `year` on which a lunar birthday falls (zero, one or two)."""
    lunar = lunar_of(birthday)
    if lunar is None:
        return [gregorian_birthday_in(birthday, year)]
    month, day, _leap = lunar
    found = []
    for lunar_year in (year - 1, year):
        if not FIRST_LUNAR_YEAR <= lunar_year <= LAST_LUNAR_YEAR:
            continue
        solar = _lunar_to_solar(lunar_year, month, day)
        if solar is not None and solar.year == year:
            found.append(solar)
    if not found and not (FIRST_LUNAR_YEAR < year < LAST_LUNAR_YEAR):
        return [gregorian_birthday_in(birthday, year)]
    return found


def birthdays_between(birthday: date, lunar: bool, start: date, end: date) -> list[date]:
    """Every celebration of the birthday from `start` to `end` (both included), after birth."""
    found: list[date] = []
    for year in range(start.year, end.year + 1):
        days = (
            lunar_birthdays_in(birthday, year) if lunar else [gregorian_birthday_in(birthday, year)]
        )
        found.extend(d for d in days if start <= d <= end and d > birthday)
    return sorted(set(found))


def next_birthday(birthday: date, *, lunar: bool, today: date) -> date | None:
    """The next celebration, today included (within about 13 months)."""
    found = birthdays_between(birthday, lunar, today, today + timedelta(days=400))
    return found[0] if found else None


@lru_cache(maxsize=4096)
def lunar_birth_dates(month: int, day: int, until_year: int) -> tuple[date, ...]:
    """Every Gregorian date from 1900 to `until_year` whose lunar date is (month, day), in an
    ordinary or a leap month: the people born on them celebrate on lunar (month, day)."""
    found = []
    for year in range(FIRST_LUNAR_YEAR, min(until_year, LAST_LUNAR_YEAR) + 1):
        for leap in (False, True):
            try:
                found.append(LunarDate(year, month, day, leap).to_solar_date())
            except ValueError:
                continue
    return tuple(d for d in found if d.year <= until_year)


def lunar_birth_dates_celebrated_on(day: date) -> tuple[date, ...]:
    """The birth dates whose lunar birthday is celebrated on the Gregorian `day`: the reverse of
    `lunar_birthdays_in`, so a database can look people up by birthday (an `IN` list)."""
    lunar = lunar_of(day)
    if lunar is None:
        return ()
    month, lday, leap = lunar
    if leap:  # nobody celebrates in a leap month (leap-month births use the ordinary month)
        return ()
    dates = list(lunar_birth_dates(month, lday, day.year))
    if lday == 29:  # the month may be short this year: the 30th-born celebrate today then
        following = lunar_of(day + timedelta(days=1))
        if following is not None and following[1] == 1:
            dates.extend(lunar_birth_dates(month, 30, day.year))
    return tuple(d for d in dates if d < day)
