"""What the refresh says about a customer's outlook: no one-time buyer certainly active, no
expected spend for people who never paid, CLV as revenue or margin, currencies converted or
refused, trust that only refunds can shake (issue 9, items 1–4 and 9)."""
# ruff: noqa: F811 - fixtures come from factories.py, imported by name

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rapport.analytics import services
from rapport.analytics.models import CustomerScore, ModelFit
from rapport.analytics.tests import factories as f
from rapport.analytics.tests.factories import analytics_roles, project_test_settings  # noqa: F401
from rapport.sales.models import ExchangeRate, Order

pytestmark = pytest.mark.django_db
AS_OF = date(2024, 12, 31)


@pytest.fixture
def history():
    people, items = f.random_history(120, start=date(2022, 1, 1), end=AS_OF, seed=21)
    return people, items


def test_nobody_without_a_repeat_purchase_is_certainly_active(history):
    fit = services.analytics_refresh(as_of=AS_OF)
    assert fit.scored_by in ("pareto_nbd", "mbgnbd") and fit.selection["reason"]
    once = CustomerScore.objects.filter(frequency=0)
    assert once.count() > 10
    assert not once.filter(p_alive__gte=0.999).exists()
    idle = once.filter(recency_days__gt=365)
    recent = once.filter(recency_days__lt=60)
    if idle.exists() and recent.exists():  # the longer ago, the less likely still buying
        assert max(s.p_alive for s in idle) < min(s.p_alive for s in recent)
    assert fit.bgnbd["params"] and fit.mbgnbd["params"] and fit.pareto_nbd["params"]


def test_customers_who_never_paid_expect_no_spend(history, make_product):
    tea = make_product(price="30.00")
    free, once = f.customers(2)
    for k in range(3):  # three free orders
        f.order(free, date(2024, 3, 1) + timedelta(days=40 * k), [(tea, 1)], price=Decimal("0"))
    f.order(once, date(2024, 10, 1), [(tea, 2)])
    services.analytics_refresh(as_of=AS_OF)
    s = CustomerScore.objects.get(pk=free.pk)
    assert (s.value_basis, s.expected_avg_value, s.clv) == (
        "none",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    s = CustomerScore.objects.get(pk=once.pk)
    others = CustomerScore.objects.filter(frequency=0, value_basis="population")
    assert s.value_basis == "population" and others.count() > 1
    assert {o.expected_avg_value for o in others} == {s.expected_avg_value}  # one population figure


def test_clv_as_gross_margin(history):
    revenue = services.analytics_refresh(as_of=AS_OF)
    by_revenue = {s.pk: s.clv for s in CustomerScore.objects.all()}
    margin = services.analytics_refresh(as_of=AS_OF, clv_basis="margin")
    assert (revenue.clv_basis, margin.clv_basis) == ("revenue", "margin")
    for s in CustomerScore.objects.filter(revenue__gt=0)[:40]:
        share = min(
            max((s.revenue - s.gross_margin * 0 - (s.revenue - s.gross_margin)) / s.revenue, 0), 1
        )
        assert float(s.clv) == pytest.approx(float(by_revenue[s.pk]) * float(share), abs=0.02)
    out = StringIO()
    call_command(
        "analytics_refresh", "--as-of", AS_OF.isoformat(), "--clv-basis", "margin", stdout=out
    )
    assert ModelFit.objects.latest().clv_basis == "margin"


def test_orders_in_another_currency_are_converted_or_refused(history, make_product, manager):
    from rapport.sales.services import exchange_rate_set

    tea = make_product(price="100000.00")
    (buyer,) = f.customers(1)
    for day in (date(2024, 5, 2), date(2024, 9, 9)):
        o = f.order(buyer, day, [(tea, 1)])
        Order.objects.filter(pk=o.pk).update(currency="USD")
    with pytest.raises(services.CurrencyError, match="USD"):
        services.analytics_refresh(as_of=AS_OF)
    with pytest.raises(CommandError, match="no exchange rate"):
        call_command("analytics_refresh", "--as-of", AS_OF.isoformat(), stdout=StringIO())
    exchange_rate_set(
        by=manager, day="2024-06-01", from_currency="USD", to_currency="CNY", rate="7.1"
    )
    with pytest.raises(services.CurrencyError, match="2024-05-02"):  # the May order has no rate yet
        services.analytics_refresh(as_of=AS_OF)
    exchange_rate_set(
        by=manager, day="2024-01-01", from_currency="CNY", to_currency="USD", rate="0.125"
    )
    for strategy in ("polars", "sql"):
        services.analytics_refresh(as_of=AS_OF, strategy=strategy)
        s = CustomerScore.objects.get(pk=buyer.pk)
        # May at 1/0.125 = 8 (the inverse rate), September at 7.1: 1,510,000 CNY, never 200,000
        assert s.revenue == Decimal("1510000.00"), strategy
    assert ExchangeRate.objects.count() == 2


def test_rewards_do_not_make_a_loyal_customer_dissatisfied(make_product, monkeypatch):
    import polars as pl

    tea = make_product(price="50.00", unit_cost="20.00")
    rewarded, refunded = f.customers(2, customer_since=date(2024, 1, 1))
    for c in (rewarded, refunded):
        for k in range(3):
            f.order(c, date(2024, 3, 1) + timedelta(days=60 * k), [(tea, 1)])
    f.refund(Order.objects.filter(customer=refunded).first(), Decimal("50.00"))

    def rewards(end):  # a loyalty programme's cost to serve, not a complaint
        return pl.DataFrame(
            {"customer_id": [rewarded.pk], "month": [date(2024, 6, 1)], "amount": [80.0]}
        )

    monkeypatch.setitem(services.COST_TO_SERVE_SOURCES, "loyalty_rewards", rewards)
    services.analytics_refresh(as_of=AS_OF, holdout_weeks=4)
    assert CustomerScore.objects.get(pk=rewarded.pk).trust_level == "emotional"
    assert CustomerScore.objects.get(pk=rewarded.pk).cost_to_serve == Decimal("80.00")
    assert CustomerScore.objects.get(pk=refunded.pk).trust_level == "cognitive"
