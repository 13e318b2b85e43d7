from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.core.models import ObjectChange
from rapport.sales.models import Order
from rapport.sales.selectors import customer_key_figures
from rapport.sales.services import order_create, price_lines, product_create, return_create

pytestmark = pytest.mark.django_db


def test_order_total_and_cost_are_summed_from_the_lines(make_customer, make_product, agent):
    c = make_customer()
    tea = make_product(price="35.50", unit_cost="20.00")
    pot = make_product(price="120.00", unit_cost="70.00")
    order = order_create(
        by=agent,
        customer_id=c.pk,
        promotion_code="SPRING",
        lines=[
            {"product_id": tea.pk, "quantity": "3"},
            {"product_id": pot.pk, "quantity": 1, "unit_price": "110.00", "discount": "10.00"},
        ],
    )
    assert order.total == Decimal("3") * Decimal("35.50") + Decimal("100.00")
    assert order.cost == Decimal("130.00")
    assert order.lines.count() == 2 and order.promotion_code == "SPRING"
    assert ObjectChange.objects.filter(
        customer_id=c.pk, object_id=order.pk, action="create"
    ).exists()


def test_bad_lines_are_refused_and_nothing_is_written(make_customer, make_product, agent):
    c = make_customer()
    p = make_product()
    for lines in (
        [],
        [{"product_id": 999999, "quantity": 1}],
        [{"product_id": p.pk, "quantity": 0}],
        [{"product_id": p.pk, "quantity": 1, "discount": "1000"}],
    ):
        with pytest.raises(ValidationError):
            order_create(by=agent, customer_id=c.pk, lines=lines)
    assert not Order.objects.exists()


def test_key_figures(make_customer, make_product, agent):
    c = make_customer()
    p = make_product(price="100.00")
    assert customer_key_figures(customer_id=c.pk).orders == 0
    order_create(by=agent, customer_id=c.pk, lines=[{"product_id": p.pk, "quantity": 1}])
    order_create(by=agent, customer_id=c.pk, lines=[{"product_id": p.pk, "quantity": 2}])
    order_create(
        by=agent, customer_id=c.pk, status="cancelled", lines=[{"product_id": p.pk, "quantity": 5}]
    )
    figures = customer_key_figures(customer_id=c.pk)
    assert figures.orders == 2 and figures.total_spent == Decimal("300.00")
    assert figures.average_order_value == Decimal("150.00")
    assert figures.first_purchase <= figures.last_purchase


def test_returns_cannot_exceed_what_was_bought(make_customer, make_product, agent):
    c = make_customer()
    p = make_product(price="10.00")
    order = order_create(by=agent, customer_id=c.pk, lines=[{"product_id": p.pk, "quantity": 3}])
    line = order.lines.get()
    ret = return_create(by=agent, order_line_id=line.pk, quantity=2, reason="broken")
    assert ret.refund_amount == Decimal("20.00")
    with pytest.raises(ValidationError):
        return_create(by=agent, order_line_id=line.pk, quantity=2)


def test_duplicate_sku_is_refused(agent):
    product_create(by=agent, sku="A-1", name="A", price="1")
    with pytest.raises(ValidationError) as exc:
        product_create(by=agent, sku="A-1", name="B", price="2")
    assert "sku" in exc.value.message_dict


@settings(max_examples=50, deadline=None)
@given(
    qty=st.decimals(min_value="0.001", max_value="1000", places=3),
    price=st.decimals(min_value="0", max_value="100000", places=2),
    discount=st.decimals(min_value="0", max_value="100000", places=2),
)
def test_line_arithmetic(qty, price, discount):
    from rapport.sales.models import Product

    product = Product(pk=1, sku="X", name="X", price=Decimal("1.00"), unit_cost=Decimal("0.50"))
    try:
        [line] = price_lines(
            [{"product_id": 1, "quantity": qty, "unit_price": price, "discount": discount}],
            {1: product},
        )
    except ValidationError:
        assert qty * price - discount < 0
        return
    assert line.line_total == (qty * price - discount).quantize(Decimal("0.01"))
    assert line.line_total >= 0
