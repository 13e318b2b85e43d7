"""`rapport analytics_refresh`: recompute every customer's scores and the dashboards' reports."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from rapport.analytics.choices import ClvBasis
from rapport.analytics.services import HOLDOUT_WEEKS, STRATEGIES, CurrencyError, analytics_refresh
from rapport.analytics.tasks import refresh_scores


class Command(BaseCommand):
    help = (
        "Refresh the customer analytics (summary, BG/NBD + Gamma-Gamma + Pareto/NBD fits, scores, "
        "reports). Run it nightly from cron or a systemd timer; --enqueue hands it to the task worker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Last day of purchases to use (YYYY-MM-DD); default today.",
        )
        parser.add_argument("--horizon-weeks", type=int, default=52)
        parser.add_argument(
            "--discount-rate",
            type=float,
            default=0.10,
            help="Annual discount rate for CLV, e.g. 0.10.",
        )
        parser.add_argument("--holdout-weeks", type=int, default=HOLDOUT_WEEKS)
        parser.add_argument(
            "--strategy",
            choices=STRATEGIES,
            default="auto",
            help="Where the per-customer summary is computed (default: measured best).",
        )
        parser.add_argument(
            "--clv-basis",
            choices=ClvBasis.values,
            default=None,
            help="What lifetime value counts: revenue or gross margin "
            "(default: RAPPORT_ANALYTICS_CLV_BASIS, revenue).",
        )
        parser.add_argument(
            "--no-reports", action="store_true", help="Scores only, no dashboard reports."
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the refresh for the task worker instead of running it here.",
        )

    def handle(self, *args, **options):
        if options["horizon_weeks"] <= 0 or options["discount_rate"] <= -1:
            raise CommandError("--horizon-weeks must be positive and --discount-rate above -1.")
        if options["enqueue"]:
            result = refresh_scores.enqueue(
                horizon_weeks=options["horizon_weeks"], discount_rate=options["discount_rate"]
            )
            self.stdout.write(f"Queued analytics refresh {result.id}.")
            return
        try:
            fit = self._refresh(options)
        except CurrencyError as exc:
            raise CommandError(str(exc)) from None
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in fit.stages.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Scored {fit.customers} customers as of {fit.as_of} in {fit.duration_seconds:.1f} s ({stages})."
            )
        )

    def _refresh(self, options):
        return analytics_refresh(
            as_of=options["as_of"],
            horizon_weeks=options["horizon_weeks"],
            discount_rate=options["discount_rate"],
            strategy=options["strategy"],
            holdout_weeks=options["holdout_weeks"],
            reports=not options["no_reports"],
            clv_basis=options["clv_basis"],
        )
