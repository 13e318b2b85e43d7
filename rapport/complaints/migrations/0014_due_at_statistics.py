"""PostgreSQL: a finer histogram of complaints' deadlines (1,000 buckets instead of 100). Open
complaints' deadlines sit in the last few buckets of a column that spans years of closed ones;
with the coarse histogram the planner took a keyset page deep in a state's queue for a handful of
rows and sorted every remaining row of the state (300 ms at 1,000,000 complaints) instead of
reading the (state, due_at, id) index in order (15-30 ms)."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE complaints_complaint ALTER COLUMN due_at SET STATISTICS 1000"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE complaints_complaint ALTER COLUMN due_at SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0013_event_complaint_index")]

    operations = [migrations.RunPython(forwards, backwards)]
