"""`rapport surveys_summary`: write the satisfaction dashboard's roll-up again from the answers
(after answers were loaded around the services, e.g. by a bulk load into the database)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Rebuild the satisfaction dashboard's roll-up from the survey answers."

    def handle(self, *args, **options) -> None:
        from rapport.surveys.summary import summary_rebuild

        rows = summary_rebuild()
        self.stdout.write(f"{rows} summary rows")
