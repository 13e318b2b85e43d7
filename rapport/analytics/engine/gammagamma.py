"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves";
Fader & Hardie, "The Gamma-Gamma Model of Monetary Value", 2013).

Each transaction value ~ Gamma(p, rate nu) with nu ~ Gamma(q, rate gamma) across customers. For a
customer with x repeat transactions of mean value m_x:

    LL = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m_x + px ln x - (px+q) ln(gamma + x m_x)

Only customers with x > 0 and m_x > 0 carry information. The fit uses the analytic gradient and
Hessian; the gamma-function terms depend only on x and are summed per distinct x.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import _fit
from ._rows import ArrayLike, as_float, compress, group_runs

__all__ = [
    "PARAM_NAMES",
    "GammaGammaFit",
    "conditional_expected_average_value",
    "fit",
    "log_likelihood",
]

PARAM_NAMES = ("p", "q", "gamma")


class _Data:
    """Rows with x > 0 and m_x > 0, weighted, with parameter-free sums precomputed."""

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> None:
        keep = (x > 0) & (m > 0) & (w > 0)
        self.x, self.m, self.w = x[keep], m[keep], w[keep]
        self.xm = self.x * self.m
        self.w_total = float(self.w.sum())
        self.ux, inv = group_runs(self.x)  # x arrives sorted from compress
        self.wx = np.bincount(inv, weights=self.w)
        self.s_wx = float(self.w @ self.x)  # sum w x
        self.s_wx_logxm = float(self.w @ (self.x * (np.log(self.m) + np.log(self.x))))
        self.s_w_logm = float(self.w @ np.log(self.m))


def _fgh(
    theta: np.ndarray, d: _Data, need_hess: bool = True
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total log-likelihood, gradient and Hessian in natural parameters (p, q, gamma)."""
    p, q, g = theta
    u, wx = d.ux, d.wx
    pu = p * u
    log_den = np.log(g + d.xm)
    ll = (
        wx @ (special.gammaln(pu + q) - special.gammaln(pu))
        - d.w_total * special.gammaln(q)
        + d.w_total * q * np.log(g)
        + p * d.s_wx_logxm
        - d.s_w_logm
        - p * (d.w @ (d.x * log_den))
        - q * (d.w @ log_den)
    )
    psi_puq, psi_pu = special.digamma(pu + q), special.digamma(pu)
    inv_den = 1.0 / (g + d.xm)
    grad = np.array(
        [
            wx @ (u * (psi_puq - psi_pu)) + d.s_wx_logxm - d.w @ (d.x * log_den),
            wx @ psi_puq - d.w_total * special.digamma(q) + d.w_total * np.log(g) - d.w @ log_den,
            d.w_total * q / g - p * (d.w @ (d.x * inv_den)) - q * (d.w @ inv_den),
        ]
    )
    H = np.zeros((3, 3))
    if need_hess:
        t_puq, t_pu = special.polygamma(1, pu + q), special.polygamma(1, pu)
        H[0, 0] = wx @ (u**2 * (t_puq - t_pu))
        H[0, 1] = wx @ (u * t_puq)
        H[0, 2] = -(d.w @ (d.x * inv_den))
        H[1, 1] = wx @ t_puq - d.w_total * special.polygamma(1, q)
        H[1, 2] = d.w_total / g - d.w @ inv_den
        H[2, 2] = -d.w_total * q / g**2 + p * (d.w @ (d.x * inv_den**2)) + q * (d.w @ inv_den**2)
        H = H + np.triu(H, 1).T
    return float(ll), grad, H


def _theta(params: dict[str, float] | tuple[float, ...] | np.ndarray) -> np.ndarray:
    return _fit.params_array(params, PARAM_NAMES)


def _inputs(frequency: ArrayLike, monetary: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x, m = as_float(frequency, "frequency"), as_float(monetary, "monetary")
    if len(x) != len(m):
        raise ValueError("frequency and monetary must have the same length")
    if np.any(x < 0) or np.any(m < 0):
        raise ValueError("frequency and monetary must be non-negative")
    return x, m


def log_likelihood(
    params: dict[str, float] | tuple[float, float, float],
    frequency: ArrayLike,
    monetary: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Weighted Gamma-Gamma log-likelihood over customers with frequency > 0 and monetary > 0."""
    x, m = _inputs(frequency, monetary)
    w = np.ones(len(x)) if weights is None else as_float(weights, "weights")
    return _fgh(_theta(params), _Data(x, m, w), need_hess=False)[0]


class GammaGammaFit(_fit.FitResult):
    """Fitted Gamma-Gamma model with the conditional expected average order value."""

    def expected_average_value(self, frequency: ArrayLike, monetary: ArrayLike) -> np.ndarray:
        """E[M | x, m_x] per customer (see :func:`conditional_expected_average_value`)."""
        return conditional_expected_average_value(self.params, frequency, monetary)


def fit(
    frequency: ArrayLike,
    monetary: ArrayLike,
    weights: ArrayLike | None = None,
) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on customers with frequency > 0 and monetary > 0
    (others are ignored); identical (x, m_x) rows are merged into weights first."""
    x, m = _inputs(frequency, monetary)
    keep = (x > 0) & (m > 0)
    w_in = None if weights is None else as_float(weights, "weights")[keep]
    (ux, um), w = compress([x[keep], m[keep]], w_in)
    data = _Data(ux, um, w)
    if data.w_total <= 0:
        raise ValueError(
            "Gamma-Gamma needs at least one customer with frequency > 0 and monetary > 0"
        )
    sc = 1.0 / data.w_total  # why: optimise the mean, so tolerances don't depend on n

    def objective(phi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        theta = np.exp(phi)
        ll, g, H = _fgh(theta, data)
        return -ll * sc, -g * theta * sc, -_fit.log_hessian_from_natural(theta, g, H) * sc

    # method of moments-ish start: mean spend ~ p gamma / (q - 1)
    mean_m = float(data.w @ data.m) / data.w_total
    starts = [np.log([2.0, 3.0, 2.0 * mean_m / 2.0]), np.zeros(3), np.log([1.0, 1.0, mean_m])]
    solution = _fit.minimize_log_params(objective, starts, has_hessian=True, n_rows=len(data.x))
    theta = np.exp(solution[0])
    ll, _, H = _fgh(theta, data)
    cov = _fit.covariance_from_hessian(-H)
    return GammaGammaFit.of(
        PARAM_NAMES, theta, ll, cov, n_customers=data.w_total, n_rows=len(data.x), solution=solution
    )


def conditional_expected_average_value(
    params: dict[str, float] | tuple[float, float, float],
    frequency: ArrayLike,
    monetary: ArrayLike,
) -> np.ndarray:
    """E[M | p, q, gamma, x, m_x] = p (gamma + x m_x) / (p x + q - 1): a weighted average of the
    population mean p gamma / (q - 1) and the customer's own m_x. Needs q > 1."""
    p, q, g = _theta(params)
    x, m = _inputs(frequency, monetary)
    return p * (g + x * m) / (p * x + q - 1.0)
