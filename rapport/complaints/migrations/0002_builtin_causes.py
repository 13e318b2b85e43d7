from django.db import migrations

BUILTIN = {
    "material_defect": "product_quality",
    "assembly_error": "product_quality",
    "wrong_item_shipped": "sales_contract",
    "late_delivery": "sales_contract",
    "billing_error": "sales_contract",
    "poor_packing": "transport",
    "carrier_handling": "transport",
    "staff_attitude": "service",
    "staff_training": "service",
    "misunderstanding": "",
}


def add(apps, schema_editor):
    Cause = apps.get_model("complaints", "Cause")
    for code, category in BUILTIN.items():
        # name == code: the page shows the built-in, translated name
        Cause.objects.get_or_create(code=code, defaults={"name": code, "category": category})


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
