"""Compile the .po catalogues to .mo with Babel, so no system gettext is needed."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


def locale_dirs() -> list[Path]:
    """The project's catalogue and those of apps that keep their own (rapport/<app>/locale)."""
    from django.apps import apps

    dirs = [Path(d) for d in settings.LOCALE_PATHS]
    for config in apps.get_app_configs():
        own = Path(config.path) / "locale"
        if config.name.startswith("rapport.") and own.is_dir() and own not in dirs:
            dirs.append(own)
    return dirs


class Command(BaseCommand):
    help = "Compile translation catalogues (.po -> .mo)."

    def handle(self, *args, **options):
        count = 0
        for locale_dir in locale_dirs():
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                with po_path.open("rb") as fh:
                    catalog = read_po(fh, locale=po_path.parts[-3])
                with mo_path.open("wb") as fh:
                    write_mo(fh, catalog, use_fuzzy=False)
                count += 1
        if options["verbosity"] > 1 or count:
            self.stdout.write(f"Compiled {count} catalogue(s).")
