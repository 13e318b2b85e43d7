"""Background work of keeping in touch: sending a campaign's messages, chunk by chunk."""

from crontask import cron
from django.tasks import task


@task
def send_chunk(run_id: int, first_id: int, last_id: int) -> int:
    """Send one chunk of a campaign occurrence; running it twice sends nothing twice."""
    from rapport.outreach.services import send_chunk as send

    return send(run_id=run_id, first_id=first_id, last_id=last_id)


@cron("5 * * * *")
@task
def run_due() -> int:
    """Start the campaigns that are due (the scheduler runs this every hour)."""
    from rapport.core.actors import SCHEDULER
    from rapport.outreach.services import run_due as start

    return len(start(by=SCHEDULER))
