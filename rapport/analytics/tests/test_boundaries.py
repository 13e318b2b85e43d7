"""Analytics reads other apps' tables through the names those apps define (issue 8)."""

import re
from pathlib import Path

import pytest

from rapport.customers.models import Customer
from rapport.sales.choices import COUNTED_STATUSES, OrderStatus
from rapport.sales.models import Order, OrderLine, Product, Return

APP = Path(__file__).resolve().parents[1]


def sources():
    for path in APP.rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            yield path, path.read_text(encoding="utf-8")


def test_no_other_apps_table_names_or_status_literals():
    tables = [m._meta.db_table for m in (Order, OrderLine, Return, Product, Customer)]
    statuses = [f"'{s}'" for s in OrderStatus.values]
    found = [
        (path.name, word)
        for path, text in sources()
        for word in (*tables, *statuses)
        if re.search(rf"(?<![\w.]){re.escape(word)}(?!\w)", text)
    ]
    assert found == []


@pytest.mark.django_db
def test_counted_statuses_come_from_the_sales_app():
    from rapport.analytics.services.names import counted_statuses, sql_names

    assert counted_statuses() == [str(s) for s in COUNTED_STATUSES]
    names = sql_names()
    assert names.counted.count("%s") == len(COUNTED_STATUSES)
    assert Order._meta.db_table in names.order
