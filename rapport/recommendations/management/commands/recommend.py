"""``rapport recommend evaluate ...``: the engine's offline evaluation on any transaction CSV."""

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError

from rapport.recommendations.engine.cli import run_recommend_cli


class Command(BaseCommand):
    help = (
        "Recommendations. `recommend evaluate --csv FILE --customer COL --date COL --product COL "
        "--split-date YYYY-MM-DD [--k 10]` prints the time-split evaluation as JSON."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("args", nargs=argparse.REMAINDER)

    def run_from_argv(self, argv: list[str]) -> None:
        code = run_recommend_cli(argv[2:])
        if code:
            sys.exit(code)

    def handle(self, *args: str, **options: object) -> None:
        code = run_recommend_cli(list(args), stdout=self.stdout, stderr=self.stderr)
        if code:
            raise CommandError(f"recommend exited with status {code}", returncode=code)
