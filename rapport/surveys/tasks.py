"""Background work of surveys: asking about delivered orders, and the one reminder.

`rapport crontask` enqueues both every hour (RAPPORT_SURVEYS_CRON); each is safe to run twice."""

from crontask import cron
from django.conf import settings
from django.tasks import task


@cron(getattr(settings, "RAPPORT_SURVEYS_CRON", "15 * * * *"))
@task
def survey_invitations_due() -> int:
    from rapport.core.actors import SCHEDULER
    from rapport.surveys.services import invite_delivered_orders

    return invite_delivered_orders(by=SCHEDULER)


@cron(getattr(settings, "RAPPORT_SURVEYS_CRON", "15 * * * *"))
@task
def survey_reminders_due() -> int:
    from rapport.core.actors import SCHEDULER
    from rapport.surveys.services import reminders_send

    return reminders_send(by=SCHEDULER)
