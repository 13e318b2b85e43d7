"""Background analytics: the scheduled refresh of every customer's scores and the reports.

`rapport crontask` (started by `make run`) enqueues `refresh_scores` every night at
RAPPORT_ANALYTICS_REFRESH_CRON (default 02:30) and a task worker (`rapport db_worker`) runs it.
It can also be enqueued from anywhere, or run directly with `rapport analytics_refresh`.
"""

from datetime import date
from typing import Any

from crontask import cron
from django.conf import settings
from django.tasks import task


@cron(settings.RAPPORT_ANALYTICS_REFRESH_CRON)
@task
def refresh_scores(
    horizon_weeks: int = 52, discount_rate: float = 0.10, as_of: str | None = None
) -> dict[str, Any]:
    """Refresh as of `as_of` (YYYY-MM-DD, default today); returns the new ModelFit's id, size and
    seconds per stage."""
    from rapport.analytics.choices import AnalyticsEventType
    from rapport.analytics.models import AnalyticsEvent
    from rapport.analytics.services import analytics_refresh
    from rapport.analytics.services.requests import refresh_started
    from rapport.core.actors import SCHEDULER
    from rapport.core.events import emit

    refresh_started()
    try:
        fit = analytics_refresh(
            horizon_weeks=horizon_weeks,
            discount_rate=discount_rate,
            as_of=date.fromisoformat(as_of) if as_of else None,
        )
    except Exception as exc:
        emit(
            AnalyticsEvent,
            by=SCHEDULER,
            type=AnalyticsEventType.FAILED,
            parameters={"reason": str(exc)[:500]},
        )
        raise
    return {
        "fit_id": fit.pk,
        "customers": fit.customers,
        "as_of": fit.as_of.isoformat(),
        "seconds": fit.duration_seconds,
        "stages": fit.stages,
    }
