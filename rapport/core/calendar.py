"""Birthdays in the Gregorian and the Chinese lunar calendar."""

from datetime import date

from django.utils import timezone
from lunardate import LunarDate

# The year a birthday without one is stored with ("--07-21" in Google's and vCard's files): a leap
# year, as Apple's contacts use, so 29 February fits. Ages are not computed for it, the pages show
# day and month only, and the lunar birthday is not derived (the year decides it).
YEAR_UNKNOWN = 1604


def year_known(day: date | None) -> bool:
    return day is not None and day.year != YEAR_UNKNOWN


def solar_of_lunar(year: int, month: int, day: int, leap: bool = False) -> date:
    """The Gregorian date of a Chinese lunar date; ValueError if the lunar calendar has no such
    day (a 30th in a short month, a leap month that year does not have)."""
    return LunarDate(year, month, day, leap).to_solar_date()


def lunar_date_of(day: date) -> tuple[int, int, int, bool]:
    """(lunar year, month, day, leap month?) of a Gregorian date."""
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    return lunar.year, lunar.month, lunar.day, lunar.is_leap_month


def lunar_of(day: date) -> tuple[int, int, bool]:
    """(lunar month, lunar day, leap month?) of a Gregorian date."""
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    return lunar.month, lunar.day, lunar.is_leap_month


def next_birthday(birthday: date, *, lunar: bool, today: date | None = None) -> date:
    """The next Gregorian date (today included) on which the birthday falls.

    A lunar birthday on the 30th of a month that has 29 days this year is kept on the 29th;
    a birthday in a leap month is celebrated in the ordinary month of that number.
    """
    today = today or timezone.localdate()
    if not lunar or not year_known(birthday):
        for year in (today.year, today.year + 1):
            try:
                candidate = birthday.replace(year=year)
            except ValueError:  # 29 February in a common year
                candidate = date(year, 3, 1)
            if candidate >= today:
                return candidate
    month, day, _leap = lunar_of(birthday)
    for year in (today.year - 1, today.year, today.year + 1):
        for d in (day, day - 1):
            try:
                candidate = LunarDate(year, month, d).to_solar_date()
            except ValueError:
                continue
            if candidate >= today:
                return candidate
            break
    raise ValueError("no birthday found")  # unreachable for valid dates
