"""The refresh: summary from the database (both strategies), fits, scores for every buyer, edge cases."""
# ruff: noqa: F811 - fixtures come from factories.py, imported by name

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from django.core.management import call_command

from rapport.analytics import engine, services
from rapport.analytics.choices import ReportKind, Segment
from rapport.analytics.models import CustomerScore, ModelFit, Report
from rapport.analytics.services.arrays import distinct, index_of
from rapport.analytics.services.history import read_history
from rapport.analytics.services.products import product_pairs
from rapport.analytics.services.summary import btyd_inputs, summary_polars, summary_sql
from rapport.analytics.tests import factories as f
from rapport.analytics.tests.factories import analytics_roles, project_test_settings  # noqa: F401
from rapport.sales.models import Order

AS_OF = date(2024, 12, 31)
CAL = AS_OF - timedelta(weeks=26)
pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    people, items = f.random_history(80, start=date(2022, 1, 1), end=AS_OF, seed=3)
    # returns on a few orders, and one customer who never bought
    for o in Order.objects.exclude(status="cancelled").order_by("id")[::25]:
        f.refund(o, (o.total / 2).quantize(Decimal("0.01")))
    return people, items, f.customers(1)[0]


def summarise(strategy: str, as_of: date) -> pl.DataFrame:
    if strategy == "sql":
        return summary_sql(as_of=as_of, calibration_end=CAL)
    history = read_history(as_of=as_of)
    return summary_polars(orders=history.orders, calibration_end=CAL)


def engine_summary(as_of: date) -> pl.DataFrame:
    """The engine's own summary from the same orders: totals on the local order day, refunds as
    negative amounts on the same day (the engine nets them into that day)."""
    tz = ZoneInfo("Asia/Shanghai")
    rows = []
    for o in Order.objects.exclude(status="cancelled").prefetch_related("lines__returns"):
        day = o.ordered_at.astimezone(tz).date()
        rows.append((o.customer_id, day, float(o.total)))
        refund = sum(float(r.refund_amount) for li in o.lines.all() for r in li.returns.all())
        if refund:
            rows.append((o.customer_id, day, -refund))
    frame = pl.DataFrame(
        rows, schema={"customer": pl.Int64, "date": pl.Date, "amount": pl.Float64}, orient="row"
    )
    return engine.rfm_summary(frame, as_of)


def test_refresh_scores_every_buyer(history):
    people, _, never = history
    fit = services.analytics_refresh(as_of=AS_OF)
    buyers = set(Order.objects.exclude(status="cancelled").values_list("customer_id", flat=True))
    scored = set(CustomerScore.objects.values_list("customer_id", flat=True))
    assert scored == buyers and never.pk not in scored
    assert fit.customers == len(buyers)
    assert set(fit.stages) == {"read", "summary", "fit", "score", "reports", "write"}
    for name, params in (
        ("bgnbd", ("r", "alpha", "a", "b")),
        ("gamma_gamma", ("p", "q", "gamma")),
        ("pareto_nbd", ("r", "alpha", "s", "beta")),
    ):
        result = getattr(fit, name)
        assert set(result["params"]) == set(params), name
        assert set(result["standard_errors"]) == set(params)
        assert result["log_likelihood"] < 0
    assert fit.holdout["bgnbd"]["chart"]["labels"][0] == "0"
    assert fit.holdout["calibration_end"] == CAL.isoformat()
    assert set(Report.objects.values_list("kind", flat=True)) == set(ReportKind.values)
    for s in CustomerScore.objects.all():
        assert 1 <= s.r_score <= 5 and 1 <= s.f_score <= 5 and 1 <= s.m_score <= 5
        assert s.segment in Segment.values
        assert 0 <= s.p_alive <= 1 and abs(s.churn_risk - (1 - s.p_alive)) < 1e-9
        assert s.clv >= 0 and s.expected_purchases >= 0
        assert s.net_contribution == s.gross_margin - s.cost_to_serve


def test_sql_summary_equals_engine_summary(history):
    expected = engine_summary(AS_OF).sort("customer")
    for strategy in ("sql", "polars"):
        summary = summarise(strategy, AS_OF)
        got = btyd_inputs(summary, as_of=AS_OF).sort("customer_id")
        assert got["customer_id"].to_list() == expected["customer"].to_list(), strategy
        for column in ("frequency", "recency", "T", "monetary"):
            diff = (got[column].cast(pl.Float64) - expected[column].cast(pl.Float64)).abs().max()
            assert diff < 1e-6, (strategy, column, diff)


def test_both_strategies_give_the_same_summary(history):
    sql, polars = summarise("sql", AS_OF), summarise("polars", AS_OF)
    assert sql.columns == polars.columns
    for column in sql.columns:
        if sql[column].dtype == pl.Float64:
            assert (sql[column] - polars[column]).abs().max() < 1e-6, column
        else:
            assert sql[column].to_list() == polars[column].to_list(), column


def test_edge_cases(make_product):
    tea = make_product(price="50.00", unit_cost="20.00", category="tea")
    cup = make_product(price="10.00", unit_cost="4.00", category="cups")
    once, same_day, zero, cancelled, returned, regular, unpaid = f.customers(
        7, customer_since=date(2024, 6, 1)
    )
    f.order(unpaid, date(2024, 4, 2), [(tea, 1)], status="placed")
    f.order(once, date(2024, 3, 1), [(tea, 1)])
    f.order(same_day, date(2024, 5, 1), [(tea, 1)], hour=9)
    f.order(same_day, date(2024, 5, 1), [(cup, 2)], hour=18)
    f.order(zero, date(2024, 2, 1), [(tea, 1)], price=Decimal("0"))
    f.order(zero, date(2024, 6, 1), [(tea, 1)], price=Decimal("0"))
    f.order(cancelled, date(2024, 4, 1), [(tea, 1)], status="cancelled")
    first = f.order(returned, date(2024, 1, 10), [(tea, 2)])
    f.order(returned, date(2024, 7, 10), [(cup, 1)])
    f.refund(first, Decimal("100.00"), quantity=2)  # the whole first order comes back
    for k in range(8):
        f.order(regular, date(2024, 1, 5) + timedelta(days=40 * k), [(tea, 1), (cup, 1)])
    fit = services.analytics_refresh(as_of=AS_OF, holdout_weeks=4)
    scores = {s.customer_id: s for s in CustomerScore.objects.all()}
    assert cancelled.pk not in scores  # cancelled orders are not purchases
    assert unpaid.pk not in scores  # nor are orders placed and not paid (item 5)

    # six customers are far too few to fit a purchase model: no forecast, said why (item 8)
    assert fit.scored_by == "" and fit.notes[0]["code"] == "too_little_history"
    assert fit.notes[0]["customers"] == 5 and fit.bgnbd == {"error": "too_little_history"}
    assert all(
        s.p_alive is None and s.clv is None and s.churn_risk_band == "" for s in scores.values()
    )

    s = scores[once.pk]
    assert (s.frequency, s.recency_weeks, s.purchase_days, s.orders) == (0, 0.0, 1, 1)
    assert s.avg_repeat_value == 0 and s.monetary == Decimal("50.00")
    assert s.age_weeks == pytest.approx((AS_OF - date(2024, 3, 1)).days / 7)
    assert s.f_score == 1 and s.categories_held == 1

    s = scores[same_day.pk]  # two orders on one day are one purchase day worth their sum
    assert (s.orders, s.purchase_days, s.frequency) == (2, 1, 0)
    assert s.monetary == Decimal("70.00") and s.revenue == Decimal("70.00")
    assert s.categories_held == 2

    s = scores[zero.pk]  # zero-value orders are purchases worth nothing
    assert (s.purchase_days, s.frequency, s.monetary) == (2, 1, Decimal("0.00"))

    s = scores[returned.pk]  # a full return leaves the purchase day, worth 0, and a cost to serve
    assert (s.purchase_days, s.frequency) == (2, 1)
    assert s.revenue == Decimal("110.00") and s.monetary == Decimal("10.00")
    assert s.avg_repeat_value == Decimal("10.00")
    assert s.cost_to_serve == Decimal("100.00")
    assert s.gross_margin == Decimal("110.00") - Decimal("44.00")
    assert s.trust_level == "cognitive"  # refunds over 20 % of spend: not emotional trust

    s = scores[regular.pk]
    assert (s.purchase_days, s.frequency) == (8, 7)
    assert s.f_score == 5 and s.trust_level == "emotional"  # tenure under a year


def test_local_calendar_days(make_product):
    """Days are the business's (Asia/Shanghai) calendar days, not UTC ones."""
    tea = make_product(price="10.00")
    (c,) = f.customers(1)
    utc = ZoneInfo("UTC")
    for moment in (
        datetime(2024, 3, 1, 15, 30, tzinfo=utc),  # 23:30 on 1 March in Shanghai
        datetime(2024, 3, 1, 16, 30, tzinfo=utc),
    ):  # 00:30 on 2 March in Shanghai
        o = f.order(c, date(2024, 3, 1), [(tea, 1)])
        Order.objects.filter(pk=o.pk).update(ordered_at=moment)
    for strategy in ("sql", "polars"):
        row = summarise(strategy, AS_OF).row(0, named=True)
        assert row["purchase_days"] == 2 and row["first_day"] == date(2024, 3, 1)
        assert row["last_day"] == date(2024, 3, 2)


def test_second_refresh_updates_and_drops_customers(history):
    services.analytics_refresh(as_of=AS_OF, reports=False)
    victim = CustomerScore.objects.order_by("customer_id").first().customer_id
    Order.objects.filter(customer_id=victim).update(status="cancelled")
    before = CustomerScore.objects.count()
    fit = services.analytics_refresh(as_of=AS_OF + timedelta(days=30), reports=False)
    assert not CustomerScore.objects.filter(customer_id=victim).exists()
    assert CustomerScore.objects.count() == before - 1 == fit.customers
    assert set(CustomerScore.objects.values_list("computed_at", flat=True)) == {fit.computed_at}
    assert ModelFit.objects.count() == 2


def test_refresh_without_purchases(db):
    f.customers(3)
    fit = services.analytics_refresh(as_of=AS_OF)
    assert fit.customers == 0 and not CustomerScore.objects.exists()
    assert fit.bgnbd == {"error": "no_purchases"} and fit.scored_by == ""


def test_task_and_command(history):
    from rapport.analytics.tasks import refresh_scores

    result = refresh_scores.enqueue(as_of=AS_OF.isoformat())
    assert result.return_value["customers"] == CustomerScore.objects.count() > 0
    out = StringIO()
    call_command("analytics_refresh", "--as-of", AS_OF.isoformat(), "--no-reports", stdout=out)
    assert "customers" in out.getvalue()
    assert ModelFit.objects.order_by("-computed_at").first().as_of == AS_OF


def test_array_helpers_match_plain_polars():
    """The array arithmetic used at scale gives what a plain group-by gives."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = 3000
    items = pl.DataFrame(
        {"order_id": rng.integers(1, 600, n), "product_id": rng.integers(1, 15, n)}
    )
    got = product_pairs(items, top=1000).sort("a", "b")
    baskets = items.unique()
    pairs = (
        baskets.join(baskets, on="order_id", suffix="_b")
        .filter(pl.col("product_id") < pl.col("product_id_b"))
        .group_by(pl.col("product_id").alias("a"), pl.col("product_id_b").alias("b"))
        .agg(pl.len().alias("together"))
        .filter(pl.col("together") >= 2)
        .sort("a", "b")
    )
    assert got.select("a", "b", "together").equals(pairs.cast({"together": got["together"].dtype}))
    single = baskets.group_by("product_id").agg(pl.len().alias("n"))
    row = got.row(0, named=True)
    n_a = single.filter(pl.col("product_id") == row["a"])["n"][0]
    n_b = single.filter(pl.col("product_id") == row["b"])["n"][0]
    orders = baskets["order_id"].n_unique()
    assert row["lift"] == pytest.approx(row["together"] * orders / (n_a * n_b))
    ids = np.array([5, 3, 9, 100])
    assert index_of(ids, np.array([9, 4, 100, 5])).tolist() == [2, -1, 3, 0]
    assert index_of(ids * 10**9, np.array([9, 100]) * 10**9).tolist() == [2, 3]
    assert distinct(np.array([3, 1, 3, 2, 1])).tolist() == [1, 2, 3]


def test_extension_points(make_product, monkeypatch):
    """Complaint remedies (a cost to serve) and survey answers (satisfaction) plug in as sources."""
    tea = make_product(price="50.00", unit_cost="20.00")
    happy, unhappy = f.customers(2, customer_since=date(2024, 1, 1))
    for c in (happy, unhappy):
        for k in range(3):
            f.order(c, date(2024, 3, 1) + timedelta(days=60 * k), [(tea, 1)])

    def remedies(end):
        return pl.DataFrame(
            {"customer_id": [happy.pk], "month": [date(2024, 5, 1)], "amount": [12.5]}
        )

    def survey(end):
        return pl.DataFrame({"customer_id": [unhappy.pk], "satisfaction": [2.0]})

    monkeypatch.setitem(services.COST_TO_SERVE_SOURCES, "complaint_remedies", remedies)
    monkeypatch.setitem(services.SATISFACTION_SOURCES, "surveys", survey)
    services.analytics_refresh(as_of=AS_OF, holdout_weeks=4)
    scores = {s.customer_id: s for s in CustomerScore.objects.all()}
    assert scores[happy.pk].cost_to_serve == Decimal("12.50")
    assert scores[happy.pk].net_contribution == Decimal("90.00") - Decimal("12.50")
    assert scores[happy.pk].trust_level == "emotional"
    assert scores[unhappy.pk].trust_level == "cognitive"  # bought three times, but unhappy
    service = Report.objects.get(kind=ReportKind.PROFIT).data["service"]
    assert service["kind"] == ["complaint_remedies"] and service["amount"] == [12.5]
