"""Coupons: validity, product restriction, once per customer, single-use under concurrency."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection

from rapport.core.exceptions import ValidationError
from rapport.outreach import services
from rapport.outreach.models import CouponRedemption


@pytest.fixture
def order_for(make_product, manager):
    from rapport.sales.services import order_create

    product = make_product()

    def make(customer, *, product_id=None, **kw):
        return order_create(
            by=manager,
            customer_id=customer.pk,
            lines=[{"product_id": product_id or product.pk, "quantity": 1}],
            **kw,
        )

    make.product = product
    return make


@pytest.mark.django_db
def test_validity_product_and_once_per_customer(make_customer, make_product, order_for, manager):
    c = make_customer()
    other = make_product()
    services.coupon_create(
        by=manager, code="spring-10", name="Spring", percent=10, product_id=other.pk
    )
    with pytest.raises(ValidationError) as exc:
        services.coupon_redeem(by=manager, code="SPRING-10", order_id=order_for(c).pk)
    assert "product" in str(exc.value)
    used = order_for(c, product_id=other.pk)
    services.coupon_redeem(by=manager, code="spring-10", order_id=used.pk)
    # The order names the code it used: the analytics' promotion analysis counts it.
    used.refresh_from_db()
    assert used.promotion_code == "SPRING-10"
    with pytest.raises(ValidationError) as exc:  # once per customer
        services.coupon_redeem(
            by=manager, code="spring-10", order_id=order_for(c, product_id=other.pk).pk
        )
    assert "already used" in str(exc.value)
    services.coupon_create(
        by=manager, code="OLD", name="Old", amount=5, valid_until=date.today() - timedelta(days=1)
    )
    with pytest.raises(ValidationError):
        services.coupon_redeem(by=manager, code="OLD", order_id=order_for(c).pk)
    with pytest.raises(ValidationError):
        services.coupon_create(by=manager, code="BOTH", name="x", amount=5, percent=5)


@pytest.mark.django_db
def test_a_shared_code_stops_at_its_limit(make_customer, order_for, manager):
    services.coupon_create(
        by=manager, code="FIRST2", name="First two", amount=20, max_redemptions=2
    )
    for i in range(2):
        services.coupon_redeem(by=manager, code="FIRST2", order_id=order_for(make_customer()).pk)
    with pytest.raises(ValidationError) as exc:
        services.coupon_redeem(by=manager, code="FIRST2", order_id=order_for(make_customer()).pk)
    assert "used up" in str(exc.value)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_of_a_single_use_code_one_succeeds(
    make_customer, order_for, manager
):
    services.coupon_create(by=manager, code="ONLY-ONE", name="One", amount=50, max_redemptions=1)
    orders = [order_for(make_customer()), order_for(make_customer())]
    barrier = threading.Barrier(2)
    results = []

    def redeem(order_id):
        try:
            barrier.wait()
            services.coupon_redeem(by=manager, code="ONLY-ONE", order_id=order_id)
            results.append("ok")
        except ValidationError:
            results.append("refused")
        except Exception as exc:  # SQLite: the loser may be told the database is busy
            results.append(f"error {type(exc).__name__}")
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(o.pk,)) for o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1
    assert CouponRedemption.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_redemption_rate_per_campaign(audience, campaign, order_for, manager, smtp_server):
    coupon = services.coupon_create(by=manager, code="BDAY", name="Birthday", percent=15)
    people = audience(4)
    c = campaign(coupon_id=coupon.pk)
    services.campaign_start(by=manager, campaign_id=c.pk)
    assert "BDAY" in smtp_server.to("c2@example.com")[0].get_content()
    services.coupon_redeem(by=manager, code="bday", order_id=order_for(people[0]).pk)
    (rate,) = services.redemption_rates()
    assert (rate["sent"], rate["redeemed_n"], rate["rate"]) == (4, 1, 0.25)
