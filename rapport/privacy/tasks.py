"""The nightly retention purge: `rapport crontask` enqueues it at RAPPORT_PRIVACY_PURGE_CRON
(default 03:15) and a task worker runs it; `rapport privacy purge` runs it at once."""

from crontask import cron
from django.conf import settings
from django.tasks import task


@cron(settings.RAPPORT_PRIVACY_PURGE_CRON)
@task
def retention_purge() -> dict[str, int]:
    from rapport.privacy.services import retention_purge as purge

    return purge()
