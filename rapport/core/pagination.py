"""Keyset pagination: page 20,000 costs what page 1 costs (no OFFSET)."""

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy

from rapport.core.params import MAX_ID, unstorable_text_error


def invalid_cursor() -> ValidationError:
    return ValidationError(
        {
            "cursor": [
                gettext_lazy(
                    "This page link is not valid (it may be cut or out of date). Start again "
                    "from the first page."
                )
            ]
        }
    )


def _checked_value(model: type[models.Model], key: str, value: Any) -> Any:
    """A cursor's value for `key` as the column takes it; ValidationError if it cannot be one
    (a cursor is opaque to clients, but anyone can send any text as one)."""
    if value is None or isinstance(value, (list, dict, bool)):
        raise invalid_cursor()
    try:
        field = model._meta.pk if key == "pk" else model._meta.get_field(key)
    except FieldDoesNotExist:  # an annotation: only plain values
        return value
    try:
        if isinstance(field, (models.IntegerField, models.AutoField, models.ForeignKey)):
            if not isinstance(value, int) or abs(value) > MAX_ID:
                raise ValueError
            return value
        if isinstance(field, models.DateTimeField):
            moment = parse_datetime(value) if isinstance(value, str) else None
            if moment is None or moment.tzinfo is None:
                raise ValueError
            from datetime import UTC

            moment.astimezone(UTC)  # OverflowError near year 1 or 9999
            return moment
        if isinstance(value, str) and unstorable_text_error(value):
            raise ValueError
        if isinstance(field, models.Field):
            field.to_python(value)
    except (ValueError, TypeError, OverflowError, ValidationError):
        raise invalid_cursor() from None
    return value


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError):
        return None
    return values if isinstance(values, list) else None


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def keyset_page(qs: QuerySet, *, ordering: list[str], cursor: str | None, size: int) -> Page:
    """One page of `qs` in `ordering` (1 or 2 keys, same direction, last key unique).

    A cursor that is not one this function made raises ValidationError on "cursor" (a 400).

    The range bound (`key >= v`) lets the index seek straight to the cursor instead of walking
    from the start, which an OR of comparisons alone would do.
    """
    desc = ordering[0].startswith("-")
    keys = [o.lstrip("-") for o in ordering]
    values = decode_cursor(cursor)
    if cursor and (values is None or len(values) != len(keys)):
        raise invalid_cursor()
    if values is not None:
        values = [_checked_value(qs.model, k, v) for k, v in zip(keys, values, strict=True)]
        op = "lt" if desc else "gt"
        bound = "lte" if desc else "gte"
        if len(keys) == 1:
            qs = qs.filter(**{f"{keys[0]}__{op}": values[0]})
        else:
            first, second = keys
            qs = qs.filter(**{f"{first}__{bound}": values[0]}).filter(
                Q(**{f"{first}__{op}": values[0]})
                | Q(**{first: values[0], f"{second}__{op}": values[1]})
            )
    rows = list(qs.order_by(*ordering)[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor([_attr(last, k) for k in keys])
    return Page(items=rows, next_cursor=next_cursor)


def _attr(row: Any, key: str) -> Any:
    return row[key] if isinstance(row, dict) else getattr(row, key)
