"""`rapport demo --customers N [--seed S] [--years 2]`: load demo data."""

import time

from django.core.management.base import BaseCommand, CommandError

from rapport.customers.models import Customer
from rapport.demo.services import generate_demo


class Command(BaseCommand):
    help = "Add realistic multilingual demo customers with two years of orders and conversations."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, required=True, help="How many customers (e.g. 3000)."
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Same seed, same data (default 2026)."
        )
        parser.add_argument("--years", type=int, default=2, help="Years of history (default 2).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add demo data even though the database has customers.",
        )

    def handle(self, *args, customers: int, seed: int, years: int, force: bool, **options):
        if customers < 1 or years < 1:
            raise CommandError("--customers and --years must be at least 1.")
        existing = Customer.objects.count()
        if existing and not force:
            raise CommandError(
                f"The database already holds {existing} customers; demo data is meant for an empty "
                "database. Pass --force to add it anyway."
            )
        started = time.perf_counter()
        counts = generate_demo(customers=customers, seed=seed, years=years)
        elapsed = time.perf_counter() - started
        for kind, n in counts.items():
            self.stdout.write(f"{kind.replace('_', ' '):>24}: {n:,}")
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {elapsed:.1f} s."))
