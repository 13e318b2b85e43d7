"""`rapport rates import FILE.csv`: import exchange rates (columns day, from, to, rate), every row
checked first and all written or none."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rapport.sales import services


class Command(BaseCommand):
    help = (
        "Exchange rates for the analytics. `rates import FILE.csv` reads the columns day "
        "(YYYY-MM-DD), from, to (currency codes) and rate (1 from = rate to); every row is "
        "checked first, and nothing is written unless all are right."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a CSV of rates")
        imp.add_argument("file", help="CSV with the columns day, from, to, rate")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from None
        try:
            count = services.exchange_rates_import(
                by=None, rows=services.read_exchange_rates_csv(content)
            )
        except ValidationError as exc:
            lines = [m for messages in exc.message_dict.values() for m in messages]
            raise CommandError("Nothing was imported.\n" + "\n".join(lines)) from None
        self.stdout.write(self.style.SUCCESS(f"Imported {count} exchange rates from {path}."))
