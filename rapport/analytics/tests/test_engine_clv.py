"""CLV, scoring of every customer, and an end-to-end holdout check on simulated transactions."""

import datetime as dt

import numpy as np
import polars as pl
import pytest

from rapport.analytics.engine import (
    bgnbd,
    clv,
    gammagamma,
    holdout,
    paretonbd,
    score,
    simulate,
    summary,
)

from . import cdnow


@pytest.fixture(autouse=True)
def _english():
    """Shadow, for this module only, the project-wide autouse fixture that needs pytest-django's
    ``settings``: these tests use no Django settings and also run with ``-p no:django``."""
    return None


@pytest.fixture(scope="module")
def models():
    cal = summary.rfm_summary(cdnow.transactions(), cdnow.CALIBRATION_END)
    bg = bgnbd.fit(cal["frequency"], cal["recency"], cal["T"])
    pn = paretonbd.fit(cal["frequency"], cal["recency"], cal["T"])
    gg = gammagamma.fit(cal["frequency"], cal["monetary"])
    return cal, bg, pn, gg


def test_step_times():
    np.testing.assert_allclose(clv.step_times(52), np.arange(1, 13) * 52 / 12)
    np.testing.assert_allclose(clv.step_times(10), [52 / 12, 104 / 12, 10])
    np.testing.assert_allclose(clv.step_times(3), [3])
    assert len(clv.step_times(0)) == 0


@pytest.mark.parametrize("which", ["bg", "pn"])
def test_clv_equals_the_documented_sum(models, which):
    cal, bg, pn, gg = models
    fit = bg if which == "bg" else pn
    x, t_x, T, m = (cal[c].to_numpy() for c in ("frequency", "recency", "T", "monetary"))
    value = gg.expected_average_value(x, m)
    got = clv.customer_lifetime_value(
        fit, x, t_x, T, value, horizon_weeks=30, annual_discount_rate=0.2, margin=0.3
    )
    want = np.zeros(len(x))
    prev = np.zeros(len(x))
    for t in [52 / 12 * k for k in range(1, 7)] + [30.0]:
        e = fit.expected_purchases(t, x, t_x, T)
        want += (e - prev) / 1.2 ** (t / 52)
        prev = e
    np.testing.assert_allclose(got, 0.3 * value * want, rtol=1e-10)


def test_no_discount_is_value_times_expected_purchases(models):
    cal, bg, _, gg = models
    x, t_x, T, m = (cal[c].to_numpy() for c in ("frequency", "recency", "T", "monetary"))
    value = gg.expected_average_value(x, m)
    got = clv.customer_lifetime_value(
        bg, x, t_x, T, value, horizon_weeks=52, annual_discount_rate=0.0
    )
    np.testing.assert_allclose(got, value * bg.expected_purchases(52, x, t_x, T), rtol=1e-10)
    lower = clv.customer_lifetime_value(
        bg, x, t_x, T, value, horizon_weeks=52, annual_discount_rate=0.5
    )
    longer = clv.customer_lifetime_value(
        bg, x, t_x, T, value, horizon_weeks=104, annual_discount_rate=0.5
    )
    assert np.all(lower <= got + 1e-12) and np.all(longer >= lower - 1e-12)
    assert np.all(clv.customer_lifetime_value(bg, x, t_x, T, value, horizon_weeks=0) == 0)


def test_score_cdnow(models):
    cal, bg, pn, gg = models
    scored = score(cal, bg, gg, horizon_weeks=52, annual_discount_rate=0.1)
    assert scored.height == 2357
    assert scored.columns[:5] == ["customer", "frequency", "recency", "T", "monetary"]
    x, t_x, T, m = (cal[c].to_numpy() for c in ("frequency", "recency", "T", "monetary"))
    paid = cal["paid"].to_numpy()
    np.testing.assert_allclose(scored["p_alive"].to_numpy(), bg.p_alive(x, t_x, T), rtol=1e-12)
    np.testing.assert_allclose(
        scored["expected_purchases"].to_numpy(), bg.expected_purchases(52, x, t_x, T), rtol=1e-10
    )
    # Gamma-Gamma for customers with repeat spend, its population mean for the others, and
    # nothing for customers who never paid (issue 9, item 2)
    population = gg.p * gg.gamma / (gg.q - 1)
    own = (x > 0) & (m > 0)
    value = np.where(own, gg.expected_average_value(x, m), population)
    value[paid == 0] = 0.0
    assert (paid == 0).sum() == 8 and ((x == 0) & (paid > 0)).sum() > 1000
    np.testing.assert_allclose(scored["expected_avg_value"].to_numpy(), value)
    basis = scored["value_basis"].to_numpy()
    assert set(basis[own]) == {"own"} and set(basis[paid == 0]) == {"none"}
    assert set(basis[~own & (paid > 0)]) == {"population"}
    np.testing.assert_allclose(
        scored["clv"].to_numpy(),
        clv.customer_lifetime_value(bg, x, t_x, T, value, horizon_weeks=52),
        rtol=1e-10,
    )
    assert (scored["clv"] >= 0).all() and (scored["p_alive"] <= 1).all()
    pn_scored = score(cal, pn, gg)
    np.testing.assert_allclose(pn_scored["p_alive"].to_numpy(), pn.p_alive(x, t_x, T), rtol=1e-12)
    # without a spend model the customer's own monetary value is used
    mine = score(cal.drop("paid"), bg)
    np.testing.assert_allclose(mine["expected_avg_value"].to_numpy(), m)


def test_score_broadcasts_unique_rows_back_in_order():
    sim = simulate.simulate_bgnbd(5_000, 0.4, 5.0, 0.8, 2.5, T=30.0, seed=2, day_grid=True)
    frame = pl.DataFrame({k: sim[k] for k in ("frequency", "recency", "T")}).with_columns(
        monetary=pl.lit(10.0)
    )
    params = bgnbd.BGNBDFit(
        params={"r": 0.4, "alpha": 5.0, "a": 0.8, "b": 2.5},
        log_likelihood=0.0,
        standard_errors={},
        covariance=np.eye(4),
        n_customers=0,
        n_rows=0,
        converged=True,
        method="",
        iterations=0,
    )
    scored = score(frame, params, horizon_weeks=26)
    direct = bgnbd.conditional_expected_purchases(
        params.params, 26, sim["frequency"], sim["recency"], sim["T"]
    )
    np.testing.assert_allclose(scored["expected_purchases"].to_numpy(), direct, rtol=1e-10)


def test_simulated_holdout_is_predicted_well():
    """End to end: simulate a BG/NBD transaction log, summarise, fit, forecast the holdout."""
    tx = simulate.simulate_bgnbd_transactions(
        8_000,
        0.5,
        6.0,
        0.7,
        3.0,
        start=dt.date(2023, 1, 2),
        acquisition_days=84,
        total_days=364,
        spend=(6.0, 4.0, 15.0),
        seed=21,
    )
    cal = summary.calibration_holdout_summary(tx, dt.date(2023, 7, 2), dt.date(2023, 12, 31))
    fit = bgnbd.fit(cal["frequency"], cal["recency"], cal["T"])
    cmp = holdout.holdout_comparison(cal, fit)
    assert cmp.total_actual > 1000
    assert cmp.total_predicted == pytest.approx(cmp.total_actual, rel=0.08)
    table = cmp.by_frequency
    big = table.filter(pl.col("customers") >= 200)
    np.testing.assert_allclose(big["mean_predicted"], big["mean_actual"], rtol=0.25, atol=0.05)
