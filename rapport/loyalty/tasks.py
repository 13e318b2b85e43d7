"""Background loyalty work: every night, points of paid orders, referral rewards, expiry, tiers."""

from crontask import cron
from django.tasks import task


@cron("15 3 * * *")
@task
def sync() -> int:
    from rapport.core.actors import SCHEDULER
    from rapport.loyalty.services import points_sync

    return points_sync(by=SCHEDULER)
