"""``rapport analytics clv ...``: a thin wrapper around :func:`rapport.analytics.engine.cli.run_clv_cli`."""

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError

from rapport.analytics.engine.cli import run_clv_cli


class Command(BaseCommand):
    help = (
        "Customer analytics. `analytics clv --csv FILE --customer COL --date COL --amount COL "
        "--calibration-end YYYY-MM-DD [...]` fits BG/NBD, Pareto/NBD and Gamma-Gamma and scores CLV."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        # why: the engine's own parser owns the syntax; Django only forwards the raw words
        parser.add_argument("args", nargs=argparse.REMAINDER)

    def run_from_argv(self, argv: list[str]) -> None:
        # argv = [program, "analytics", *args]: skip Django's parser entirely
        code = run_clv_cli(argv[2:])
        if code:
            sys.exit(code)

    def handle(self, *args: str, **options: object) -> None:
        # reached through call_command("analytics", "clv", "--csv", ...)
        code = run_clv_cli(list(args), stdout=self.stdout, stderr=self.stderr)
        if code:
            raise CommandError(f"analytics exited with status {code}", returncode=code)
