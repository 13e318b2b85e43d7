"""`rapport recommendations_refresh`: evaluate, then recompute the stored recommendations."""

import json

from django.core.management.base import BaseCommand

from rapport.recommendations.services import evaluation_run, recommendations_refresh


class Command(BaseCommand):
    help = (
        "Evaluate the recommendation methods on a time split of the orders, then recompute the "
        "recommendations of the customers whose purchase history changed (--full: of everybody)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true")
        parser.add_argument("--k", type=int, default=10)

    def handle(self, *args, **options):
        evaluation = evaluation_run(k=options["k"])
        done = recommendations_refresh(
            full=options["full"], k=options["k"], method=evaluation.chosen
        )
        self.stdout.write(
            json.dumps(
                {
                    **done,
                    "chosen": evaluation.chosen,
                    "model": evaluation.model,
                    "popularity": evaluation.popularity,
                    "split_date": evaluation.split_date.isoformat(),
                }
            )
        )
