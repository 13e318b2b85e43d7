"""Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

Likelihood as derived in Fader & Hardie, "A Note on Deriving the Pareto/NBD Model and Related
Expressions" (2005): with lambda ~ Gamma(r, alpha) and mu ~ Gamma(s, beta),

    L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) * A0 ]

Writing ``F(x, tau) = int_tau^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du``, the A0 term is
``(r+s+x) (F(x, t_x) - F(x, T))`` and F has the Gaussian hypergeometric closed form

    alpha >= beta:  F = (alpha+tau)^-m / m * 2F1(s+1, m; m+1; (alpha-beta)/(alpha+tau))
    alpha <  beta:  F = (beta+tau)^-m  / m * 2F1(r+x, m; m+1; (beta-alpha)/(beta+tau)),  m = r+s+x

(both series have 0 <= z < 1). Everything is done in log space. F depends only on (x, tau), so it
is evaluated once per distinct (x, tau) pair — a few thousand for day-level data — and its
log-parameter derivatives come from central differences on those pairs; the rest of the gradient
is analytic, so the per-row work stays a handful of vector operations.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import _fit
from ._rows import ArrayLike, as_float, check_rfm, compress, factorize, group_runs

__all__ = [
    "PARAM_NAMES",
    "ParetoNBDFit",
    "conditional_expected_purchases",
    "fit",
    "log_likelihood",
    "p_alive",
]

PARAM_NAMES = ("r", "alpha", "s", "beta")
_FD_STEP = 1e-5  # central-difference step on log-parameters for d log F


def _log_f(theta: np.ndarray, x: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """log F(x, tau) via scipy's hyp2f1, choosing the branch with 0 <= z < 1."""
    r, alpha, s, beta = theta
    m = r + s + x
    if alpha >= beta:
        big = alpha + tau
        hyp = special.hyp2f1(s + 1.0, m, m + 1.0, (alpha - beta) / big)
    else:
        big = beta + tau
        hyp = special.hyp2f1(r + x, m, m + 1.0, (beta - alpha) / big)
    return -m * np.log(big) - np.log(m) + np.log(hyp)


class _Data:
    """De-duplicated weighted rows plus the distinct (x, tau) pairs F is needed at."""

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray) -> None:
        self.x, self.t_x, self.T, self.w = x, t_x, T, w
        self.w_total = float(w.sum())
        self.ux, inv = group_runs(x)  # x arrives sorted from compress
        self.wx = np.bincount(inv, weights=w)  # weight per distinct x for the x-only terms
        (self.px, self.ptau), pair = factorize([np.concatenate([x, x]), np.concatenate([t_x, T])])
        self.i1, self.i2 = pair[: len(x)], pair[len(x) :]  # F(x, t_x) and F(x, T) rows
        self.has_gap = t_x < T  # where t_x == T the A0 term is exactly 0


def _pair_logf(theta: np.ndarray, d: _Data, grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """log F on the pairs and, if ``grad``, its derivatives w.r.t. log-parameters (k x 4)."""
    lf = _log_f(theta, d.px, d.ptau)
    if not grad:
        return lf, None
    dlf = np.empty((len(lf), 4))
    for j in range(4):
        up, down = theta.copy(), theta.copy()
        up[j] *= np.exp(_FD_STEP)
        down[j] *= np.exp(-_FD_STEP)
        dlf[:, j] = (_log_f(up, d.px, d.ptau) - _log_f(down, d.px, d.ptau)) / (2 * _FD_STEP)
    return lf, dlf


def _terms(
    theta: np.ndarray, d: _Data, lf: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row L1 = log of the 'alive at T' term, L2 = log of the A0 term, and e = F2 / F1."""
    r, alpha, s, beta = theta
    lT_a, lT_b = np.log(alpha + d.T), np.log(beta + d.T)
    l1 = -(r + d.x) * lT_a - s * lT_b
    lf1, lf2 = lf[d.i1], lf[d.i2]
    e = np.where(d.has_gap, np.exp(np.minimum(lf2 - lf1, 0.0)), 1.0)
    with np.errstate(divide="ignore"):
        l2 = np.where(
            d.has_gap, np.log(s) + lf1 + np.log(-np.expm1(np.minimum(lf2 - lf1, 0.0))), -np.inf
        )
    return l1, l2, e


def _value_grad(phi: np.ndarray, d: _Data, grad: bool = True) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient with respect to phi = log(r, alpha, s, beta)."""
    theta = np.exp(phi)
    r, alpha, s, beta = theta
    u = d.ux
    ll = float(d.wx @ (special.gammaln(r + u) - special.gammaln(r))) + d.w_total * (
        r * np.log(alpha) + s * np.log(beta)
    )
    lf, dlf = _pair_logf(theta, d, grad)
    l1, l2, e = _terms(theta, d, lf)
    mix = np.logaddexp(l1, l2)
    ll += float(d.w @ mix)
    if not grad:
        return ll, np.zeros(4)
    assert dlf is not None
    w1 = d.w * np.exp(l1 - mix)  # weight of the "alive at T" branch = P(alive)
    w2 = d.w - w1
    g = np.array(
        [
            r * float(d.wx @ (special.digamma(r + u) - special.digamma(r)))
            + d.w_total * r * np.log(alpha),
            d.w_total * r,
            d.w_total * s * np.log(beta),
            d.w_total * s,
        ]
    )
    inv_a, inv_b = 1.0 / (alpha + d.T), 1.0 / (beta + d.T)
    g += np.array(
        [
            -r * (w1 @ np.log(alpha + d.T)),
            -alpha * (w1 @ ((r + d.x) * inv_a)),
            -s * (w1 @ np.log(beta + d.T)),
            -beta * s * (w1 @ inv_b),
        ]
    )
    # d log(F1 - F2) = (dlF1 - e dlF2) / (1 - e); rows without a gap carry w2 = 0
    one_minus_e = np.where(d.has_gap, 1.0 - e, 1.0)
    scale = np.where(d.has_gap, w2 / one_minus_e, 0.0)
    g += dlf[d.i1].T @ scale - dlf[d.i2].T @ (scale * e)
    g[2] += float(w2.sum())  # d log s / d log s
    return ll, g


def log_likelihood(
    params: dict[str, float] | tuple[float, float, float, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Weighted total Pareto/NBD log-likelihood at ``params`` (r, alpha, s, beta)."""
    theta = _theta(params)
    x, t_x, t_cal = check_rfm(frequency, recency, T)
    w = np.ones(len(x)) if weights is None else as_float(weights, "weights")
    (ux, ut, uT), uw = compress([x, t_x, t_cal], w)
    return _value_grad(np.log(theta), _Data(ux, ut, uT, uw), grad=False)[0]


def _theta(params: dict[str, float] | tuple[float, ...] | np.ndarray) -> np.ndarray:
    return _fit.params_array(params, PARAM_NAMES)


def fit(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    seed: int = 0,
    polish: bool = True,
) -> ParetoNBDFit:
    """Maximum-likelihood Pareto/NBD fit (L-BFGS-B on log-parameters, identical rows merged).
    ``polish=False`` skips the slow Nelder-Mead polish of a fit that did not converge (the
    model choice's validation fits only need its predictions).

    Standard errors: numerical Hessian (central differences of the gradient) on the log scale,
    inverted and carried to the natural scale by the delta method.
    """
    x, t_x, t_cal = check_rfm(frequency, recency, T)
    (ux, ut, uT), w = compress(
        [x, t_x, t_cal], None if weights is None else as_float(weights, "weights")
    )
    data = _Data(ux, ut, uT, w)

    def objective_for(dd: _Data) -> _fit.Objective:
        sc = 1.0 / dd.w_total  # why: optimise the mean, so tolerances don't depend on n

        def objective(phi: np.ndarray) -> tuple[float, np.ndarray, None]:
            ll, g = _value_grad(phi, dd)
            return -ll * sc, -g * sc, None

        return objective

    def value_only(phi: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            return -_value_grad(phi, data, grad=False)[0] / data.w_total

    mean_T = max(float(data.w @ data.T) / data.w_total, 1e-3)
    mean_x = float(data.w @ data.x) / data.w_total
    starts = [
        np.log([1.0, max(mean_T / max(mean_x, 0.05), 1e-3), 1.0, mean_T]),
        np.zeros(4),
        np.log([0.5, 10.0, 0.5, 10.0]),
    ]
    sample = _fit.warm_start_sample(data, np.random.default_rng(seed))
    solution = _fit.minimize_with_warm_start(
        objective_for,
        data,
        sample,
        starts,
        has_hessian=False,
        gtol=1e-10,
        n_rows=len(ux),
        value_only=value_only,
        polish=polish,
    )
    phi = solution[0]
    ll = float(_value_grad(phi, data, grad=False)[0])
    h_phi = _fit.numerical_hessian(lambda p: -_value_grad(p, data)[1], phi)
    theta = np.exp(phi)
    cov = _fit.log_to_natural_covariance(_fit.covariance_from_hessian(h_phi), theta)
    return ParetoNBDFit.of(
        PARAM_NAMES, theta, ll, cov, n_customers=data.w_total, n_rows=len(ux), solution=solution
    )


def _unique_rows(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[_Data, np.ndarray]:
    x, t_x, t_cal = check_rfm(frequency, recency, T)
    (ux, ut, uT), inverse = factorize([x, t_x, t_cal])
    return _Data(ux, ut, uT, np.ones(len(ux))), inverse


def _p_alive_rows(theta: np.ndarray, d: _Data) -> np.ndarray:
    l1, l2, _ = _terms(theta, d, _log_f(theta, d.px, d.ptau))
    return np.exp(l1 - np.logaddexp(l1, l2))


def p_alive(
    params: dict[str, float] | tuple[float, float, float, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + s (alpha+T)^(r+x) (beta+T)^s (F(x,t_x) - F(x,T)))."""
    theta = _theta(params)
    d, inverse = _unique_rows(frequency, recency, T)
    return _p_alive_rows(theta, d)[inverse]


def _rate_factor(theta: np.ndarray, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """(r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)], stable at s = 1 via exprel."""
    r, alpha, s, beta = theta
    L = np.log1p(t / (beta + T))
    # [1 - exp(-(s-1) L)] / (s-1) = L * exprel(-(s-1) L)
    return (r + x) * (beta + T) / (alpha + T) * L * special.exprel(-(s - 1.0) * L)


def conditional_expected_purchases(
    params: dict[str, float] | tuple[float, float, float, float],
    t: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T] = rate_factor(x, T, t) * P(alive)."""
    theta = _theta(params)
    d, inverse = _unique_rows(frequency, recency, T)
    return (_rate_factor(theta, float(t), d.x, d.T) * _p_alive_rows(theta, d))[inverse]


class ParetoNBDFit(_fit.PurchaseModelFit):
    """Fitted Pareto/NBD model: parameters, log-likelihood, SEs, plus per-customer predictions."""

    p_alive_of = staticmethod(p_alive)
    expected_purchases_of = staticmethod(conditional_expected_purchases)
