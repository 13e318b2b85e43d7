"""Pareto/NBD: published CDNOW fit, likelihood against direct integration, recovery, predictions."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from rapport.analytics.engine import paretonbd, simulate, summary
from rapport.analytics.engine._rows import compress

from . import cdnow


@pytest.fixture(autouse=True)
def _english():
    """Shadow, for this module only, the project-wide autouse fixture that needs pytest-django's
    ``settings``: these tests use no Django settings and also run with ``-p no:django``."""
    return None


# Fader & Hardie, "A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005), CDNOW
PUBLISHED = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
PUBLISHED_LL = -9595.0


def sig(value, digits=3):
    return float(f"{value:.{digits - 1}e}")


@pytest.fixture(scope="module")
def cal():
    return summary.rfm_summary(cdnow.transactions(), cdnow.CALIBRATION_END)


@pytest.fixture(scope="module")
def fitted(cal):
    return paretonbd.fit(cal["frequency"], cal["recency"], cal["T"])


def test_cdnow_parameters_match_the_note(fitted):
    assert fitted.converged
    for name, value in PUBLISHED.items():
        assert sig(fitted.params[name]) == sig(value), name
    assert fitted.log_likelihood == pytest.approx(PUBLISHED_LL, abs=0.05)
    assert all(0 < se < math.inf for se in fitted.standard_errors.values())


def test_published_summary_file_gives_the_same_fit():
    ref = cdnow.published_summary()
    f = paretonbd.fit(ref["frequency"], ref["recency"], ref["T"])
    for name, value in PUBLISHED.items():
        assert sig(f.params[name]) == sig(value), name


def likelihood_by_quadrature(theta, x, t_x, T):
    """Independent check: the A0 term as the integral s * int_{t_x}^T (a+u)^-(r+x) (b+u)^-(s+1) du."""
    r, alpha, s, beta = theta
    integral = integrate.quad(
        lambda u: (alpha + u) ** -(r + x) * (beta + u) ** -(s + 1), t_x, T, epsabs=0, epsrel=1e-13
    )[0]
    log_front = (
        special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    )
    return log_front + math.log((alpha + T) ** -(r + x) * (beta + T) ** -s + s * integral)


@pytest.mark.parametrize(
    "theta",
    [
        (0.553, 10.58, 0.606, 11.67),
        (0.9, 20.0, 1.3, 3.0),
        (2.0, 4.0, 0.4, 40.0),
        (0.5, 7.0, 1.0, 7.0),
    ],
)
def test_log_likelihood_matches_direct_integration(theta):
    rows = [
        (0, 0.0, 38.0),
        (1, 1.7, 38.86),
        (2, 30.43, 38.86),
        (7, 20.0, 30.0),
        (25, 35.0, 36.0),
        (3, 10.0, 10.0),
    ]
    want = sum(likelihood_by_quadrature(theta, *row) for row in rows)
    x, t_x, T = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    assert paretonbd.log_likelihood(theta, x, t_x, T) == pytest.approx(want, rel=1e-9)


def test_gradient_matches_finite_differences(cal):
    (x, t, T), w = compress(
        [cal["frequency"].to_numpy().astype(float), cal["recency"].to_numpy(), cal["T"].to_numpy()]
    )
    d = paretonbd._Data(x, t, T, w)
    for theta in ([0.55, 10.5, 0.6, 11.7], [0.55, 12.5, 0.6, 3.7], [1.2, 3.0, 2.0, 30.0]):
        phi = np.log(theta)
        _, g = paretonbd._value_grad(phi, d)
        h = 1e-6
        g_num = [
            (
                paretonbd._value_grad(phi + h * e, d, False)[0]
                - paretonbd._value_grad(phi - h * e, d, False)[0]
            )
            / (2 * h)
            for e in np.eye(4)
        ]
        np.testing.assert_allclose(g, g_num, rtol=1e-5, atol=1e-3)


def test_parameter_recovery_on_simulated_data():
    true = {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 12.0}
    rng = np.random.default_rng(5)
    sim = simulate.simulate_paretonbd(12_000, **true, T=rng.uniform(26, 78, 12_000), seed=9)
    f = paretonbd.fit(sim["frequency"], sim["recency"], sim["T"])
    assert f.converged
    for name, value in true.items():
        z = (f.params[name] - value) / f.standard_errors[name]
        assert abs(z) < 4, (name, f.params[name], f.standard_errors[name])


def test_weights_equal_expanded_rows(cal):
    x, t, T = (
        cal["frequency"].to_numpy().astype(float),
        cal["recency"].to_numpy(),
        cal["T"].to_numpy(),
    )
    (ux, ut, uT), w = compress([x, t, T])
    a = paretonbd.fit(ux, ut, uT, weights=w)
    b = paretonbd.fit(x, t, T)
    for name in PUBLISHED:
        assert a.params[name] == pytest.approx(b.params[name], rel=1e-5)


def test_p_alive_and_expectation_against_the_note(fitted):
    """P(alive) = 1 / (1 + s/(r+s+x) (a+T)^(r+x) (b+T)^s A0) with A0 from the 2F1 closed form."""
    r, alpha, s, beta = (fitted.params[k] for k in ("r", "alpha", "s", "beta"))
    x, t_x, T = 2.0, 30.43, 38.86
    m = r + s + x

    def f(tau):
        if alpha >= beta:
            z = (alpha - beta) / (alpha + tau)
            return special.hyp2f1(m, s + 1, m + 1, z) / (alpha + tau) ** m
        z = (beta - alpha) / (beta + tau)
        return special.hyp2f1(m, r + x, m + 1, z) / (beta + tau) ** m

    a0 = f(t_x) - f(T)
    p = 1 / (1 + s / m * (alpha + T) ** (r + x) * (beta + T) ** s * a0)
    assert fitted.p_alive([x], [t_x], [T])[0] == pytest.approx(p, rel=1e-10)
    t = 39.0
    e = (
        (r + x)
        * (beta + T)
        / ((alpha + T) * (s - 1))
        * (1 - ((beta + T) / (beta + T + t)) ** (s - 1))
        * p
    )
    assert fitted.expected_purchases(t, [x], [t_x], [T])[0] == pytest.approx(e, rel=1e-10)


def test_expectation_is_continuous_at_s_equal_one():
    below = paretonbd.conditional_expected_purchases(
        (0.5, 10, 1 - 1e-9, 10), 20.0, [3], [10.0], [30.0]
    )
    at = paretonbd.conditional_expected_purchases((0.5, 10, 1.0, 10), 20.0, [3], [10.0], [30.0])
    assert np.isfinite(at[0]) and at[0] == pytest.approx(below[0], rel=1e-7)


params = st.tuples(st.floats(0.05, 5), st.floats(0.5, 50), st.floats(0.05, 5), st.floats(0.5, 50))
rfm = st.tuples(st.integers(0, 60), st.floats(0, 1), st.floats(0.1, 150))


@settings(max_examples=150, deadline=None)
@given(p=params, row=rfm)
def test_p_alive_is_a_probability(p, row):
    x, frac, T = row
    t_x = frac * T if x > 0 else 0.0
    value = paretonbd.p_alive(p, [x], [t_x], [T])[0]
    assert 0.0 <= value <= 1.0


@settings(max_examples=100, deadline=None)
@given(p=params, row=rfm, horizons=st.lists(st.floats(0, 200), min_size=2, max_size=5))
def test_expected_purchases_grow_with_the_horizon(p, row, horizons):
    x, frac, T = row
    t_x = frac * T if x > 0 else 0.0
    values = [
        paretonbd.conditional_expected_purchases(p, h, [x], [t_x], [T])[0] for h in sorted(horizons)
    ]
    assert all(np.isfinite(values)) and values[0] >= 0
    assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(values, values[1:], strict=False))
