"""Background complaint work: the scheduled escalation sweep (RAPPORT_COMPLAINT_ESCALATE_CRON,
every 15 minutes by default; `rapport complaints escalate` does the same from cron) and the
dashboard summary's refresh (RAPPORT_COMPLAINT_SUMMARY_CRON, every 15 minutes by default;
`rapport complaints summarize`)."""

from typing import Any

from crontask import cron
from django.conf import settings
from django.tasks import task


@cron(settings.RAPPORT_COMPLAINT_ESCALATE_CRON)
@task
def escalate_overdue() -> int:
    from rapport.complaints.escalation import escalate

    return escalate()


@cron(settings.RAPPORT_COMPLAINT_SUMMARY_CRON)
@task
def refresh_dashboard_summary() -> dict[str, Any]:
    """Recompute the dashboard's summary; returns when and in how many seconds."""
    from rapport.complaints.summary import summary_refresh

    summary = summary_refresh()
    return {"computed_at": summary.computed_at.isoformat(), "seconds": summary.seconds}
