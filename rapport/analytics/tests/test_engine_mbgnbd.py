"""The modified BG/NBD and the choice of the model that scores (engine.selection)."""

import math

import numpy as np
import polars as pl
import pytest
from scipy import special

from rapport.analytics.engine import bgnbd, mbgnbd, selection, summary
from rapport.analytics.engine._rows import compress

from . import cdnow


@pytest.fixture(autouse=True)
def _english():
    """Shadow, for this module only, the project-wide autouse fixture that needs pytest-django's
    ``settings``: these tests use no Django settings and also run with ``-p no:django``."""
    return None


# lifetimes 0.11.3 ModifiedBetaGeoFitter on the CDNOW calibration summary
LIFETIMES = {"r": 0.5248, "alpha": 6.1831, "a": 0.8914, "b": 1.6140}


def sig(value, digits=3):
    return float(f"{value:.{digits - 1}e}")


@pytest.fixture(scope="module")
def cal():
    return summary.calibration_holdout_summary(
        cdnow.transactions(), cdnow.CALIBRATION_END, cdnow.OBSERVATION_END
    )


@pytest.fixture(scope="module")
def fitted(cal):
    return mbgnbd.fit(cal["frequency"], cal["recency"], cal["T"])


def test_cdnow_parameters_match_lifetimes(fitted):
    assert fitted.converged and selection.usable(fitted)
    for name, value in LIFETIMES.items():
        assert sig(fitted.params[name]) == sig(value), name


def test_log_likelihood_matches_the_closed_form_row_by_row(cal):
    r, alpha, a, b = 0.5, 6.0, 0.9, 1.6
    x, t_x, T = (cal[c].to_numpy()[:60] for c in ("frequency", "recency", "T"))
    total = 0.0
    for xi, ti, Ti in zip(x, t_x, T, strict=True):
        head = (
            special.gammaln(r + xi)
            - special.gammaln(r)
            + r * math.log(alpha)
            + special.betaln(a, b + xi + 1)
            - special.betaln(a, b)
        )
        body = (alpha + Ti) ** -(r + xi) + a / (b + xi) * (alpha + ti) ** -(r + xi)
        total += head + math.log(body)
    assert mbgnbd.log_likelihood((r, alpha, a, b), x, t_x, T) == pytest.approx(total, rel=1e-12)


def test_analytic_gradient_and_hessian_match_finite_differences(cal):
    (x, t, T), w = compress(
        [cal[c].to_numpy().astype(float) for c in ("frequency", "recency", "T")]
    )
    d = bgnbd._Data(x, t, T, w, shift=1)
    theta = np.array([0.6, 7.0, 0.8, 1.9])
    _, g, H = bgnbd._fgh(theta, d)
    eps = 1e-6 * theta
    g_num = [
        (bgnbd._fgh(theta + e, d)[0] - bgnbd._fgh(theta - e, d)[0]) / (2 * e.max())
        for e in np.diag(eps)
    ]
    H_num = [
        (bgnbd._fgh(theta + e, d)[1] - bgnbd._fgh(theta - e, d)[1]) / (2 * e.max())
        for e in np.diag(eps)
    ]
    np.testing.assert_allclose(g, g_num, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(H, np.array(H_num), rtol=1e-4, atol=1e-2)


def test_one_time_buyers_are_not_certainly_active(fitted, cal):
    x, t_x, T = cal["frequency"], cal["recency"], cal["T"]
    alive = fitted.p_alive(x, t_x, T)
    once = cal["frequency"].to_numpy() == 0
    assert (
        alive[once].max() < 1
        and (bgnbd.p_alive(bgnbd.fit(x, t_x, T).params, x, t_x, T)[once] == 1).all()
    )
    # lifetimes: 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))
    r, alpha, a, b = (fitted.params[k] for k in ("r", "alpha", "a", "b"))
    xs, ts, Ts = (c.to_numpy() for c in (x, t_x, T))
    want = 1 / (1 + a / (b + xs) * ((alpha + Ts) / (alpha + ts)) ** (r + xs))
    np.testing.assert_allclose(alive, want, rtol=1e-12)


def test_expected_purchases_match_lifetimes_formula(fitted, cal):
    r, alpha, a, b = (fitted.params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = (cal[c].to_numpy()[:200] for c in ("frequency", "recency", "T"))
    t = 39.0
    hyp = special.hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
    numerator = (a + b + x) / (a - 1) * (1 - hyp * ((alpha + T) / (alpha + t + T)) ** (r + x))
    want = numerator / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    np.testing.assert_allclose(fitted.expected_purchases(t, x, t_x, T), want, rtol=1e-9)


# --- engine.selection ------------------------------------------------------------------------------


def test_minimum_of_data():
    assert selection.shortfall([0, 0, 1]) == {
        "customers": 3,
        "repeat_customers": 1,
        "min_customers": 20,
        "min_repeat_customers": 10,
    }
    assert selection.shortfall([1] * 10 + [0] * 10) is None
    assert selection.shortfall([1] * 9 + [0] * 30) is not None


def test_validation_window():
    assert selection.validation_weeks(39.0, 52.0) == pytest.approx(19.5 - 0.5 / 7)  # whole days
    assert selection.validation_weeks(200.0, 52.0) == 52.0
    assert selection.validation_weeks(7.0, 52.0) == 0.0  # under four weeks: no comparison


def test_choice_on_cdnow_uses_the_calibration_period_only(cal):
    import datetime as dt

    tx = cdnow.transactions().filter(pl.col("date") <= cdnow.CALIBRATION_END)
    weeks = selection.validation_weeks(39.0, 52.0)
    inner = cdnow.CALIBRATION_END - dt.timedelta(days=round(weeks * 7))
    validation = summary.calibration_holdout_summary(tx, inner, cdnow.CALIBRATION_END)
    fits = {n: selection.fit_model(n, cal) for n in selection.CANDIDATES}
    chosen = selection.choose(validation, fits)
    assert chosen.chosen == "pareto_nbd" and chosen.reason == "validation"
    assert chosen.errors["pareto_nbd"] < chosen.errors["mbgnbd"]
    # never BG/NBD, even when it is the only one left
    assert (
        selection.choose(
            validation, {"bgnbd": bgnbd.fit(cal["frequency"], cal["recency"], cal["T"])}
        ).chosen
        is None
    )
    only = selection.choose(validation, {"mbgnbd": fits["mbgnbd"], "pareto_nbd": None})
    assert (only.chosen, only.reason) == ("mbgnbd", "only usable candidate")


def test_a_fit_without_reliable_standard_errors_is_not_usable(fitted):
    """Three customers fitted r = 1.76e6 with standard errors around 1e10 and the refresh
    stored it as converged (issue 9, item 8)."""
    import dataclasses

    assert selection.usable(fitted)
    wild = dataclasses.replace(
        fitted,
        params={**fitted.params, "r": 1.76e6},
        standard_errors={**fitted.standard_errors, "r": 1e10},
    )
    assert not selection.usable(wild)
    undefined = dataclasses.replace(
        fitted, standard_errors={**fitted.standard_errors, "b": float("nan")}
    )
    assert not selection.usable(undefined)
    assert not selection.usable(dataclasses.replace(fitted, converged=False))
