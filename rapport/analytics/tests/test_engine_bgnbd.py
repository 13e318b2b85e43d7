"""BG/NBD: published CDNOW fit, analytic derivatives, weights, recovery, predictions."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from rapport.analytics.engine import bgnbd, holdout, simulate, summary
from rapport.analytics.engine._rows import compress

from . import cdnow


@pytest.fixture(autouse=True)
def _english():
    """Shadow, for this module only, the project-wide autouse fixture that needs pytest-django's
    ``settings``: these tests use no Django settings and also run with ``-p no:django``."""
    return None


# Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", CDNOW calibration period
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL = -9582.4


def sig(value, digits=3):
    return float(f"{value:.{digits - 1}e}")


@pytest.fixture(scope="module")
def cal():
    return summary.calibration_holdout_summary(
        cdnow.transactions(), cdnow.CALIBRATION_END, cdnow.OBSERVATION_END
    )


@pytest.fixture(scope="module")
def fitted(cal):
    return bgnbd.fit(cal["frequency"], cal["recency"], cal["T"])


def test_cdnow_parameters_match_the_paper(fitted):
    assert fitted.converged
    for name, value in PUBLISHED.items():
        assert sig(fitted.params[name]) == sig(value), name
    assert fitted.log_likelihood == pytest.approx(PUBLISHED_LL, abs=0.05)
    assert fitted.n_customers == 2357
    assert fitted.n_rows < 2357  # identical rows were merged
    assert all(0 < se < math.inf for se in fitted.standard_errors.values())


def test_published_summary_file_gives_the_same_fit():
    ref = cdnow.published_summary()
    f = bgnbd.fit(ref["frequency"], ref["recency"], ref["T"])
    for name, value in PUBLISHED.items():
        assert sig(f.params[name]) == sig(value), name


def _data(cal):
    (x, t, T), w = compress(
        [cal["frequency"].to_numpy().astype(float), cal["recency"].to_numpy(), cal["T"].to_numpy()]
    )
    return bgnbd._Data(x, t, T, w)


def test_analytic_gradient_and_hessian_match_finite_differences(cal):
    d = _data(cal)
    for theta in (np.array([0.3, 5.0, 0.6, 2.0]), np.array([1.4, 12.0, 1.7, 0.9])):
        _, g, H = bgnbd._fgh(theta, d)
        eps = 1e-6 * theta
        g_num = np.array(
            [
                (bgnbd._fgh(theta + e, d)[0] - bgnbd._fgh(theta - e, d)[0]) / (2 * e.max())
                for e in np.diag(eps)
            ]
        )
        H_num = np.array(
            [
                (bgnbd._fgh(theta + e, d)[1] - bgnbd._fgh(theta - e, d)[1]) / (2 * e.max())
                for e in np.diag(eps)
            ]
        )
        np.testing.assert_allclose(g, g_num, rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(H, H_num, rtol=1e-4, atol=1e-2)


def test_log_likelihood_matches_the_closed_form_row_by_row(cal):
    r, alpha, a, b = 0.3, 5.0, 0.6, 2.0
    x, t_x, T = (
        cal["frequency"].to_numpy()[:50],
        cal["recency"].to_numpy()[:50],
        cal["T"].to_numpy()[:50],
    )
    total = 0.0
    for xi, ti, Ti in zip(x, t_x, T, strict=True):
        like = (
            math.exp(
                special.gammaln(r + xi)
                - special.gammaln(r)
                + special.betaln(a, b + xi)
                - special.betaln(a, b)
            )
            * alpha**r
            * (
                (alpha + Ti) ** -(r + xi)
                + (a / (b + xi - 1) * (alpha + ti) ** -(r + xi) if xi > 0 else 0.0)
            )
        )
        total += math.log(like)
    assert bgnbd.log_likelihood((r, alpha, a, b), x, t_x, T) == pytest.approx(total, rel=1e-10)


def test_weights_equal_expanded_rows(cal):
    x, t, T = cal["frequency"].to_numpy(), cal["recency"].to_numpy(), cal["T"].to_numpy()
    (ux, ut, uT), w = compress([x.astype(float), t, T])
    a = bgnbd.fit(ux, ut, uT, weights=w)
    b = bgnbd.fit(x, t, T)
    for name in PUBLISHED:
        assert a.params[name] == pytest.approx(b.params[name], rel=1e-6)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-10)
    doubled = bgnbd.fit(x, t, T, weights=np.full(len(x), 2.0))
    assert doubled.log_likelihood == pytest.approx(2 * b.log_likelihood, rel=1e-8)


def test_parameter_recovery_on_simulated_data():
    true = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}
    rng = np.random.default_rng(7)
    sim = simulate.simulate_bgnbd(40_000, **true, T=rng.uniform(20, 60, 40_000), seed=11)
    f = bgnbd.fit(sim["frequency"], sim["recency"], sim["T"])
    assert f.converged
    for name, value in true.items():
        z = (f.params[name] - value) / f.standard_errors[name]
        assert abs(z) < 4, (name, f.params[name], f.standard_errors[name])


def test_standard_errors_shrink_like_root_n():
    true = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}
    sim = simulate.simulate_bgnbd(20_000, **true, T=40.0, seed=3)
    f = bgnbd.fit(sim["frequency"], sim["recency"], sim["T"])
    f4 = bgnbd.fit(sim["frequency"], sim["recency"], sim["T"], weights=np.full(20_000, 4.0))
    for name in true:
        assert f4.standard_errors[name] == pytest.approx(f.standard_errors[name] / 2, rel=1e-4)


def test_conditional_expectation_matches_the_paper_formula(fitted):
    """Our Euler-transformed 2F1 equals FHL (2005) eq. 10 as printed."""
    r, alpha, a, b = (fitted.params[k] for k in ("r", "alpha", "a", "b"))
    x = np.array([0, 1, 2, 5, 10, 20.0])
    t_x = np.array([0, 5, 20, 30, 35, 38.0])
    T = np.full(6, 38.86)
    t = 39.0
    z = t / (alpha + T + t)
    paper = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + T) / (alpha + T + t)) ** (r + x)
            * special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        )
        / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    )
    np.testing.assert_allclose(fitted.expected_purchases(t, x, t_x, T), paper, rtol=1e-9)


def test_new_customer_expectation_is_the_limit_of_the_conditional_one(fitted):
    p = fitted.params
    e = bgnbd.expected_purchases_new_customer(p, [10.0, 39.0])
    assert np.all(np.diff(e) > 0) and e[0] > 0
    # a customer seen for T=0 with no repeat purchase is a new customer
    np.testing.assert_allclose(
        bgnbd.conditional_expected_purchases(p, 39.0, [0], [0], [0]), e[1:], rtol=1e-9
    )


def test_p_alive_examples(fitted):
    p = fitted.p_alive([0, 2, 2], [0, 30.43, 5.0], [38.86, 38.86, 38.86])
    assert p[0] == 1.0
    assert 0 < p[2] < p[1] < 1  # the same two purchases, longer ago -> less likely alive


def test_holdout_comparison_on_cdnow(cal, fitted):
    cmp = holdout.holdout_comparison(cal, fitted)
    assert cmp.duration_weeks == pytest.approx(39.0)
    assert cmp.total_actual == float(cal["frequency_holdout"].sum())
    # the model under-forecasts CDNOW's holdout a little, as in the paper's tracking plot
    assert 0.8 * cmp.total_actual < cmp.total_predicted < 1.05 * cmp.total_actual
    table = cmp.by_frequency
    assert table["group"].to_list() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert int(table["customers"].sum()) == 2357
    # mean actual and predicted rise with calibration frequency
    assert np.all(np.diff(table["mean_predicted"].to_numpy()) > 0)
    assert set(cmp.chart_data()) == {"labels", "predicted", "actual", "customers"}


params = st.tuples(st.floats(0.05, 5), st.floats(0.5, 50), st.floats(0.05, 5), st.floats(0.05, 10))
rfm = st.tuples(st.integers(0, 60), st.floats(0, 1), st.floats(0.1, 150))


@settings(max_examples=150, deadline=None)
@given(p=params, row=rfm)
def test_p_alive_is_a_probability(p, row):
    x, frac, T = row
    t_x = frac * T if x > 0 else 0.0
    value = bgnbd.p_alive(p, [x], [t_x], [T])[0]
    assert 0.0 <= value <= 1.0
    if x == 0:
        assert value == 1.0


@settings(max_examples=100, deadline=None)
@given(p=params, row=rfm, horizons=st.lists(st.floats(0, 200), min_size=2, max_size=5))
def test_expected_purchases_grow_with_the_horizon(p, row, horizons):
    x, frac, T = row
    t_x = frac * T if x > 0 else 0.0
    values = [
        bgnbd.conditional_expected_purchases(p, h, [x], [t_x], [T])[0] for h in sorted(horizons)
    ]
    assert all(np.isfinite(values))
    assert values[0] >= -1e-9
    assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(values, values[1:], strict=False))


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError):
        bgnbd.fit([1, 2], [3.0, 1.0], [2.0, 5.0])  # recency > T
    with pytest.raises(ValueError):
        bgnbd.fit([1.5], [1.0], [2.0])  # fractional frequency
    with pytest.raises(ValueError):
        bgnbd.fit([1], [np.nan], [2.0])
