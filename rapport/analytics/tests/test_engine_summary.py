"""RFM summaries and the calibration/holdout split."""

import datetime as dt
from collections import defaultdict

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.analytics.engine import summary

from . import cdnow


@pytest.fixture(autouse=True)
def _english():
    """Shadow, for this module only, the project-wide autouse fixture that needs pytest-django's
    ``settings``: these tests use no Django settings and also run with ``-p no:django``."""
    return None


D0 = dt.date(2024, 1, 1)


def tx(rows):
    """rows: (customer, day offset, amount)."""
    return pl.DataFrame(
        {
            "customer": [r[0] for r in rows],
            "date": [D0 + dt.timedelta(days=r[1]) for r in rows],
            "amount": [float(r[2]) for r in rows],
        }
    )


def one(frame, customer):
    return frame.filter(pl.col("customer") == customer).row(0, named=True)


def naive_summary(rows, end_day):
    """Reference implementation, one row at a time, following the documented rule: refunds are
    netted against the latest purchase day on or before them; nothing after the end is read."""
    bought, refunds = defaultdict(float), defaultdict(float)
    for c, d, a in rows:
        if d > end_day:
            continue
        if a >= 0:
            bought[(c, d)] += a
        else:
            refunds[(c, d)] -= a
    netted = defaultdict(float)
    for (c, d), amount in refunds.items():
        earlier = [pd for (pc, pd) in bought if pc == c and pd <= d]
        if earlier:
            netted[(c, max(earlier))] += amount
    per = defaultdict(list)
    for (c, d), value in bought.items():
        per[c].append((d, max(value - netted[(c, d)], 0.0)))
    out = {}
    for c, ds in per.items():
        ds.sort()
        x = len(ds) - 1
        out[c] = {
            "frequency": x,
            "recency": (ds[-1][0] - ds[0][0]) / 7,
            "T": (end_day - ds[0][0]) / 7,
            "monetary": sum(v for _, v in ds[1:]) / x if x else 0.0,
        }
    return out


def test_cdnow_summary_matches_the_published_summary():
    s = summary.rfm_summary(cdnow.transactions(), cdnow.CALIBRATION_END)
    ref = cdnow.published_summary()
    assert s.height == ref.height == 2357
    m = s.join(ref, left_on="customer", right_on="ID", suffix="_ref")
    assert m.height == 2357
    assert (m["frequency"] == m["frequency_ref"]).all()
    assert (m["recency"] - m["recency_ref"]).abs().max() <= 0.005 + 1e-9  # ref is rounded to 2 dp
    assert (m["T"] - m["T_ref"]).abs().max() <= 0.005 + 1e-9
    assert int((s["frequency"] > 0).sum()) == 946  # the Gamma-Gamma sample of Fader & Hardie


def test_customer_1_of_cdnow():
    s = summary.rfm_summary(cdnow.transactions(), cdnow.CALIBRATION_END)
    row = one(s, 1)  # orders 1997-01-01 29.33, 01-18 29.73, 08-02 14.96 (12-12 is after the end)
    assert row["frequency"] == 2
    assert row["recency"] == pytest.approx(213 / 7)
    assert row["T"] == pytest.approx(272 / 7)
    assert row["monetary"] == pytest.approx((29.73 + 14.96) / 2)


def test_single_purchase_customer():
    s = summary.rfm_summary(tx([("a", 3, 10)]), D0 + dt.timedelta(days=17))
    assert one(s, "a") == {
        "customer": "a",
        "frequency": 0,
        "recency": 0.0,
        "T": 2.0,
        "monetary": 0.0,
        "first_purchase": D0 + dt.timedelta(days=3),
        "paid": 10.0,
    }


def test_all_purchases_on_one_day_are_one_transaction():
    s = summary.rfm_summary(tx([("a", 0, 5), ("a", 0, 7), ("a", 0, 1)]), D0 + dt.timedelta(days=7))
    row = one(s, "a")
    assert (row["frequency"], row["recency"], row["monetary"]) == (0, 0.0, 0.0)


def test_same_day_orders_are_summed():
    rows = [("a", 0, 5), ("a", 14, 7), ("a", 14, 3), ("a", 21, 4)]
    row = one(summary.rfm_summary(tx(rows), D0 + dt.timedelta(days=28)), "a")
    assert row["frequency"] == 2
    assert row["recency"] == pytest.approx(3.0)
    assert row["monetary"] == pytest.approx((10 + 4) / 2)


def test_zero_value_orders_count_as_purchases():
    rows = [("a", 0, 0), ("b", 0, 10), ("b", 7, 0)]
    s = summary.rfm_summary(tx(rows), D0 + dt.timedelta(days=14))
    assert one(s, "a")["frequency"] == 0 and one(s, "a")["T"] == pytest.approx(2.0)
    assert one(s, "b")["frequency"] == 1 and one(s, "b")["monetary"] == 0.0


def test_returns_rule():
    rows = [
        ("a", 0, 20),
        ("a", 7, 30),
        ("a", 7, -10),  # same-day return: netted -> 20
        ("a", 10, -15),  # refund-only day: netted against the purchase of day 7 -> 5
        ("a", 14, 5),
        ("a", 14, -9),  # net -4: still a purchase day (there was an order), value floored at 0
        ("a", 30, -5),  # after the observation end: not read
    ]
    row = one(summary.rfm_summary(tx(rows), D0 + dt.timedelta(days=21)), "a")
    assert row["frequency"] == 2
    assert row["recency"] == pytest.approx(2.0)
    assert row["monetary"] == pytest.approx((5 + 0) / 2)
    assert row["paid"] == pytest.approx(20 + 5 + 0)


def test_a_refund_on_a_later_day_is_netted_against_its_purchase():
    """Two customers with the same net spend get the same monetary value (issue 9, item 5)."""
    same_day = [("a", 0, 30), ("a", 7, 50), ("a", 7, -10)]
    later_day = [("b", 0, 30), ("b", 7, 50), ("b", 12, -10)]
    s = summary.rfm_summary(tx(same_day + later_day), D0 + dt.timedelta(days=21))
    assert one(s, "a")["monetary"] == one(s, "b")["monetary"] == pytest.approx(40)
    assert one(s, "a")["paid"] == one(s, "b")["paid"] == pytest.approx(70)


def test_return_only_customer_is_not_a_customer():
    s = summary.rfm_summary(tx([("a", 0, -5), ("b", 0, 5)]), D0 + dt.timedelta(days=3))
    assert s["customer"].to_list() == ["b"]


def test_numpy_inputs_and_datetime_and_string_dates():
    frame = summary.transactions_frame(
        np.array([1, 1, 2]),
        np.array(["2024-01-01", "2024-01-08", "2024-01-03"], dtype="datetime64[D]"),
        np.array([1.0, 2.0, 3.0]),
    )
    s = summary.rfm_summary(frame, "2024-01-15")
    assert s["frequency"].to_list() == [1, 0]
    frame2 = summary.transactions_frame(
        [1, 1, 2],
        [dt.datetime(2024, 1, 1, 9), dt.datetime(2024, 1, 8, 23), dt.datetime(2024, 1, 3)],
        [1.0, 2.0, 3.0],
    )
    assert summary.rfm_summary(frame2, dt.date(2024, 1, 15)).equals(s)
    frame3 = summary.transactions_frame(["1", "1"], ["2024-01-01", "2024-01-02"])
    assert summary.rfm_summary(frame3, "2024-01-02")["frequency"].to_list() == [1]


def test_custom_column_names_and_missing_column():
    frame = tx([("a", 0, 1)]).rename({"customer": "cid", "date": "when", "amount": "eur"})
    s = summary.rfm_summary(frame, D0, customer_col="cid", date_col="when", amount_col="eur")
    assert s.height == 1
    with pytest.raises(KeyError, match="when"):
        summary.rfm_summary(
            frame.drop("when"), D0, customer_col="cid", date_col="when", amount_col="eur"
        )


def test_calibration_holdout_split_cdnow():
    s = summary.calibration_holdout_summary(
        cdnow.transactions(), cdnow.CALIBRATION_END, cdnow.OBSERVATION_END
    )
    assert s.height == 2357
    assert s["duration_holdout"].unique().to_list() == [pytest.approx(39.0)]
    tx_ = cdnow.transactions()
    holdout_days = {
        (c, d)
        for c, d in zip(tx_["customer"], tx_["date"], strict=True)
        if cdnow.CALIBRATION_END < d <= cdnow.OBSERVATION_END
    }
    assert int(s["frequency_holdout"].sum()) == len(holdout_days)
    assert one(s, 1)["frequency_holdout"] == 1  # 1997-12-12


def test_holdout_excludes_customers_first_seen_later_and_counts_days():
    rows = [("a", 0, 1), ("a", 10, 1), ("a", 10, 2), ("a", 12, 1), ("b", 9, 1), ("a", 30, 1)]
    s = summary.calibration_holdout_summary(
        tx(rows), D0 + dt.timedelta(days=7), D0 + dt.timedelta(days=21)
    )
    assert s["customer"].to_list() == ["a"]
    row = one(s, "a")
    assert (row["frequency"], row["frequency_holdout"]) == (0, 2)
    assert row["monetary_holdout"] == pytest.approx((3 + 1) / 2)
    assert row["duration_holdout"] == pytest.approx(2.0)
    with pytest.raises(ValueError):
        summary.calibration_holdout_summary(tx(rows), D0, D0)


rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.integers(0, 60),
        st.one_of(st.floats(-50, 200, allow_nan=False), st.just(0.0)).map(lambda v: round(v, 2)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy, end_day=st.integers(0, 70))
def test_summary_matches_naive_reference(rows, end_day):
    got = summary.rfm_summary(tx(rows), D0 + dt.timedelta(days=end_day))
    want = naive_summary(rows, end_day)
    assert sorted(got["customer"].to_list()) == sorted(want)
    for row in got.iter_rows(named=True):
        ref = want[row["customer"]]
        assert row["frequency"] == ref["frequency"]
        assert row["recency"] == pytest.approx(ref["recency"])
        assert row["T"] == pytest.approx(ref["T"])
        assert row["monetary"] == pytest.approx(ref["monetary"], abs=1e-9)
        assert 0 <= row["recency"] <= row["T"]
        assert row["monetary"] >= 0
