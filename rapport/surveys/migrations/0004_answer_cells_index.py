"""The answers of a period (the dashboard's partial months, the newest answers of its
importance grid) read from one index, never the table: on PostgreSQL the time is the key and
the rest INCLUDE columns; on SQLite, one composite index. It replaces the index on the time
alone (the time still leads)."""

from django.db import migrations, models

COLUMNS = (
    "response_id",
    "question_id",
    "survey_id",
    "attribute",
    "product_id",
    "department_id",
    "month",
    "kind",
    "measure",
    "value",
    "label",
    "expectation",
    "experience",
    "gap",
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        definition = f"(answered_at) INCLUDE ({', '.join(COLUMNS)})"
    else:
        definition = f"(answered_at, {', '.join(COLUMNS)})"
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS survey_answer_cells ON surveys_answer {definition}"
    )
    schema_editor.execute("DROP INDEX survey_answer_time_idx")


def undo(apps, schema_editor):
    schema_editor.execute("CREATE INDEX survey_answer_time_idx ON surveys_answer (answered_at)")
    schema_editor.execute("DROP INDEX survey_answer_cells")


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_answer_summary")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="answer", name="survey_answer_time_idx"),
                migrations.AddIndex(
                    model_name="answer",
                    index=models.Index(
                        fields=[
                            "answered_at",
                            "response",
                            "question",
                            "survey",
                            "attribute",
                            "product",
                            "department_id",
                            "month",
                            "kind",
                            "measure",
                            "value",
                            "label",
                            "expectation",
                            "experience",
                            "gap",
                        ],
                        name="survey_answer_cells",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create, undo)],
        )
    ]
