"""The roll-up's day grain (attribute × department per local day, the day in the month column):
written once from the answers here, then kept with every answer stored, changed or gone. No
change to the table."""

from django.db import migrations


def write_days(apps, schema_editor):
    from rapport.surveys.summary import DAY_GRAIN, summary_rebuild

    summary_rebuild(grains=(DAY_GRAIN,))


def drop_days(apps, schema_editor):
    from rapport.surveys.summary import DAY_GRAIN

    schema_editor.execute("DELETE FROM surveys_answersummary WHERE grain = %s", [DAY_GRAIN])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0004_answer_cells_index")]

    operations = [migrations.RunPython(write_days, drop_days)]
