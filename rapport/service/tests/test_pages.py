"""Service pages and API: shown, bounded in queries, refused without permission."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.service import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_customer, make_product, manager):
    customers = [make_customer() for _ in range(3)]
    for c in customers:
        r = services.request_open(by=manager, customer_id=c.pk, kind="repair", description="Fix")
        services.visit_schedule(
            by=manager,
            customer_id=c.pk,
            kind="repair",
            starts_at=timezone.now() + timedelta(hours=c.pk),
            technician_id=manager.pk,
            request_id=r.pk,
        )
        services.commitment_make(
            by=manager,
            customer_id=c.pk,
            text="Call back",
            owner_id=manager.pk,
            due_at=timezone.now() + timedelta(days=1),
        )
    return customers


def test_pages_show_and_stay_bounded(manager_client, world, django_assert_max_num_queries):
    for url in ("/service/", "/service/calendar/", "/service/promises/", "/service/notices/"):
        with django_assert_max_num_queries(15):
            response = manager_client.get(url)
        assert response.status_code == 200, url
    assert "Call back" in manager_client.get("/service/promises/").content.decode()


def test_customer_page_shows_promises_and_a_promise_can_be_recorded(manager_client, world):
    customer = world[0]
    html = manager_client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="service-panel"' in html and "Call back" in html
    response = manager_client.post(
        f"/service/customers/{customer.pk}/promises/",
        {"text": "Delivery by the 12th", "within_hours": "16"},
    )
    assert response.status_code == 302
    assert (
        "Delivery by the 12th" in manager_client.get(f"/customers/{customer.pk}/").content.decode()
    )


def test_analyst_reads_but_cannot_write(analyst_client, world):
    assert analyst_client.get("/service/promises/").status_code == 200
    assert (
        analyst_client.post(
            f"/service/customers/{world[0].pk}/promises/", {"text": "x"}
        ).status_code
        == 403
    )


def test_api_commitments_and_report(world, make_user):
    from rapport.api.tests.helpers import token_client

    client = token_client(make_user("manager", username="svcapi"))
    listed = client.get("/api/v1/service-commitments?state=open").json()
    assert len(listed["items"]) == 3 and listed["items"][0]["overdue"] is False
    report = client.get("/api/v1/service-commitments/report").json()
    assert report["by_owner"][0]["open"] == 3
    created = client.post(
        "/api/v1/service-commitments",
        {
            "customer_id": world[0].pk,
            "text": "Repaired within 48 hours",
            "within_working_hours": 48,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    detail = client.get(f"/api/v1/customers/{world[0].pk}").json()
    assert any(c["text"] == "Repaired within 48 hours" for c in detail["service_commitments"])
