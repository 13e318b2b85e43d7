"""Background analytics: the scheduled refresh of every customer's scores and the reports.

Schedule it by running `rapport analytics_refresh` from cron or a systemd timer (docs/analytics.md),
or enqueue `refresh_scores` from anywhere; a task worker (`rapport db_worker`) runs it.
"""

from datetime import date
from typing import Any

from django.tasks import task


@task
def refresh_scores(
    horizon_weeks: int = 52, discount_rate: float = 0.10, as_of: str | None = None
) -> dict[str, Any]:
    """Refresh as of `as_of` (YYYY-MM-DD, default today); returns the new ModelFit's id, size and
    seconds per stage."""
    from rapport.analytics.services import analytics_refresh

    fit = analytics_refresh(
        horizon_weeks=horizon_weeks,
        discount_rate=discount_rate,
        as_of=date.fromisoformat(as_of) if as_of else None,
    )
    return {
        "fit_id": fit.pk,
        "customers": fit.customers,
        "as_of": fit.as_of.isoformat(),
        "seconds": fit.duration_seconds,
        "stages": fit.stages,
    }
