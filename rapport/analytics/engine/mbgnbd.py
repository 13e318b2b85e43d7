"""Modified BG/NBD model (Batislam, Denizel & Filiztekin 2007).

BG/NBD lets a customer drop out only after a repeat purchase, so everyone without one is
"certainly alive" (P(alive) = 1) however long ago they bought. The modified model lets a customer
also drop out right after the first purchase: with lambda ~ Gamma(r, alpha) and the drop-out
probability p ~ Beta(a, b), per customer with (x, t_x, T)

    LL = ln G(r+x) - ln G(r) + r ln(alpha) + ln B(a, b+x+1) - ln B(a, b)
         + ln[ (alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x) ]

    P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))
    E[X(T, T+t)] = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)]
                   * P(alive),  z = t/(alpha+T+t)

The fit, gradient and Hessian are BG/NBD's with the shift (``bgnbd._Data``).
"""

from __future__ import annotations

import numpy as np

from . import _fit, bgnbd
from ._rows import ArrayLike, check_rfm

__all__ = [
    "PARAM_NAMES",
    "MBGNBDFit",
    "conditional_expected_purchases",
    "fit",
    "log_likelihood",
    "p_alive",
]

PARAM_NAMES = bgnbd.PARAM_NAMES
SHIFT = 1


def log_likelihood(
    params: dict[str, float] | tuple[float, float, float, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Weighted total modified BG/NBD log-likelihood at ``params`` (r, alpha, a, b)."""
    return bgnbd._log_likelihood(params, frequency, recency, T, weights, shift=SHIFT)


def fit(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    seed: int = 0,
) -> MBGNBDFit:
    """Maximum-likelihood modified BG/NBD fit (identical rows merged; analytic Hessian)."""
    return bgnbd._fit_model(
        frequency, recency, T, weights, seed=seed, shift=SHIFT, result=MBGNBDFit
    )


def p_alive(
    params: dict[str, float] | tuple[float, float, float, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """P(alive at T | x, t_x, T); below 1 for every customer, one-time buyers too."""
    return bgnbd._p_alive(params, frequency, recency, T, shift=SHIFT)


def conditional_expected_purchases(
    params: dict[str, float] | tuple[float, float, float, float],
    t: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T] = bracket(x, T, t) * P(alive)."""
    theta = bgnbd._theta(params)
    x, t_x, t_cal = check_rfm(frequency, recency, T)
    return bgnbd._bracket(theta, float(t), x, t_cal, SHIFT) * p_alive(theta, x, t_x, t_cal)


class MBGNBDFit(_fit.PurchaseModelFit):
    """Fitted modified BG/NBD model: parameters, log-likelihood, SEs, per-customer predictions."""

    p_alive_of = staticmethod(p_alive)
    expected_purchases_of = staticmethod(conditional_expected_purchases)
