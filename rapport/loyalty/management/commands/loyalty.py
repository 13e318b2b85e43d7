"""`rapport loyalty sync`: earn points of paid orders, reward referrals, expire points, tiers."""

from django.core.management.base import BaseCommand

from rapport.core.actors import COMMAND_LINE


class Command(BaseCommand):
    help = "Membership and loyalty: `sync` brings points, referrals and tiers up to date."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="earn, reward, expire and re-evaluate tiers")
        sync.add_argument("--days", type=int, default=30, help="orders of the last N days")

    def handle(self, *args, **options):
        from rapport.loyalty.services import points_sync

        n = points_sync(by=COMMAND_LINE, since_days=options["days"])
        self.stdout.write(f"Points earned on {n} orders.")
