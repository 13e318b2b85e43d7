"""The sales API: products with versions, orders with lines and filters, returns, key figures."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rapport.api.tests.helpers import API, count_queries, token_client
from rapport.customers.services import organisation_create
from rapport.sales.models import Order, Product, Return
from rapport.sales.services import order_create, product_update

pytestmark = pytest.mark.django_db

PRODUCTS, ORDERS, RETURNS = f"{API}/products", f"{API}/orders", f"{API}/returns"


def walk(client, url: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        body = client.get(url, {**params, **({"cursor": cursor} if cursor else {})}).json()
        items += body["items"]
        if not (cursor := body["next_cursor"]):
            return items


# Products -------------------------------------------------------------------------------------


def test_product_create_read_update(make_user):
    manager = token_client(make_user("manager"))
    response = manager.post(
        PRODUCTS,
        {
            "sku": "TEA-01",
            "name": "Longjing tea 250 g",
            "price": "88.5",
            "unit_cost": 40,
            "category": "tea",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    p = Product.objects.get()
    assert body["id"] == p.pk and body["price"] == "88.50" and body["version"] == 1
    assert manager.get(f"{PRODUCTS}/{p.pk}").json()["name"] == "Longjing tea 250 g"

    response = manager.patch(
        f"{PRODUCTS}/{p.pk}", {"version": 1, "price": "92.00"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["price"] == "92.00"
    assert response.json()["version"] == 2 and response.json()["name"] == "Longjing tea 250 g"
    # A second editor who read version 1 gets a conflict.
    response = manager.patch(
        f"{PRODUCTS}/{p.pk}", {"version": 1, "price": "1.00"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["current_version"] == 2
    p.refresh_from_db()
    assert p.price == Decimal("92.00")


def test_product_validation_and_permissions(make_user, make_product):
    make_product(sku="DUP-1")
    manager = token_client(make_user("manager"))
    response = manager.post(
        PRODUCTS, {"sku": "DUP-1", "name": "Again", "price": "1"}, content_type="application/json"
    )
    assert response.status_code == 400 and "sku" in response.json()["errors"]
    response = manager.post(
        PRODUCTS, {"sku": "NEG", "name": "Negative", "price": "-1"}, content_type="application/json"
    )
    assert response.status_code == 400 and "price" in response.json()["errors"]
    agent = token_client(make_user("agent"))
    assert agent.get(PRODUCTS).status_code == 200
    response = agent.post(
        PRODUCTS, {"sku": "X", "name": "X", "price": "1"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert token_client(make_user(None)).get(PRODUCTS).status_code == 403
    assert Product.objects.count() == 1


def test_product_list_filters_and_pages(make_user, make_product):
    for i in range(12):
        p = make_product(
            sku=f"SKU-{i:02d}",
            name=f"Green tea {i}" if i % 2 else f"Cup {i}",
            category="tea" if i % 2 else "ware",
        )
        if i == 3:
            product_update(product_id=p.pk, by=None, expected_version=None, active=False)
    client = token_client(make_user("analyst"))
    items = walk(client, PRODUCTS, limit=5)
    assert [i["sku"] for i in items] == [f"SKU-{i:02d}" for i in range(12)]
    assert {i["sku"] for i in walk(client, PRODUCTS, q="green")} == {
        f"SKU-{i:02d}" for i in range(1, 12, 2)
    }
    assert [i["sku"] for i in walk(client, PRODUCTS, q="sku-1")] == ["SKU-10", "SKU-11"]
    assert len(walk(client, PRODUCTS, category="ware")) == 6
    assert [i["sku"] for i in walk(client, PRODUCTS, active="false")] == ["SKU-03"]


# Orders ---------------------------------------------------------------------------------------


def test_order_create_with_lines(make_user, make_customer, make_product):
    agent = token_client(make_user("agent"))
    c = make_customer()
    org = organisation_create(by=None, name="Acme")
    tea, cup = (
        make_product(price="50.00", unit_cost="20.00"),
        make_product(price="10.00", unit_cost="4.00"),
    )
    response = agent.post(
        ORDERS,
        {
            "customer_id": c.pk,
            "organisation_id": org.pk,
            "promotion_code": "SPRING",
            "channel": "online",
            "lines": [
                {"product_id": tea.pk, "quantity": 2},
                {"product_id": cup.pk, "quantity": "3", "unit_price": "9.00", "discount": "2.00"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get()
    assert body["id"] == order.pk and body["number"] == order.number
    assert body["customer"] == {"id": c.pk, "number": c.number, "display_name": c.display_name}
    assert (body["total"], body["cost"], body["status"]) == ("125.00", "52.00", "paid")
    assert [(ln["sku"], ln["quantity"], ln["line_total"]) for ln in body["lines"]] == [
        (tea.sku, "2.000", "100.00"),
        (cup.sku, "3.000", "25.00"),
    ]
    assert agent.get(f"{ORDERS}/{order.pk}").json() == body


def test_order_errors(make_user, make_customer, make_product):
    agent = token_client(make_user("agent"))
    c, p = make_customer(), make_product()
    cases = [
        ({"customer_id": 999_999, "lines": [{"product_id": p.pk}]}, "customer_id"),
        (
            {"customer_id": c.pk, "organisation_id": 999_999, "lines": [{"product_id": p.pk}]},
            "organisation_id",
        ),
        ({"customer_id": c.pk, "lines": []}, "lines"),
        ({"customer_id": c.pk, "lines": [{"product_id": 999_999}]}, "lines"),
        ({"customer_id": c.pk, "lines": [{"product_id": p.pk, "quantity": 0}]}, "lines.0.quantity"),
        ({"customer_id": c.pk, "status": "lost", "lines": [{"product_id": p.pk}]}, "status"),
    ]
    for payload, field in cases:
        response = agent.post(ORDERS, payload, content_type="application/json")
        assert response.status_code == 400, payload
        assert field in response.json()["errors"], (payload, response.json())
    assert not Order.objects.exists()
    analyst = token_client(make_user("analyst"))
    response = analyst.post(
        ORDERS,
        {"customer_id": c.pk, "lines": [{"product_id": p.pk}]},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_order_filters(make_user, make_customer, make_product):
    staff = make_user("manager")
    a, b = make_customer(), make_customer()
    org = organisation_create(by=staff, name="Acme")
    p = make_product()
    now = timezone.localtime()
    day = now.replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=10)

    def order(customer, days=0, **kw):
        return order_create(
            by=staff,
            customer_id=customer.pk,
            ordered_at=day + timedelta(days=days),
            lines=[{"product_id": p.pk}],
            **kw,
        ).pk

    o1 = order(a, 0, promotion_code="SPRING")
    o2 = order(a, 1, status="cancelled")
    o3 = order(b, 2, organisation_id=org.pk)
    o4 = order(b, 3, promotion_code="SPRING", status="delivered")
    client = token_client(make_user("analyst"))

    def ids(**params):
        return [i["id"] for i in walk(client, ORDERS, limit=2, **params)]

    assert ids() == [o4, o3, o2, o1]
    assert ids(customer=a.pk) == [o2, o1]
    assert ids(organisation=org.pk) == [o3]
    assert ids(promotion_code="SPRING") == [o4, o1]
    assert ids(status="cancelled") == [o2]
    first = day.date()
    assert ids(
        ordered_from=(first + timedelta(days=1)).isoformat(),
        ordered_to=(first + timedelta(days=2)).isoformat(),
    ) == [o3, o2]
    assert ids(ordered_to=first.isoformat()) == [o1]
    assert client.get(ORDERS, {"status": "lost"}).status_code == 400


def test_order_list_query_count_does_not_grow(
    make_user, make_customer, make_product, django_assert_max_num_queries
):
    staff = make_user("manager")
    products = [make_product() for _ in range(3)]

    def orders(n):
        for _ in range(n):
            c = make_customer()
            order_create(
                by=staff,
                customer_id=c.pk,
                lines=[{"product_id": p.pk, "quantity": 2} for p in products],
            )

    client = token_client(make_user("analyst"))
    orders(5)
    client.get(ORDERS)
    small, body = count_queries(client, ORDERS)
    assert len(body["items"]) == 5
    orders(25)
    large, body = count_queries(client, ORDERS)
    assert len(body["items"]) == 30 and all(len(o["lines"]) == 3 for o in body["items"])
    assert small == large
    # token + permissions (2) + orders with customers + lines with products + returns
    with django_assert_max_num_queries(6):
        client.get(ORDERS)


# Returns and key figures ----------------------------------------------------------------------


def test_return_part_of_a_line(make_user, make_customer, make_product):
    staff = make_user("agent")
    client = token_client(staff)
    c = make_customer()
    order = order_create(
        by=staff,
        customer_id=c.pk,
        lines=[{"product_id": make_product(price="30").pk, "quantity": 4}],
    )
    line = order.lines.get()
    url = f"{ORDERS}/{order.pk}/returns"
    response = client.post(
        url,
        {"order_line_id": line.pk, "quantity": 1, "reason": "cracked"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["refund_amount"] == "30.00"
    response = client.post(
        url, {"order_line_id": line.pk, "quantity": 4}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["quantity"] == ["You can return at most 3.000."]
    other = order_create(by=staff, customer_id=c.pk, lines=[{"product_id": make_product().pk}])
    response = client.post(
        f"{ORDERS}/{other.pk}/returns",
        {"order_line_id": line.pk, "quantity": 1},
        content_type="application/json",
    )
    assert response.status_code == 400 and "order_line_id" in response.json()["errors"]
    assert (
        client.post(
            f"{ORDERS}/999999/returns",
            {"order_line_id": line.pk, "quantity": 1},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert Return.objects.count() == 1

    body = client.get(f"{ORDERS}/{order.pk}").json()
    assert [r["reason"] for r in body["lines"][0]["returns"]] == ["cracked"]
    assert [r["order_line_id"] for r in walk(client, RETURNS, customer=c.pk)] == [line.pk]
    assert walk(client, RETURNS, order=other.pk) == []
    department = token_client(make_user("department"))
    assert (
        department.post(
            url, {"order_line_id": line.pk, "quantity": 1}, content_type="application/json"
        ).status_code
        == 403
    )


def test_key_figures(make_user, make_customer, make_product):
    staff = make_user("agent")
    client = token_client(staff)
    c, p = make_customer(), make_product(price="99.90")
    empty = client.get(f"{API}/customers/{c.pk}/key-figures").json()
    assert empty == {
        "total_spent": "0.00",
        "orders": 0,
        "first_purchase": None,
        "last_purchase": None,
        "average_order_value": None,
    }
    first = timezone.make_aware(datetime(2024, 3, 1, 10, 0))
    order_create(by=staff, customer_id=c.pk, ordered_at=first, lines=[{"product_id": p.pk}])
    order_create(by=staff, customer_id=c.pk, lines=[{"product_id": p.pk, "quantity": 2}])
    body = client.get(f"{API}/customers/{c.pk}/key-figures").json()
    assert (body["total_spent"], body["orders"], body["average_order_value"]) == (
        "299.70",
        2,
        "149.85",
    )
    assert datetime.fromisoformat(body["first_purchase"]) == first
    assert client.get(f"{API}/customers/999999/key-figures").status_code == 404
