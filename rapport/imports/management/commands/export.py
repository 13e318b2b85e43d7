"""rapport export customers FILE.csv|FILE.xlsx [--tag …]: a filtered list to a spreadsheet."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.core.registry import export_kinds
from rapport.imports.exports import FORMATS
from rapport.imports.services import export_rows


class Command(BaseCommand):
    help = "Export customers, organisations, products or order lines to CSV or XLSX (by file extension)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[spec.kind for spec in export_kinds()])
        parser.add_argument("file", type=Path)
        parser.add_argument("--tag", help="Customers with this tag.")
        parser.add_argument("--source", help="Customers from this source.")
        parser.add_argument(
            "--language", dest="preferred_language", help="Customers preferring this language."
        )
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            dest="filters",
            help="Any filter of the list page (e.g. customer_since_from=2024-01-01). Repeatable.",
        )

    def handle(self, *args, kind: str, file: Path, filters: list[str], **options) -> None:
        fmt = file.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError("The file must end in .csv or .xlsx.")
        chosen = {k: options[k] for k in ("tag", "source", "preferred_language") if options.get(k)}
        for item in filters:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter {item!r}: write NAME=VALUE")
            chosen[name.strip()] = value.strip()
        from rapport.core.actors import COMMAND_LINE
        from rapport.core.privacy import personal_data_read
        from rapport.core.registry import export_kind

        # Every export is logged: who, when, which filter, how many records (rapport.privacy).
        personal_data_read(
            by=COMMAND_LINE,
            kind="file_export",
            count=export_kind(kind).queryset(chosen).count(),
            filters={"kind": kind, "via": "command line", **chosen},
        )
        with file.open("wb") as fh:
            for chunk in export_rows(kind=kind, queryset_or_filters=chosen, fmt=fmt):
                fh.write(chunk)
        self.stdout.write(self.style.SUCCESS(f"{file}"))
