"""RFM quintiles, named segments, churn bands, trust levels, switching cost; segment filters and
churn records."""
# ruff: noqa: F811 - fixtures come from factories.py, imported by name

from datetime import date, timedelta

import polars as pl
import pytest
from django.core.exceptions import ValidationError

from rapport.analytics import selectors, services
from rapport.analytics.choices import ChurnDestination, ChurnReason, Segment
from rapport.analytics.models import ChurnRecord, CustomerScore
from rapport.analytics.services import rules
from rapport.analytics.tests import factories as f
from rapport.analytics.tests.factories import analytics_roles, project_test_settings  # noqa: F401
from rapport.core.models import ObjectChange
from rapport.customers.models import Customer


def test_quintiles_give_ties_the_same_score():
    frame = pl.DataFrame(
        {
            "recency_days": [1, 1, 5, 10, 30, 30, 60, 90, 200, 400],
            "purchase_days": [1, 1, 1, 1, 1, 1, 2, 2, 3, 9],
            "monetary_total": [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100],
        }
    )
    out = rules.assign_rfm(frame)
    # one plus five times the share of customers strictly worse, rounded down
    assert out["f_score"].to_list() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert out["m_score"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out["r_score"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    single = rules.assign_rfm(frame.head(1))
    assert single.row(0, named=True)["f_score"] == 1


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 1, Segment.CHAMPIONS),
        (5, 4, 5, Segment.CHAMPIONS),
        (4, 5, 3, Segment.LOYAL),
        (3, 4, 3, Segment.LOYAL),
        (5, 2, 1, Segment.POTENTIAL_LOYALISTS),
        (3, 3, 2, Segment.POTENTIAL_LOYALISTS),
        (5, 1, 5, Segment.NEW),
        (4, 1, 1, Segment.NEW),
        (2, 3, 4, Segment.AT_RISK),
        (1, 4, 2, Segment.AT_RISK),
        (2, 4, 5, Segment.CANT_LOSE),
        (1, 5, 1, Segment.CANT_LOSE),
        (3, 1, 1, Segment.HIBERNATING),
        (2, 2, 3, Segment.HIBERNATING),
        (1, 1, 5, Segment.LOST),
        (1, 2, 1, Segment.LOST),
    ],
)
def test_segment_rules(r, f, m, segment):
    frame = pl.DataFrame({"r_score": [r], "f_score": [f], "m_score": [m]})
    assert rules.assign_segments(frame)["segment"][0] == segment


def test_every_cell_of_the_grid_has_a_segment():
    assert set(SEGMENTS := {s for row in rules.SEGMENT_GRID.values() for s in row}) <= set(
        Segment.values
    )
    assert set(Segment.values) == SEGMENTS  # every segment is reachable


def test_trust_levels_and_switching_cost():
    frame = pl.DataFrame(
        {
            "purchase_days": [1, 3, 5, 5, 5],
            "tenure_days": [400, 100, 800, 800, 800],
            "recency_days": [300, 10, 30, 400, 30],
            "revenue": [100.0, 100, 100, 100, 100],
            "refunds": [0.0, 0, 0, 0, 50],
            "satisfaction": [None, None, None, None, None],
            "categories_held": [1, 2, 4, 1, 0],
            "referrals_made": [0, 1, 0, 0, 0],
            "was_referred": [False, True, False, False, False],
            "extra_points": [None, None, 2.0, None, None],
        },
        schema_overrides={"satisfaction": pl.Float64, "extra_points": pl.Float64},
    )
    out = frame.with_columns(
        rules.trust_expr().alias("trust"), rules.switching_points().alias("points")
    )
    assert out["trust"].to_list() == [
        "cognitive",
        "emotional",
        "behavioural",
        "emotional",
        "cognitive",
    ]
    assert out["points"].to_list() == [1, 3, 5, 1, 1]
    unhappy = frame.with_columns(pl.lit(2.0).alias("satisfaction"))
    assert set(unhappy.select(rules.trust_expr())["literal"].to_list()) == {"cognitive"}


def test_churn_bands():
    frame = pl.DataFrame({"churn_risk": [0.0, 0.29, 0.3, 0.69, 0.7, 1.0]})
    bands = frame.select(
        rules.band(pl.col("churn_risk"), rules.CHURN_BANDS, ("low", "medium", "high"))
    )
    assert bands.to_series().to_list() == ["low", "low", "medium", "medium", "high", "high"]


@pytest.mark.django_db
def test_refresh_segments_and_filter(make_product):
    tea = make_product(price="20.00")
    people = f.customers(10)
    for i, c in enumerate(people):  # customer i buys i + 1 times, the last time i weeks ago
        for k in range(i + 1):
            f.order(c, date(2024, 12, 31) - timedelta(days=7 * i + 30 * k), [(tea, 1)])
    services.analytics_refresh(as_of=date(2024, 12, 31), reports=False)
    scores = {s.customer_id: s for s in CustomerScore.objects.all()}
    assert len(scores) == 10
    first, last = scores[people[0].pk], scores[people[-1].pk]
    assert (first.f_score, first.r_score, first.segment) == (1, 5, Segment.NEW)
    assert last.f_score == 5 and last.m_score == 5 and last.r_score == 1
    assert last.segment == Segment.CANT_LOSE
    qs = selectors.filter_customers_by_segment(Customer.objects.all(), Segment.NEW)
    assert set(qs.values_list("pk", flat=True)) == {
        cid for cid, s in scores.items() if s.segment == Segment.NEW
    }
    assert selectors.filter_customers_by_segment(Customer.objects.all(), "").count() == 10
    assert selectors.filter_customers_by_segment(Customer.objects.all(), "nonsense").count() == 0
    cards = selectors.scores_for([people[0].pk, people[1].pk])
    assert cards[people[0].pk]["segment_label"] == Segment.NEW.label
    card = selectors.customer_analytics(customer_id=people[0].pk)
    # ten customers are too few to forecast: the card says so instead of guessing (item 8)
    assert card["horizon_weeks"] == 52 and card["churn_risk_band"] == ""
    assert card["p_alive"] is None and card["scored_by"] == ""
    assert selectors.customer_analytics(customer_id=f.customers(1)[0].pk) is None


@pytest.mark.django_db
def test_churn_record_with_history(make_user):
    agent = make_user("agent")
    (customer,) = f.customers(1)
    record = services.churn_record(
        customer=customer,
        reason=ChurnReason.NO_TIMELY_HELP,
        destination=ChurnDestination.COMPETITOR,
        note=" waited a week ",
        by=agent,
    )
    assert ChurnRecord.objects.get() == record and record.recorded_by == agent
    assert record.note == "waited a week"
    change = ObjectChange.objects.get(customer_id=customer.pk, object_id=record.pk)
    assert change.action == "create" and change.user == agent
    assert change.changes["reason"] == [None, "no_timely_help"]
    with pytest.raises(ValidationError) as exc:
        services.churn_record(customer=customer, reason="bored", destination="mars", by=agent)
    assert set(exc.value.message_dict) == {"reason", "destination"}
    assert ChurnRecord.objects.count() == 1
