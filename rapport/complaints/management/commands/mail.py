"""`rapport mail receive < message.eml`: file one RFC 822 message from standard input (pipe your
mail server's delivery to it); a reply naming a complaint reference lands on that complaint."""

import sys

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Incoming mail: `receive` reads one RFC 822 message from standard input."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["receive"])

    def handle(self, *args, what: str, **options) -> None:  # noqa: ANN002, ANN003
        from rapport.complaints.inbound import receive

        source = options.get("stdin") or sys.stdin
        data = getattr(source, "buffer", source).read()
        raw = data.encode() if isinstance(data, str) else data
        mail = receive(raw)
        where = mail.complaint.reference if mail.complaint else "draft"
        self.stdout.write(f"received: {where}")
