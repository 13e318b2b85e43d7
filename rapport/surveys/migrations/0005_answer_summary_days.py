"""The roll-up's day grain (attribute × department per local day, the day in the month column):
written once from the answers here, then kept with every answer stored, changed or gone. On
PostgreSQL the table is then rewritten in key order, with room on each page for the rows'
updates (fillfactor 90: an updated count stays on its page): the dashboard reads a grain's months
from a few pages, not a page per row (at 2,000,000 answers: 768 pages instead of 28,940 for the
product table of 90 days)."""

from django.db import migrations


def write_days(apps, schema_editor):
    from rapport.surveys.summary import DAY_GRAIN, summary_rebuild

    summary_rebuild(grains=(DAY_GRAIN,))
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE surveys_answersummary SET (fillfactor = 90)")
        schema_editor.execute("CLUSTER surveys_answersummary USING survey_summary_key")
        schema_editor.execute("ANALYZE surveys_answersummary")


def drop_days(apps, schema_editor):
    from rapport.surveys.summary import DAY_GRAIN

    schema_editor.execute("DELETE FROM surveys_answersummary WHERE grain = %s", [DAY_GRAIN])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE surveys_answersummary RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("surveys", "0004_answer_cells_index")]

    operations = [migrations.RunPython(write_days, drop_days)]
