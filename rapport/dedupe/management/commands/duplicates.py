"""`rapport duplicates find` and `rapport duplicates merge KEEP DROP [--dry-run]`."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rapport.core.actors import COMMAND_LINE
from rapport.core.exceptions import ConflictError


class Command(BaseCommand):
    help = (
        "Duplicate customers. `duplicates find` searches all customers and fills the review queue "
        "(prints the pairs, highest score first); `duplicates merge KEEP DROP [--dry-run]` merges "
        "customer DROP into KEEP (customer numbers such as C0000042, or ids)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        find = sub.add_parser("find", help="Search all customers; fill the review queue.")
        find.add_argument("--limit", type=int, default=50, help="Pairs to print (0: none).")
        merge = sub.add_parser("merge", help="Merge DROP into KEEP (undoable from the web).")
        merge.add_argument("keep")
        merge.add_argument("drop")
        merge.add_argument(
            "--dry-run", action="store_true", help="Say what would move; change nothing."
        )

    def handle(self, *args, **options):
        actor = COMMAND_LINE
        if options["action"] == "find":
            return self._find(actor, options["limit"])
        return self._merge(actor, options["keep"], options["drop"], options["dry_run"])

    def _find(self, actor, limit):  # noqa: ANN001
        from rapport.dedupe.evidence import describe
        from rapport.dedupe.selectors import queue
        from rapport.dedupe.services import duplicates_find

        done = duplicates_find(by=actor)
        self.stdout.write(
            f"{done['customers']} customers compared, {done['pairs']} possible duplicates "
            f"({done['seconds']} s)."
        )
        for pair in queue().order_by("-score", "-id")[: max(limit, 0)]:
            self.stdout.write(
                f"{pair.score:6.1f}  {pair.first.number} {pair.first}  ~  "
                f"{pair.second.number} {pair.second}: {describe(pair.evidence)}"
            )

    def _merge(self, actor, keep, drop, dry_run):  # noqa: ANN001
        from rapport.customers.numbers import parse_customer_number
        from rapport.dedupe.services import merge

        keep_id, drop_id = parse_customer_number(keep), parse_customer_number(drop)
        if keep_id is None or drop_id is None:
            raise CommandError("KEEP and DROP must be customer numbers (C0000042) or ids")
        try:
            result = merge(keep_id=keep_id, drop_id=drop_id, by=actor, dry_run=dry_run)
        except (ValidationError, ConflictError) as exc:
            raise CommandError(str(getattr(exc, "messages", exc))) from None
        prefix = "Dry run, nothing changed: would merge" if dry_run else "Merged"
        self.stdout.write(f"{prefix} {drop} into {keep}: {result.summary()}")
        if not dry_run:
            self.stdout.write(
                f"Undo from the customer page within the undo period (merge {result.merge.pk})."
            )
