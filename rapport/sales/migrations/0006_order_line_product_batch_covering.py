"""The lines of a product (and batch) with their orders, read from one index: a recall over
10,000,000 lines, or routine maintenance over a million owned lines, reads the index, never the
lines. PostgreSQL keeps the order and the line's id as INCLUDE columns (not keys); SQLite has the
order as the index's third column (and every SQLite index holds the row id)."""

from django.db import migrations, models

OLD = "orderline_product_batch_idx"
NEW = "orderline_product_batch_ord"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {NEW} ON sales_orderline (product_id, batch) INCLUDE (order_id, id)"
        )
    else:
        schema_editor.execute(
            f"CREATE INDEX {NEW} ON sales_orderline (product_id, batch, order_id)"
        )
    schema_editor.execute(f"DROP INDEX {OLD}")


def undo(apps, schema_editor):
    schema_editor.execute(f"CREATE INDEX {OLD} ON sales_orderline (product_id, batch)")
    schema_editor.execute(f"DROP INDEX {NEW}")


class Migration(migrations.Migration):
    dependencies = [("sales", "0005_adviser_product_consumable")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="orderline", name=OLD),
                migrations.AddIndex(
                    model_name="orderline",
                    index=models.Index(fields=["product", "batch", "order"], name=NEW),
                ),
            ],
            database_operations=[migrations.RunPython(create, undo)],
        )
    ]
