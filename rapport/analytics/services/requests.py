"""Asking for a refresh outside the nightly schedule — after customer records were merged, the kept
record's scores must be recomputed (its orders, and so its figures, changed).

A refresh scores every customer (RFM quintiles and the models are about the whole population), so
requests are coalesced: one refresh is queued at a time, and a burst of merges (a review queue
worked through) costs one refresh, not one each."""

from django.core.cache import cache
from django.db import transaction

from rapport.analytics.choices import AnalyticsEventType
from rapport.analytics.models import AnalyticsEvent
from rapport.core.actors import SCHEDULER
from rapport.core.events import emit

QUEUED_KEY = "analytics:refresh-queued"
QUEUED_FOR = 60 * 60  # seconds: a request older than this (a worker that died) no longer blocks


def refresh_after_merge(customer_id: int) -> None:
    """The merge's rebuild of the kept customer's scores (declared on CustomerScore): after the
    merge commits, queue a refresh unless one is queued already."""
    transaction.on_commit(lambda: request_refresh(reason="merge"))


def request_refresh(*, reason: str) -> bool:
    """Queue a refresh (the task worker runs it) unless one is waiting; True if queued now."""
    from rapport.analytics.tasks import refresh_scores

    if not cache.add(QUEUED_KEY, reason, timeout=QUEUED_FOR):
        return False
    emit(
        AnalyticsEvent,
        by=SCHEDULER,
        type=AnalyticsEventType.REQUESTED,
        parameters={"reason": reason},
    )
    refresh_scores.enqueue()
    return True


def refresh_started() -> None:
    """A refresh that starts answers every request made before it."""
    cache.delete(QUEUED_KEY)
