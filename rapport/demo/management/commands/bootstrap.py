"""First start: an administrator account, the roles, and demo data when the database is empty."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from rapport.customers.models import Customer


class Command(BaseCommand):
    help = "Create the admin login and load demo data on first start; print the login."

    def add_arguments(self, parser):
        parser.add_argument("--demo-customers", type=int, default=3000)

    def handle(self, *args, demo_customers: int, **options):
        User = get_user_model()
        password_file = settings.VAR_DIR / "admin-password.txt"
        if not User.objects.filter(username="admin").exists():
            from rapport.staff.services import user_create

            password = secrets.token_urlsafe(12)
            user_create(
                username="admin",
                password=password,
                email="admin@localhost",
                roles=["administrator"],
                is_superuser=True,
            )
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        if demo_customers and not Customer.objects.exists():
            from rapport.analytics.services import analytics_refresh
            from rapport.demo.services import generate_demo

            self.stdout.write(f"Loading demo data ({demo_customers} customers)…")
            generate_demo(customers=demo_customers, seed=2026)
            # The first analysis now, so the dashboards and scores are there on first start;
            # after that the scheduler (`rapport crontask`) refreshes them every night.
            self.stdout.write("Computing the customer analytics…")
            analytics_refresh()
        shown = password_file.read_text().strip() if password_file.exists() else "(as you set it)"
        self.stdout.write(self.style.SUCCESS(f"Admin login: admin / {shown}"))
