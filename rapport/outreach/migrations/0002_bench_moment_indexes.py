"""Indexes for the moments calendar at 1,000,000 customers (bench/RESULTS.md, issue 14).

The "this week" view asks for the customers whose birthday or customer-since date falls on one of
seven (month, day) pairs, and for the lunar birthdays by their exact birth dates; holidays are counted per country of the addresses. Without these
indexes each view scans the whole customer table. The month-and-day expression is
`rapport.outreach.moments.MonthDay` (month × 100 + day), written here in each database's own terms
exactly as the query writes it, so the database can match the two.
"""

from django.db import migrations

INDEXES = {
    "postgresql": [
        "CREATE INDEX IF NOT EXISTS outreach_birthday_md_idx ON customers_customer "
        "((EXTRACT(MONTH FROM birthday) * 100 + EXTRACT(DAY FROM birthday)))",
        "CREATE INDEX IF NOT EXISTS outreach_since_md_idx ON customers_customer "
        "((EXTRACT(MONTH FROM customer_since) * 100 + EXTRACT(DAY FROM customer_since)))",
        "CREATE INDEX IF NOT EXISTS outreach_birthday_idx ON customers_customer (birthday)",
        "CREATE INDEX IF NOT EXISTS outreach_address_country_idx ON customers_customeraddress "
        "(country, customer_id)",
    ],
    "sqlite": [
        "CREATE INDEX IF NOT EXISTS outreach_birthday_md_idx ON customers_customer "
        "((CAST(substr(birthday, 6, 2) AS INTEGER) * 100 + CAST(substr(birthday, 9, 2) AS INTEGER)))",
        "CREATE INDEX IF NOT EXISTS outreach_since_md_idx ON customers_customer "
        "((CAST(substr(customer_since, 6, 2) AS INTEGER) * 100 "
        "+ CAST(substr(customer_since, 9, 2) AS INTEGER)))",
        "CREATE INDEX IF NOT EXISTS outreach_birthday_idx ON customers_customer (birthday)",
        "CREATE INDEX IF NOT EXISTS outreach_address_country_idx ON customers_customeraddress "
        "(country, customer_id)",
    ],
}
NAMES = [
    "outreach_birthday_md_idx",
    "outreach_since_md_idx",
    "outreach_birthday_idx",
    "outreach_address_country_idx",
]


def create(apps, schema_editor):
    for sql in INDEXES.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in INDEXES:
        for name in NAMES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0001_initial"),
        ("customers", "0005_hweek_landline_and_since_order"),
    ]

    operations = [migrations.RunPython(create, drop)]
