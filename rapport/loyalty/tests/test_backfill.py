"""The set-based points backfill writes what earning order by order would, once."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from rapport.loyalty import services
from rapport.loyalty.backfill import points_backfill
from rapport.loyalty.models import PointsEntry, PointsRule


@pytest.fixture
def shop(make_customer, make_product, manager):
    """Orders of every status over products with a product rule, a category rule and none,
    with amounts whose exact sum is a whole number (0.70 + 0.20 + 0.10)."""
    from rapport.sales.services import order_create

    plain = make_product(price="10.00")
    ruled = make_product(price="10.00")
    tea = make_product(price="10.00", category="tea")
    other_tea = make_product(price="10.00", category="tea")
    PointsRule.objects.create(product=ruled, points_per_unit=Decimal("2.500"))
    PointsRule.objects.create(category="tea", points_per_unit=Decimal("0.333"))
    # A product rule beats its category's rule.
    PointsRule.objects.create(product=other_tea, points_per_unit=Decimal("3.000"))
    a, b = make_customer(), make_customer(family_name="李")

    def order(customer, status, lines, at=None):
        return order_create(
            by=manager,
            customer_id=customer.pk,
            status=status,
            ordered_at=at,
            lines=[
                {"product_id": p.pk, "quantity": q, "unit_price": price} for p, q, price in lines
            ],
        )

    orders = [
        order(a, "paid", [(plain, 1, "123.90"), (ruled, 2, "10.01")]),
        order(a, "delivered", [(tea, 3, "7.77"), (other_tea, 1, "1.10")]),
        order(b, "paid", [(plain, 1, "0.70"), (plain, 1, "0.20"), (plain, 1, "0.10")]),
        order(b, "placed", [(plain, 1, "50.00")]),
        order(b, "cancelled", [(plain, 1, "50.00")]),
        order(b, "paid", [(tea, 1, "1.00")]),  # 0.333 points: none
        # 23:30 UTC is the next day in Shanghai: the expiry counts from the local day.
        order(a, "paid", [(plain, 1, "5.00")], at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC)),
    ]
    return orders, (a, b)


def _ledger():
    return {
        e.order_id: (e.customer_id, e.kind, e.points, e.reason, e.expires_on, e.once_key)
        for e in PointsEntry.objects.all()
    }


@pytest.mark.django_db
def test_backfill_writes_what_earning_order_by_order_writes(shop, manager):
    orders, _people = shop
    for o in orders:
        services.points_earn_for_order(order_id=o.pk, by=manager)
    expected = _ledger()
    assert len(expected) == 4  # placed, cancelled and 0-point orders earn nothing
    PointsEntry.objects.all().delete()

    result = points_backfill(by=manager, chunk_orders=2)  # several ranges, one cut inside
    assert result.entries == 4
    assert _ledger() == expected
    assert {e.user_name for e in PointsEntry.objects.all()} == {manager.get_username()}


@pytest.mark.django_db
def test_backfill_twice_or_beside_the_sync_writes_nothing_twice(shop, manager):
    orders, (a, b) = shop
    services.points_earn_for_order(order_id=orders[0].pk, by=manager)
    assert points_backfill(by=manager).entries == 3  # the order already earned is skipped
    assert points_backfill(by=manager).entries == 0
    assert services.points_sync(by=manager) == 0
    assert PointsEntry.objects.count() == 4
    # 123.90 + 2 × 10.01 × 2.5 = 173.95 → 173; 3 × 7.77 × 0.333 + 1.10 × 3 = 11.06 → 11; 5 → 5
    assert services.balance(a.pk) == 173 + 11 + 5
    assert services.balance(b.pk) == 1  # 0.70 + 0.20 + 0.10, not 0.999…
    assert PointsEntry.objects.aggregate(s=Sum("points"))["s"] == 190


@pytest.mark.django_db
def test_the_command_backfills(shop, capsys):
    call_command("loyalty", "backfill", "--chunk", "3")
    assert "Points earned on 4 orders" in capsys.readouterr().out
    assert PointsEntry.objects.count() == 4


@pytest.mark.django_db
def test_backfill_of_an_empty_shop_writes_nothing(manager):
    assert points_backfill(by=manager).entries == 0


@pytest.mark.django_db
def test_an_entry_the_range_check_cannot_see_is_still_not_written_twice(shop, manager):
    """The first run of a range inserts without ON CONFLICT when no entry names its orders; an
    entry keyed for one of them but not naming it (written meanwhile, say) makes the range
    fall back to the clause: the others are written, that one is not written twice."""
    orders, (a, _b) = shop
    PointsEntry.objects.create(
        customer=a, kind="earn", points=7, reason="by hand", once_key=f"earn:order:{orders[0].pk}"
    )
    assert points_backfill(by=manager).entries == 3
    assert PointsEntry.objects.filter(once_key=f"earn:order:{orders[0].pk}").count() == 1
    assert PointsEntry.objects.count() == 4


@pytest.mark.django_db
def test_a_run_after_new_orders_writes_only_theirs(shop, manager, make_product):
    """A second run skips the orders already earned and writes the entries of the orders paid
    since, the same as earning them order by order would."""
    from rapport.sales.models import Order
    from rapport.sales.services import order_create

    orders, (a, b) = shop
    assert points_backfill(by=manager, chunk_orders=3).entries == 4
    before = _ledger()
    product = make_product(price="10.00")
    new = [
        order_create(
            by=manager,
            customer_id=customer.pk,
            status="paid",
            lines=[{"product_id": product.pk, "quantity": 2, "unit_price": "4.40"}],
        )
        for customer in (a, b)
    ]
    Order.objects.filter(pk=orders[3].pk).update(status="paid")  # placed, now paid
    assert points_backfill(by=manager, chunk_orders=3).entries == 3
    after = _ledger()
    assert {k: v for k, v in after.items() if k in before} == before
    backfilled = {k: after[k] for k in (new[0].pk, new[1].pk, orders[3].pk)}
    PointsEntry.objects.filter(order_id__in=list(backfilled)).delete()
    for pk in backfilled:
        services.points_earn_for_order(order_id=pk, by=manager)
    assert {k: _ledger()[k] for k in backfilled} == backfilled
    assert backfilled[new[0].pk][2] == 8  # 2 × 4.40
