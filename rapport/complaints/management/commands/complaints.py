"""`rapport complaints escalate`: flag overdue complaints and escalate each breach once.
`rapport complaints figures`: the handling figures from the event rows.
`rapport complaints summarize`: recompute the dashboard's summary now."""

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Complaint housekeeping: escalate overdue complaints; print the handling figures; "
        "recompute the dashboard summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["escalate", "figures", "summarize"])

    def handle(self, *args, what: str, **options) -> None:  # noqa: ANN002, ANN003
        from rapport.core.actors import COMMAND_LINE

        if what == "escalate":
            from rapport.complaints.escalation import escalate

            n = escalate(by=COMMAND_LINE)
            self.stdout.write(f"escalated: {n}")
        elif what == "summarize":
            from rapport.complaints.summary import summary_refresh

            summary = summary_refresh()
            self.stdout.write(f"summary computed in {summary.seconds:.1f} s")
        else:
            from dataclasses import asdict

            from rapport.complaints.metrics import all_figures

            for key, value in asdict(all_figures()).items():
                self.stdout.write(f"{key}: {value}")
