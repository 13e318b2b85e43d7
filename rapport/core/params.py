"""Reading values people type into addresses and forms, refusing what the database cannot hold.

A filter in a query string is text: these turn it into an id or a date, or raise ValidationError
naming the parameter (a 400 with the field named, in the API and on the pages), so a value that is
not a number, a number beyond 64 bits, or a NUL byte never reaches the database as a 500.
"""

import re
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

# The largest id a 64-bit integer column holds (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1
# Dates the pages and the API accept: a day can be turned into a time in every time zone.
MIN_DATE, MAX_DATE = date(1, 1, 2), date(9999, 12, 30)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text_error(value: str) -> str | None:
    """Why `value` cannot be stored as text (a NUL byte, an unpaired surrogate), or None."""
    if UNSTORABLE.search(value):
        return str(
            gettext_lazy(
                "This text contains a character that cannot be stored (a NUL byte or an "
                "unpaired surrogate)."
            )
        )
    return None


def id_param(value: Any, name: str) -> int:
    """A record id from a query string: a whole number from 1 to 2⁶³−1."""
    text = str(value).strip()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID:
        return int(text)
    raise ValidationError(
        {
            name: [
                gettext_lazy("Enter a record number: a whole number from 1 to %(max)s.")
                % {"max": MAX_ID}
            ]
        }
    )


def date_param(value: Any, name: str) -> date:
    """A day from a query string: YYYY-MM-DD, from year 1 to 9999."""
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError({name: [gettext_lazy("Enter a date as YYYY-MM-DD.")]}) from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValidationError(
            {
                name: [
                    gettext_lazy("Enter a date between %(start)s and %(end)s.")
                    % {"start": MIN_DATE.isoformat(), "end": MAX_DATE.isoformat()}
                ]
            }
        )
    return day


def storable_moment(value: datetime) -> datetime:
    """`value` if the database can store it: a time near year 1 or 9999 whose offset takes it
    out of those years in UTC (9999-12-31 at −12:00) raises ValueError."""
    try:
        if value.tzinfo is not None:
            value.astimezone(UTC)
        if not MIN_DATE <= value.date() <= MAX_DATE:
            raise OverflowError
    except OverflowError:
        raise ValueError(
            str(
                gettext_lazy("Enter a time between %(start)s and %(end)s.")
                % {"start": MIN_DATE.isoformat(), "end": MAX_DATE.isoformat()}
            )
        ) from None
    return value
