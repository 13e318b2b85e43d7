"""Typed events and the notifications that follow them once the transaction has committed.

A workflow step (a merge, an import finishing, a consent withdrawn, a remedy approved) writes one
event row with `emit`, inside the transaction that makes the change; whoever subscribed to that
event type is called only after the commit (`transaction.on_commit`), so a rolled-back step never
sends a message, and a slow notifier never holds a lock. A subscriber that has slow work to do
(mail, a webhook) enqueues a task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.core.actors import Actor, actor_name, actor_user
from rapport.core.models import Event

logger = logging.getLogger(__name__)
Subscriber = Callable[[Event], None]
_subscribers: dict[tuple[str, str], list[Subscriber]] = {}


def emit[E: Event](
    model: type[E], *, by: Actor, type: str, parameters: dict[str, Any] | None = None, **fields: Any
) -> E:
    """Write one event row of `model` (what it belongs to in `fields`) and notify the subscribers
    of its type after the surrounding transaction commits."""
    if type not in model.SENTENCES:
        raise ValueError(f"{model.__name__} has no event type {type!r}")
    user = actor_user(by)
    event = model._default_manager.create(
        time=fields.pop("time", None) or timezone.now(),
        user=user,
        user_name=actor_name(by)[:150],
        type=type,
        parameters=parameters or {},
        **fields,
    )
    notify_on_commit(event)
    return event


def subscribe(model: type[Event], type: str, subscriber: Subscriber) -> None:
    """Call `subscriber(event)` after each committed event of this model and type (register in
    an AppConfig.ready())."""
    handlers = _subscribers.setdefault((model._meta.label_lower, type), [])
    if subscriber not in handlers:
        handlers.append(subscriber)


def unsubscribe(model: type[Event], type: str, subscriber: Subscriber) -> None:
    handlers = _subscribers.get((model._meta.label_lower, type), [])
    if subscriber in handlers:
        handlers.remove(subscriber)


def has_subscribers(model: type[Event], type: str) -> bool:
    """Whether anything listens to this model's events of this type (a writer that inserts
    events in bulk, without model instances, loads them only then)."""
    return bool(_subscribers.get((model._meta.label_lower, type)))


def notify_on_commit(event: Event) -> None:
    """Run the event's subscribers once the current transaction commits (at once outside one)."""
    handlers = list(_subscribers.get((event._meta.label_lower, event.type), ()))
    if handlers:
        transaction.on_commit(lambda: _dispatch(event, handlers), robust=False)


def on_commit(fn: Callable[[], Any]) -> None:
    """Run `fn` after the current transaction commits; a failure is logged, never raised into
    the request that caused it (the change itself is committed by then)."""

    def run() -> None:
        try:
            fn()
        except Exception:
            logger.exception("After-commit notification failed")

    transaction.on_commit(run)


def _dispatch(event: Event, handlers: list[Subscriber]) -> None:
    for handler in handlers:
        try:
            handler(event)
        except Exception:
            logger.exception(
                "Subscriber %r failed for %s %s", handler, event._meta.label, event.type
            )
