"""Routine maintenance written by the database gives the dates of `schedule.due_dates`: month
ends, 29 February, purchases late at night (the order's local day counts), every interval."""

from datetime import UTC, date, datetime, timedelta

import pytest

from rapport.service import services
from rapport.service.models import Visit
from rapport.service.schedule import due_dates

PURCHASES = [
    datetime(2023, 1, 31, 2, 0, tzinfo=UTC),
    datetime(2023, 8, 31, 15, 59, tzinfo=UTC),  # 23:59 in Shanghai: still the 31st
    datetime(2023, 8, 31, 16, 1, tzinfo=UTC),  # 00:01 on 1 September in Shanghai
    datetime(2023, 12, 31, 3, 0, tzinfo=UTC),
    datetime(2024, 2, 29, 4, 0, tzinfo=UTC),
    datetime(2024, 3, 30, 4, 0, tzinfo=UTC),
    datetime(2024, 11, 30, 4, 0, tzinfo=UTC),
    datetime(2025, 5, 15, 4, 0, tzinfo=UTC),
]


@pytest.mark.parametrize(
    ("today", "horizon"),
    [
        (date(2025, 2, 1), 30),
        (date(2024, 12, 20), 75),
        (date(2025, 1, 1), 365),
        (date(2028, 2, 27), 5),
    ],
)
def test_visits_are_the_schedules_dates(make_customer, make_product, manager, today, horizon):
    from rapport.sales.services import order_create

    customer = make_customer()
    products = {}
    for months in (1, 3, 6, 12, 24):
        product = make_product(name=f"Every {months}")
        services.interval_set(by=manager, product_id=product.pk, months=months)
        products[product.pk] = months
    lines = []
    for at in PURCHASES:
        for status in ("delivered", "cancelled"):
            order = order_create(
                by=manager,
                customer_id=customer.pk,
                ordered_at=at,
                currency="CNY",
                status=status,
                lines=[{"product_id": pk, "quantity": 1} for pk in products],
            )
            if status == "delivered":
                local_day = at.astimezone(_zone()).date()
                lines += [(line.pk, line.product_id, local_day) for line in order.lines.all()]
    end = today + timedelta(days=horizon)
    expected = {
        (f"{pk}:{due.isoformat()}", product, due)
        for pk, product, bought in lines
        for due in due_dates(bought, products[product], today, end)
    }
    assert expected  # the cases do fall in the windows

    created = services.maintenance_generate(by=manager, today=today, horizon_days=horizon)

    found = set(Visit.objects.values_list("routine_key", "product_id", "due_on"))
    assert found == expected
    assert created == len(expected)
    assert {v.state for v in Visit.objects.all()} == {"due"}
    assert services.maintenance_generate(by=manager, today=today, horizon_days=horizon) == 0


def _zone():
    from django.utils import timezone

    return timezone.get_current_timezone()
