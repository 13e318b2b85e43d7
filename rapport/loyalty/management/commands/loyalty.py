"""`rapport loyalty sync`: earn points of paid orders, reward referrals, expire points, tiers.
`rapport loyalty backfill`: earn entries for every past paid order that has none (set-based)."""

from django.core.management.base import BaseCommand

from rapport.core.actors import COMMAND_LINE


class Command(BaseCommand):
    help = "Membership and loyalty: `sync` brings points, referrals and tiers up to date."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="earn, reward, expire and re-evaluate tiers")
        sync.add_argument("--days", type=int, default=30, help="orders of the last N days")
        backfill = sub.add_parser(
            "backfill", help="earn entries for all paid orders that have none, in the database"
        )
        backfill.add_argument(
            "--chunk", type=int, default=250_000, help="order ids per transaction"
        )

    def handle(self, *args, **options):
        if options["action"] == "backfill":
            return self._backfill(options["chunk"])
        from rapport.loyalty.services import points_sync

        n = points_sync(by=COMMAND_LINE, since_days=options["days"])
        self.stdout.write(f"Points earned on {n} orders.")

    def _backfill(self, chunk: int) -> None:
        from rapport.loyalty.backfill import points_backfill

        def progress(done: int, total: int, entries: int) -> None:
            self.stderr.write(f"{done:,}/{total:,} order ids, {entries:,} entries written")

        result = points_backfill(by=COMMAND_LINE, chunk_orders=chunk, progress=progress)
        self.stdout.write(
            f"Points earned on {result.entries} orders ({result.orders_scanned} order ids "
            f"scanned in {result.seconds:.1f} s)."
        )
