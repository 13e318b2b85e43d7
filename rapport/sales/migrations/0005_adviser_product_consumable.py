from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_exchange_rate")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="consumable",
            field=models.BooleanField(
                db_default=False, default=False, verbose_name="consumable (bought again)"
            ),
        ),
    ]
