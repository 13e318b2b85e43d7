"""One timeline per customer; each business area plugs in a provider of its own events."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from heapq import merge
from typing import Any


@dataclass(frozen=True)
class TimelineEntry:
    time: datetime
    kind: str  # "order", "interaction", "change", …: a CSS class and a filter key
    title: str
    body: str = ""
    url: str = ""
    actor: str = ""
    details: dict[str, Any] = field(default_factory=dict)


Provider = Callable[[int, int], list[TimelineEntry]]
_providers: dict[str, Provider] = {}
_covered: set[tuple[type, str]] = set()


def register(
    kind: str, provider: Provider, *, covers: tuple[type | tuple[type, str], ...] = ()
) -> None:
    """`provider(customer_id, limit)` returns that customer's newest `limit` entries, newest first.

    `covers`: change-log rows the provider already shows, so the change log's own row would only
    repeat it: a model (its "create" rows) or (model, action) ("*" for every action).
    """
    _providers[kind] = provider
    for item in covers:
        _covered.add(item if isinstance(item, tuple) else (item, "create"))


def covered_changes() -> set[tuple[type, str]]:
    """(model, action) pairs whose change rows other timeline providers show."""
    return set(_covered)


def customer_timeline(
    customer_id: int, *, limit: int = 50, with_changes: bool = True
) -> list[TimelineEntry]:
    """The newest `limit` entries. `with_changes=False` (for those who may not view the history
    of changes) keeps each entry's title but leaves out the fields' old and new values."""
    streams = [provider(customer_id, limit) for provider in _providers.values()]
    entries = list(merge(*streams, key=lambda e: e.time, reverse=True))[:limit]
    if with_changes:
        return entries
    return [
        replace(e, details={k: v for k, v in e.details.items() if k != "changes"})
        if "changes" in e.details
        else e
        for e in entries
    ]
