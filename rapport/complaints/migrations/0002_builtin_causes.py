from django.db import migrations

from rapport.complaints.builtin import ensure_causes


def add(apps, schema_editor):
    ensure_causes(apps.get_model("complaints", "Cause"))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
