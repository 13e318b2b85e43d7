"""`rapport service_due`: routine maintenance due in the next 30 days, its reminders, and overdue
promises marked broken (what the scheduler does); safe to run again. `--recall ID` tells a
recall's customers not yet told."""

from django.core.management.base import BaseCommand

from rapport.core.actors import COMMAND_LINE


class Command(BaseCommand):
    help = "Generate due maintenance visits, remind customers, mark overdue promises broken."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--recall", type=int, help="Also tell this recall's customers.")

    def handle(self, *args, **options) -> None:
        from rapport.service import services

        visits = services.maintenance_generate(by=COMMAND_LINE)
        reminders = services.maintenance_reminders_send(by=COMMAND_LINE)
        broken = services.commitments_break_overdue(by=COMMAND_LINE)
        self.stdout.write(f"maintenance visits {visits}, reminders {reminders}, broken {broken}")
        if options.get("recall"):
            told = services.recall_notify(by=COMMAND_LINE, recall_id=options["recall"])
            self.stdout.write(f"recall {options['recall']}: told {told}")
