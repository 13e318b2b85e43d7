"""Background work of after-sales service (enqueued by `rapport crontask`): routine maintenance
found and customers reminded every morning, overdue promises marked broken every quarter hour."""

from crontask import cron
from django.tasks import task


@cron("10 6 * * *")
@task
def maintenance_due() -> dict[str, int]:
    from rapport.core.actors import SCHEDULER
    from rapport.service.services import maintenance_generate, maintenance_reminders_send

    return {
        "visits": maintenance_generate(by=SCHEDULER),
        "reminders": maintenance_reminders_send(by=SCHEDULER),
    }


@cron("*/15 * * * *")
@task
def promises_overdue() -> int:
    from rapport.core.actors import SCHEDULER
    from rapport.service.services import commitments_break_overdue

    return commitments_break_overdue(by=SCHEDULER)


@task
def recall_send(recall_id: int) -> int:
    """Tell a recall's customers; safe to kill and run again (each customer is told once)."""
    from rapport.core.actors import SCHEDULER
    from rapport.service.services import recall_notify

    return recall_notify(by=SCHEDULER, recall_id=recall_id)
