"""The database cache's table (settings.CACHES: rate limits, counters): created by `migrate`, so a
deployment that only migrates does not answer every throttled request with an error.
`createcachetable` does nothing for a cache that is not database-backed, or whose table exists."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_objectchange_content_type_no_own_index")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
