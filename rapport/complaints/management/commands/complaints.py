"""`rapport complaints escalate`: flag overdue complaints and escalate each breach once.
`rapport complaints figures`: the handling figures from the event rows."""

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Complaint housekeeping: escalate overdue complaints; print the handling figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["escalate", "figures"])

    def handle(self, *args, what: str, **options) -> None:  # noqa: ANN002, ANN003
        from rapport.core.actors import COMMAND_LINE

        if what == "escalate":
            from rapport.complaints.escalation import escalate

            n = escalate(by=COMMAND_LINE)
            self.stdout.write(f"escalated: {n}")
        else:
            from dataclasses import asdict

            from rapport.complaints.metrics import all_figures

            for key, value in asdict(all_figures()).items():
                self.stdout.write(f"{key}: {value}")
