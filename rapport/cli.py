"""The `rapport` console command: Django's management commands under one name."""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    from django.core.management import execute_from_command_line

    argv = list(argv if argv is not None else sys.argv)
    argv[0] = "rapport"
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
