"""Keyset pagination: page 20,000 costs what page 1 costs (no OFFSET)."""

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet


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

    The range bound (`key >= v`) lets the index seek straight to the cursor instead of walking
    from the start, which an OR of comparisons alone would do.
    """
    desc = ordering[0].startswith("-")
    keys = [o.lstrip("-") for o in ordering]
    values = decode_cursor(cursor)
    if values is not None and len(values) == len(keys):
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
