"""`rapport surveys_due`: ask about the orders delivered lately and send the one reminder (what
the scheduler does every hour); safe to run again."""

from django.core.management.base import BaseCommand

from rapport.core.actors import COMMAND_LINE


class Command(BaseCommand):
    help = "Send the surveys due after delivered orders, and the reminders due."

    def handle(self, *args, **options) -> None:
        from rapport.surveys.services import invite_delivered_orders, reminders_send

        asked = invite_delivered_orders(by=COMMAND_LINE)
        reminded = reminders_send(by=COMMAND_LINE)
        self.stdout.write(f"asked {asked}, reminded {reminded}")
