"""The duplicate search as a background task: nightly (RAPPORT_DEDUPE_SEARCH_CRON, default 04:00)
and when started from the queue page or the API."""

from typing import Any

from crontask import cron
from django.conf import settings
from django.tasks import task


@cron(getattr(settings, "RAPPORT_DEDUPE_SEARCH_CRON", "0 4 * * *"))
@task
def find_duplicates() -> dict[str, Any]:
    from rapport.core.actors import SCHEDULER
    from rapport.dedupe.services import duplicates_find

    return duplicates_find(by=SCHEDULER)
