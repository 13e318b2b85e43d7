"""Every stored recommendation's reason, checked against the orders themselves (with returns), for
each method: "bought with X by N customers" names a product the customer owns and exactly the
customers who own both; "customers like you" and "popular" count exactly the product's buyers; a
consumable is offered again only to its buyers; nothing else a customer owns is offered."""

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import override

from rapport.recommendations.models import Recommendation
from rapport.recommendations.selectors import reason_text
from rapport.recommendations.services import recommendations_refresh
from rapport.sales.models import OrderLine, Return
from rapport.sales.services import order_create, return_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(make_customer, make_product, manager):
    rng = random.Random(15)
    products = [make_product(name=f"P{i}") for i in range(8)]
    products[7].consumable = True
    products[7].save(update_fields=["consumable"])
    when = timezone.now() - dt.timedelta(days=60)
    # tastes: two groups of customers who buy from two groups of products, and a little noise
    groups = [products[:4], products[3:7]]
    for n in range(30):
        customer = make_customer(family_name="Test", given_name=str(n))
        taste = groups[n % 2]
        for o in range(rng.randint(1, 3)):
            chosen = rng.sample(taste, rng.randint(1, 3))
            if rng.random() < 0.3:
                chosen.append(products[7])
            order = order_create(
                by=manager,
                customer_id=customer.pk,
                ordered_at=when + dt.timedelta(days=o),
                lines=[{"product_id": p.pk, "quantity": 1} for p in chosen],
            )
            if rng.random() < 0.2:  # some return a whole line
                return_create(by=manager, order_line_id=order.lines.first().pk, quantity=1)
    return products


def _owned() -> dict[int, set[int]]:
    """customer → products they bought and did not return in full."""
    net: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for customer, product, qty in OrderLine.objects.values_list(
        "order__customer_id", "product_id", "quantity"
    ):
        net[customer, product] += qty
    returned = Return.objects.values(
        "order_line__order__customer_id", "order_line__product_id"
    ).annotate(q=Sum("quantity"))
    for r in returned:
        net[r["order_line__order__customer_id"], r["order_line__product_id"]] -= r["q"]
    owned: dict[int, set[int]] = defaultdict(set)
    for (customer, product), qty in net.items():
        if qty > 0:
            owned[customer].add(product)
    return owned


@pytest.mark.parametrize("method", ["item_to_item", "als", "popularity"])
def test_every_reason_matches_the_orders(orders, method):
    recommendations_refresh(method=method, full=True)
    owned = _owned()
    buyers: dict[int, set[int]] = defaultdict(set)
    for customer, products in owned.items():
        for p in products:
            buyers[p].add(customer)
    recs = list(Recommendation.objects.select_related("product", "because_of"))
    assert len(recs) > 30
    seen_reasons = set()
    for rec in recs:
        mine = owned.get(rec.customer_id, set())
        seen_reasons.add(rec.reason)
        if rec.reason == "buy_again":
            assert rec.product.consumable and rec.product_id in mine
            continue
        assert rec.product_id not in mine, rec  # never what they own (not a consumable)
        if rec.reason == "bought_with":
            assert rec.because_of_id in mine, rec
            both = buyers[rec.product_id] & buyers[rec.because_of_id]
            assert rec.customers == len(both), rec
            with override("en"):
                assert reason_text(rec) == (
                    f"Bought with {rec.because_of.name} by {len(both)} customer"
                    + ("s" if len(both) != 1 else "")
                )
        else:
            assert rec.reason in ("similar_customers", "popular")
            assert rec.customers == len(buyers[rec.product_id]), rec
            with override("en"):
                assert str(len(buyers[rec.product_id])) in reason_text(rec)
    assert "buy_again" in seen_reasons
    if method == "item_to_item":
        assert "bought_with" in seen_reasons
