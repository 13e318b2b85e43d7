from django.db import migrations

BUILTIN = ("customer_service", "logistics", "quality", "sales")
HOURS = {
    **{day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "sat": [],
    "sun": [],
}


def create(apps, schema_editor):
    Department = apps.get_model("staff", "Department")
    for code in BUILTIN:
        Department.objects.get_or_create(code=code, defaults={"working_hours": HOURS})


class Migration(migrations.Migration):
    dependencies = [("staff", "0002_departments")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
