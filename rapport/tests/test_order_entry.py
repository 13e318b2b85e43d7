"""Entering an order from the customer page: a "New order" button, the customer and the products
found by typing, cancelled orders marked on the timeline."""

import re

import pytest
from django.urls import reverse

from rapport.sales.models import Order

pytestmark = pytest.mark.django_db

LINES = {
    "lines-TOTAL_FORMS": "3",
    "lines-INITIAL_FORMS": "0",
    "lines-MIN_NUM_FORMS": "1",
    "lines-MAX_NUM_FORMS": "1000",
}


def test_customer_page_has_a_new_order_button_for_that_customer(agent_client, make_customer):
    c = make_customer(family_name="欧阳", given_name="娜")
    html = agent_client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    url = f"{reverse('sales:order_create')}?customer={c.number}"
    assert f'href="{url}"' in html
    form = agent_client.get(url).content.decode()
    assert "New order for 欧阳娜" in form and f'value="{c.number}"' in form


def test_no_new_order_button_without_the_permission(analyst_client, make_customer):
    c = make_customer()
    html = analyst_client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "new-order" not in html


def test_customers_and_products_are_suggested_while_typing(
    agent_client, make_customer, make_product, django_assert_max_num_queries
):
    c = make_customer(family_name="欧阳", given_name="娜", phones=["13800138000"])
    make_product(sku="TEA-LJ", name="Longjing green tea")
    make_product(sku="CUP-1", name="Tea cup", active=False)
    with django_assert_max_num_queries(6):
        options = agent_client.get(
            reverse("sales:order_customer_options"), {"customer": "娜"}
        ).content.decode()
    assert f'value="{c.number}"' in options and "欧阳娜" in options
    by_phone = agent_client.get(
        reverse("sales:order_customer_options"), {"customer": "138 0013 8000"}
    )
    assert c.number in by_phone.content.decode()
    with django_assert_max_num_queries(6):
        products = agent_client.get(
            reverse("sales:order_product_options"), {"lines-0-sku": "green"}
        ).content.decode()
    assert 'value="TEA-LJ"' in products and "Longjing" in products
    by_code = agent_client.get(reverse("sales:order_product_options"), {"lines-1-sku": "tea"})
    assert "TEA-LJ" in by_code.content.decode() and "CUP-1" not in by_code.content.decode()


def test_an_order_names_the_customer_and_product_as_typed(
    agent_client, make_customer, make_product
):
    c = make_customer(family_name="Nováková", given_name="Jana")
    make_product(sku="TEA-LJ", name="Longjing green tea", price="35.00")
    response = agent_client.post(
        reverse("sales:order_create"),
        {
            "customer": "Jana Nováková",
            "status": "paid",
            **LINES,
            "lines-0-sku": "longjing green tea",
            "lines-0-quantity": "2",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and order.customer == c and order.total == 70
    assert re.fullmatch(r"SO-\d{8}-\d{4}", order.number)  # short enough to read on the phone


def test_a_cancelled_order_is_marked_on_the_timeline(agent_client, make_customer, make_product):
    c = make_customer()
    make_product(sku="TEA-1")
    agent_client.post(
        reverse("sales:order_create"),
        {
            "customer": c.number,
            "status": "cancelled",
            **LINES,
            "lines-0-sku": "TEA-1",
            "lines-0-quantity": "1",
        },
    )
    order = Order.objects.get()
    html = agent_client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert f"Order {order.number} (cancelled)" in html
