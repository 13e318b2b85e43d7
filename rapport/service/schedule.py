"""Routine-maintenance dates: months after purchase, kept on the same day of the month where it
exists and on the last day where it does not (31 January + 1 month = 28 or 29 February)."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date


def add_months(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(purchased: date, every_months: int, start: date, end: date) -> Iterator[date]:
    """The maintenance dates in [start, end]: purchase + k·interval months, k ≥ 1, each counted
    from the purchase date (not from the previous due date, so a short month does not shift all
    later visits)."""
    if every_months < 1:
        return
    k = 1
    if start > purchased:  # jump close to the window instead of walking from the purchase
        elapsed = (start.year - purchased.year) * 12 + start.month - purchased.month
        k = max(1, elapsed // every_months - 1)
    while True:
        due = add_months(purchased, k * every_months)
        if due > end:
            return
        if due >= start:
            yield due
        k += 1
