"""rapport import customers|organisations|products|orders FILE: the same import as the web page."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.core.registry import import_kinds
from rapport.imports import services
from rapport.imports.choices import ImportMode, ImportStatus
from rapport.imports.mapping import parse_overrides


class Command(BaseCommand):
    help = "Import customers, organisations, products or order lines from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[spec.kind for spec in import_kinds()])
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row, write nothing."
        )
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="Import the valid rows and skip the others (default: all or nothing).",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            dest="mappings",
            help="Read column HEADER as FIELD (HEADER= leaves it out). Repeatable.",
        )
        parser.add_argument("--user", help="The staff member the history shows as having imported.")
        parser.add_argument(
            "--probable-matches",
            "--on-probable-duplicate",
            choices=("ask", "ask-fails", "match", "new", "skip"),
            default="ask",
            dest="probable_matches",
            help="Customers: a row that probably is an existing customer (a name written "
            "differently, a typo…) stops the import, listed for a decision (ask or ask-fails, "
            "the default), updates that customer (match), becomes a new customer (new) or is "
            "left out (skip).",
        )
        parser.add_argument(
            "--decide",
            action="append",
            default=[],
            metavar="ROW=DECISION",
            dest="decisions",
            help="Customers: what to do with one row that probably is an existing customer: "
            "ROW=C0000042 updates that customer, ROW=new creates one, ROW=skip leaves the row "
            "out. Repeatable; the other rows follow --probable-matches.",
        )

    def handle(
        self,
        *args,
        kind: str,
        file: Path,
        dry_run: bool,
        valid_only: bool,
        mappings: list[str],
        user: str | None,
        probable_matches: str = "ask",
        decisions: list[str] | None = None,
        **options,
    ) -> None:
        try:
            column_map = parse_overrides(mappings)
        except ValueError as exc:
            raise CommandError(f"--map {exc.args[0]!r}: write HEADER=FIELD") from None
        decided: dict[str, str] = {}
        for item in decisions or []:
            row, sep, decision = item.partition("=")
            if not sep or not row.strip().isdigit() or not decision.strip():
                raise CommandError(
                    f"--decide {item!r}: write ROW=C0000042, ROW=new or ROW=skip"
                ) from None
            decided[str(int(row))] = decision.strip()
        kind_options: dict[str, object] = {
            "probable_matches": "ask" if probable_matches == "ask-fails" else probable_matches
        }
        if decided:
            kind_options["decisions"] = decided
        by = None
        if user:
            try:
                by = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {user!r}.") from None
        try:
            job = services.import_job_create(
                kind=kind,
                path=file,
                by=by,
                dry_run=dry_run,
                column_map=column_map,
                mode=ImportMode.VALID_ONLY if valid_only else ImportMode.ALL_OR_NOTHING,
                options=kind_options,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        job = services.import_job_run(job_id=job.pk)
        self._report(job)
        if job.status in (ImportStatus.INVALID, ImportStatus.FAILED):
            raise CommandError(str(job.get_status_display()), returncode=1)

    def _report(self, job) -> None:
        if job.errors:
            width = max(len(str(e["column"] or "-")) for e in job.errors)
            self.stdout.write(f"{_('Row'):>6}  {_('Column'):<{width}}  {_('Reason')}")
            for e in job.errors:
                self.stdout.write(f"{e['row']:>6}  {e['column'] or '-':<{width}}  {e['message']}")
        if job.message:
            self.stdout.write(job.message)
        counts = ngettext(
            "%(file)s: %(rows)d row; created %(created)d, updated %(updated)d, unchanged "
            "%(unchanged)d, with errors %(skipped)d.",
            "%(file)s: %(rows)d rows; created %(created)d, updated %(updated)d, unchanged "
            "%(unchanged)d, with errors %(skipped)d.",
            job.total_rows,
        ) % {
            "file": job.file_name,
            "rows": job.total_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "skipped": job.skipped_count,
        }
        style = self.style.SUCCESS if job.status == ImportStatus.DONE else self.style.ERROR
        self.stdout.write(style(counts))
