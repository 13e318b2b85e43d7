"""`rapport campaigns run-due`: start what is due (for cron, beside the built-in schedule)."""

from django.core.management.base import BaseCommand

from rapport.core.actors import COMMAND_LINE


class Command(BaseCommand):
    help = "Keeping in touch: `run-due` starts the campaigns that are due today."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        due = sub.add_parser(
            "run-due", help="start due one-off campaigns and today's triggered ones"
        )
        due.add_argument("--date", help="the day to run for (YYYY-MM-DD), default today")

    def handle(self, *args, **options):
        from datetime import date

        from rapport.outreach.services import run_due

        today = date.fromisoformat(options["date"]) if options.get("date") else None
        runs = run_due(by=COMMAND_LINE, today=today)
        for run in runs:
            self.stdout.write(f"{run.campaign.name}: {run.occurrence}, {run.total} messages")
        self.stdout.write(f"{len(runs)} campaign runs started.")
