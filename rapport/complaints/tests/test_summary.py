"""The dashboard summary: the tables the scheduled refresh keeps are exactly what the live
computation gives — after new complaints and orders and a customer merge (an erasure:
rapport/tests/test_complaints_summary_erasure.py) — and the page says when they were computed."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from rapport.complaints.models import DashboardSummary
from rapport.complaints.summary import live_tables, present, summary_refresh
from rapport.complaints.tasks import refresh_dashboard_summary

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _order(customer, product, quantity, when, agent):
    from rapport.sales.services import order_create

    return order_create(
        by=agent,
        customer_id=customer.pk,
        lines=[{"product_id": product.pk, "quantity": quantity, "unit_price": "10.00"}],
        ordered_at=when,
    )


def _stored() -> dict:
    summary = DashboardSummary.objects.get()
    summary.refresh_from_db()  # the JSON as the database gives it back
    return present(summary.tables)


@pytest.fixture
def shop(complaint_factory, make_customer, make_product, agent):
    kettle, lamp = make_product(name="Kettle"), make_product(name="Lamp")
    people = [make_customer(emails=[f"{n}@example.com"]) for n in "abcd"]
    ann, bob, cid, dan = people
    _order(ann, kettle, 1500, START - timedelta(days=30), agent)
    _order(dan, lamp, 10, START - timedelta(days=30), agent)
    _order(dan, lamp, 10, START - timedelta(days=20), agent)
    _order(cid, lamp, 1, START - timedelta(days=20), agent)
    now = datetime.now(UTC)
    for _ in range(3):  # three on the kettle this month: a common problem
        complaint_factory(customer=ann, product_id=kettle.pk, received_at=now)
    complaint_factory(customer=bob, product_id=lamp.pk, received_at=START)
    return {"kettle": kettle, "lamp": lamp, "people": people}


def test_the_summary_is_the_live_computation_after_each_change(
    shop, complaint_factory, make_customer, agent, manager
):
    from rapport.customers.services.merging import customer_merge

    ann, bob, cid, dan = shop["people"]
    summary_refresh()
    first = _stored()
    assert first == live_tables()
    assert [r["group"] for r in first["repurchase"]] == ["solved", "not_solved", "never"]
    assert first["common"][0]["product"] == shop["kettle"] and first["common"][0]["count"] == 3
    assert first["figures"].complaints == 4

    # New complaints and orders: the stored tables stay as computed until the next refresh.
    complaint_factory(customer=cid, product_id=shop["lamp"].pk, received_at=START)
    _order(bob, shop["lamp"], 5, START + timedelta(days=3), agent)
    assert _stored() == first
    assert live_tables() != first
    summary_refresh()
    assert DashboardSummary.objects.count() == 1
    assert _stored() == live_tables()
    assert _stored()["figures"].complaints == 5

    # A merge: Dan's orders and Cid's complaint on one customer.
    customer_merge(
        survivor_id=dan.pk, other_id=cid.pk, by=manager, survivor_version=None, other_version=None
    )
    summary_refresh()
    assert _stored() == live_tables()


def test_the_task_and_the_command_refresh_it(shop, capsys):
    result = refresh_dashboard_summary.enqueue().return_value
    assert result["seconds"] >= 0
    assert _stored() == live_tables()
    call_command("complaints", "summarize")
    assert "summary computed" in capsys.readouterr().out
    assert DashboardSummary.objects.count() == 1


def test_the_page_shows_the_summary_and_when_it_was_computed(shop, client, manager):
    client.force_login(manager)
    url = reverse("complaints:dashboard")
    page = client.get(url).content.decode()  # none yet: computed on the first visit
    assert 'id="summary-freshness"' in page
    assert DashboardSummary.objects.count() == 1
    DashboardSummary.objects.update(computed_at=datetime.now(UTC) - timedelta(hours=3))
    page = client.get(url).content.decode()
    assert "3\xa0hours ago" in page
    response = client.post(reverse("complaints:dashboard_refresh"), follow=True)
    assert response.status_code == 200
    assert "hours ago" not in response.content.decode()  # the task ran (at once, in tests)
