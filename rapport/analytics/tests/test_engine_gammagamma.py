"""Gamma-Gamma spend model: published CDNOW fit, derivatives, recovery, conditional expectation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from rapport.analytics.engine import gammagamma, simulate, summary

from . import cdnow


@pytest.fixture(autouse=True)
def _english():
    """Shadow, for this module only, the project-wide autouse fixture that needs pytest-django's
    ``settings``: these tests use no Django settings and also run with ``-p no:django``."""
    return None


# Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (2013) / Fader, Hardie & Lee (2005)
PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def sig(value, digits=3):
    return float(f"{value:.{digits - 1}e}")


@pytest.fixture(scope="module")
def cal():
    return summary.rfm_summary(cdnow.transactions(), cdnow.CALIBRATION_END)


def test_cdnow_parameters_match_the_published_ones(cal):
    """Which data give the published figures: the 946 CDNOW customers with at least one repeat
    purchase in the 39-week calibration period (to 1997-09-30), m_x = mean value of their repeat
    purchase days (orders on one day summed, first purchase excluded) — i.e. ``rfm_summary`` of
    the shipped transaction file. (The `zbar` column of lifetimes'
    cdnow_customers_summary_with_transactions.csv is the same figure rounded to cents.)"""
    positive = cal.filter(cal["frequency"] > 0)
    assert positive.height == 946
    f = gammagamma.fit(cal["frequency"], cal["monetary"])
    assert f.converged and f.n_customers == 946
    for name, value in PUBLISHED.items():
        assert sig(f.params[name]) == sig(value), name
    assert all(0 < se < math.inf for se in f.standard_errors.values())


def test_log_likelihood_matches_the_closed_form(cal):
    p, q, g = 6.0, 3.5, 15.0
    x = cal["frequency"].to_numpy()[:200].astype(float)
    m = cal["monetary"].to_numpy()[:200]
    total = 0.0
    for xi, mi in zip(x, m, strict=True):
        if xi > 0 and mi > 0:
            total += (
                special.gammaln(p * xi + q)
                - special.gammaln(p * xi)
                - special.gammaln(q)
                + q * math.log(g)
                + (p * xi - 1) * math.log(mi)
                + p * xi * math.log(xi)
                - (p * xi + q) * math.log(g + mi * xi)
            )
    assert gammagamma.log_likelihood((p, q, g), x, m) == pytest.approx(total, rel=1e-12)


def test_analytic_gradient_and_hessian(cal):
    x, m = cal["frequency"].to_numpy().astype(float), cal["monetary"].to_numpy()
    d = gammagamma._Data(x, m, np.ones(len(x)))
    theta = np.array([5.0, 3.0, 12.0])
    _, g, H = gammagamma._fgh(theta, d)
    eps = 1e-6 * theta
    g_num = [
        (gammagamma._fgh(theta + e, d)[0] - gammagamma._fgh(theta - e, d)[0]) / (2 * e.max())
        for e in np.diag(eps)
    ]
    H_num = [
        (gammagamma._fgh(theta + e, d)[1] - gammagamma._fgh(theta - e, d)[1]) / (2 * e.max())
        for e in np.diag(eps)
    ]
    np.testing.assert_allclose(g, g_num, rtol=1e-5)
    np.testing.assert_allclose(H, H_num, rtol=1e-5)


def test_parameter_recovery_and_weights():
    true = {"p": 4.0, "q": 5.0, "gamma": 20.0}
    x = simulate.simulate_bgnbd(60_000, 0.8, 4.0, 0.5, 3.0, T=52.0, seed=4)["frequency"]
    m = simulate.simulate_monetary(x, **true, seed=8)
    f = gammagamma.fit(x, m)
    for name, value in true.items():
        assert abs(f.params[name] - value) < 4 * f.standard_errors[name], name
    doubled = gammagamma.fit(x, m, weights=np.full(len(x), 2.0))
    assert doubled.log_likelihood == pytest.approx(2 * f.log_likelihood, rel=1e-9)
    for name in true:
        assert doubled.params[name] == pytest.approx(f.params[name], rel=1e-6)


def test_customers_without_repeat_spend_are_ignored(cal):
    f = gammagamma.fit(cal["frequency"], cal["monetary"])
    keep = (cal["frequency"] > 0).to_numpy()
    g = gammagamma.fit(cal["frequency"].to_numpy()[keep], cal["monetary"].to_numpy()[keep])
    assert g.params == pytest.approx(f.params, rel=1e-7)
    with pytest.raises(ValueError):
        gammagamma.fit([0, 0], [0.0, 0.0])


def test_conditional_expectation_formula():
    p, q, g = 6.25, 3.74, 15.44
    got = gammagamma.conditional_expected_average_value((p, q, g), [0, 1, 10], [0.0, 30.0, 30.0])
    population = p * g / (q - 1)
    assert got[0] == pytest.approx(population)
    assert got[1] == pytest.approx((q - 1) / (p + q - 1) * population + p / (p + q - 1) * 30.0)
    assert abs(got[2] - 30.0) < abs(got[1] - 30.0)  # more purchases -> closer to the own mean


@settings(max_examples=200, deadline=None)
@given(
    p=st.floats(0.1, 20),
    q=st.floats(1.05, 20),
    g=st.floats(0.1, 100),
    x=st.integers(0, 100),
    m=st.floats(0, 1000),
)
def test_expected_value_lies_between_population_mean_and_own_mean(p, q, g, x, m):
    value = gammagamma.conditional_expected_average_value((p, q, g), [x], [m])[0]
    population = p * g / (q - 1)
    lo, hi = min(population, m if x else population), max(population, m if x else population)
    assert lo * (1 - 1e-9) - 1e-9 <= value <= hi * (1 + 1e-9) + 1e-9
