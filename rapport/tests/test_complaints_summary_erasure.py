"""The complaints dashboard's summary after an erasure is what the live computation gives (it
holds aggregates only: nothing of the erased customer to redact)."""

from datetime import UTC, datetime, timedelta

import pytest

from rapport.complaints.models import DashboardSummary
from rapport.complaints.services import complaint_record
from rapport.complaints.summary import live_tables, present, summary_refresh
from rapport.privacy.services import customer_erase

pytestmark = pytest.mark.django_db


def test_the_summary_after_an_erasure_is_the_live_computation(
    make_customer, make_product, agent, manager
):
    from rapport.sales.services import order_create

    kettle = make_product(name="Kettle")
    ann, bob = make_customer(emails=["ann@example.com"]), make_customer(emails=["bob@example.com"])
    start = datetime.now(UTC) - timedelta(days=40)
    for who in (ann, bob):
        order_create(
            by=agent,
            customer_id=who.pk,
            lines=[{"product_id": kettle.pk, "quantity": 2, "unit_price": "10.00"}],
            ordered_at=start,
        )
        complaint_record(
            by=agent, customer_id=who.pk, channel="phone", category="product_quality",
            description="It leaks.", product_id=kettle.pk,
        )  # fmt: skip
    summary_refresh()
    before = present(DashboardSummary.objects.get().tables)
    customer_erase(by=manager, customer=bob.pk, reason="asked by the customer")
    summary_refresh()
    after = present(DashboardSummary.objects.get().tables)
    assert after == live_tables()
    # the complaint is redacted, not deleted: it still counts
    assert after["figures"].complaints == before["figures"].complaints == 2
