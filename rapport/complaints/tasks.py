"""Background complaint work: the scheduled escalation sweep (RAPPORT_COMPLAINT_ESCALATE_CRON,
every 15 minutes by default; `rapport complaints escalate` does the same from cron)."""

from crontask import cron
from django.conf import settings
from django.tasks import task


@cron(settings.RAPPORT_COMPLAINT_ESCALATE_CRON)
@task
def escalate_overdue() -> int:
    from rapport.complaints.escalation import escalate

    return escalate()
