import pytest
from django.urls import reverse

from rapport.sales.models import Order

pytestmark = pytest.mark.django_db


def test_order_form_creates_an_order(agent_client, make_customer, make_product):
    c = make_customer()
    p = make_product(sku="TEA-1", price="35.00")
    response = agent_client.post(
        reverse("sales:order_create"),
        {
            "customer": c.number,
            "status": "paid",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-sku": "TEA-1",
            "lines-0-quantity": "2",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and order.total == 70 and order.customer == c
    assert p.sku in agent_client.get(order.get_absolute_url()).content.decode()


def test_unknown_sku_is_reported(agent_client, make_customer):
    c = make_customer()
    response = agent_client.post(
        reverse("sales:order_create"),
        {
            "customer": c.number,
            "status": "paid",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-sku": "NOPE",
            "lines-0-quantity": "1",
        },
    )
    assert response.status_code == 200 and "NOPE" in response.content.decode()
    assert not Order.objects.exists()


def test_department_staff_cannot_create_products(make_user, client):
    client.force_login(make_user("department"))
    assert client.get(reverse("sales:product_list")).status_code == 200
    assert client.get(reverse("sales:product_create")).status_code == 403


@pytest.mark.parametrize("n", [2, 10])
def test_order_list_query_count(
    agent_client, make_customer, make_product, n, django_assert_max_num_queries
):
    from rapport.sales.services import order_create

    p = make_product()
    for _ in range(n):
        order_create(
            by=None, customer_id=make_customer().pk, lines=[{"product_id": p.pk, "quantity": 1}]
        )
    with django_assert_max_num_queries(6):
        assert agent_client.get(reverse("sales:order_list")).status_code == 200
