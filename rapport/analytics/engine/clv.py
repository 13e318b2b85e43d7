"""Customer lifetime value and one-call scoring of every customer.

CLV over a horizon of H weeks, in discrete steps of ``step_weeks`` (default one month = 52/12 weeks),
discounted at an annual rate d — the discrete-step scheme of lifetimes' ``customer_lifetime_value``:

    t_k   = min(k * step, H),  k = 1..K,  K = ceil(H / step),  t_0 = 0
    CLV_i = margin * E[M_i] * sum_k (E[X_i(t_k)] - E[X_i(t_{k-1})]) / (1 + d) ** (t_k / 52)

where E[X_i(t)] is the transaction model's conditional expected number of purchases in (T, T+t]
and E[M_i] the Gamma-Gamma conditional expected average order value; each step's purchases are
discounted at the step's end. For BG/NBD, the modified BG/NBD and Pareto/NBD, E[X_i(t)] = G(x, T, t) * P(alive),
with G depending only on (x, T), so G is computed once per distinct (x, T) and per step.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from . import bgnbd, gammagamma, mbgnbd, paretonbd
from ._fit import FitResult
from ._rows import ArrayLike, as_float, check_rfm, factorize

__all__ = ["WEEKS_PER_YEAR", "customer_lifetime_value", "score", "step_times"]

WEEKS_PER_YEAR = 52.0
MONTH_WEEKS = WEEKS_PER_YEAR / 12.0

TransactionFit = bgnbd.BGNBDFit | mbgnbd.MBGNBDFit | paretonbd.ParetoNBDFit


def step_times(horizon_weeks: float, step_weeks: float = MONTH_WEEKS) -> np.ndarray:
    """Ends of the discrete CLV steps: step, 2 step, ..., capped at the horizon (last one = H)."""
    if horizon_weeks <= 0:
        return np.zeros(0)
    k = math.ceil(horizon_weeks / step_weeks - 1e-12)
    return np.minimum(np.arange(1, k + 1) * step_weeks, horizon_weeks)


def _model_pieces(
    fit: TransactionFit, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, times: list[float]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """P(alive) per row and G(x, T, t) per row for each t in ``times`` (G from distinct (x, T))."""
    (px, pT), pair = factorize([x, T])
    if isinstance(fit, bgnbd.BGNBDFit):
        theta = bgnbd._theta(fit.params)
        alive = bgnbd.p_alive(theta, x, t_x, T)
        curves = [bgnbd._bracket(theta, t, px, pT)[pair] for t in times]
    elif isinstance(fit, mbgnbd.MBGNBDFit):
        theta = bgnbd._theta(fit.params)
        alive = mbgnbd.p_alive(theta, x, t_x, T)
        curves = [bgnbd._bracket(theta, t, px, pT, mbgnbd.SHIFT)[pair] for t in times]
    elif isinstance(fit, paretonbd.ParetoNBDFit):
        theta = paretonbd._theta(fit.params)
        alive = paretonbd._p_alive_rows(theta, paretonbd._Data(x, t_x, T, np.ones(len(x))))
        curves = [paretonbd._rate_factor(theta, t, px, pT)[pair] for t in times]
    else:
        raise TypeError(f"unsupported transaction model: {type(fit).__name__}")
    return alive, curves


def _clv_factor(
    curves: list[np.ndarray], times: np.ndarray, annual_discount_rate: float
) -> np.ndarray:
    """sum_k (G(t_k) - G(t_{k-1})) / (1+d)^(t_k/52): discounted expected purchases / P(alive)."""
    total = np.zeros_like(curves[0]) if curves else np.zeros(0)
    previous = np.zeros_like(total)
    for t, g in zip(times, curves, strict=True):
        total += (g - previous) / (1.0 + annual_discount_rate) ** (t / WEEKS_PER_YEAR)
        previous = g
    return total


def customer_lifetime_value(
    transaction_fit: TransactionFit,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    expected_avg_value: ArrayLike,
    *,
    horizon_weeks: float = 52.0,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    step_weeks: float = MONTH_WEEKS,
) -> np.ndarray:
    """Discounted CLV per customer over ``horizon_weeks`` (formula in the module docstring)."""
    x, t_x, t_cal = check_rfm(frequency, recency, T)
    value = as_float(expected_avg_value, "expected_avg_value")
    times = step_times(horizon_weeks, step_weeks)
    if not len(times):
        return np.zeros(len(x))
    (ux, ut, uT), inverse = factorize([x, t_x, t_cal])
    alive, curves = _model_pieces(transaction_fit, ux, ut, uT, list(times))
    factor = (alive * _clv_factor(curves, times, annual_discount_rate))[inverse]
    return margin * value * factor


def score(
    summary: pl.DataFrame,
    transaction_fit: TransactionFit,
    spend_fit: FitResult | None = None,
    *,
    horizon_weeks: float = 52.0,
    annual_discount_rate: float = 0.10,
    margin: float | np.ndarray = 1.0,
    step_weeks: float = MONTH_WEEKS,
) -> pl.DataFrame:
    """Score every customer of an RFM ``summary`` (columns frequency, recency, T, and monetary if
    ``spend_fit`` is given; other columns such as ``customer`` are kept in front).

    Adds ``p_alive``, ``expected_purchases`` (over ``horizon_weeks``), ``expected_avg_value``
    and ``value_basis`` (see :func:`expected_values`) and ``clv``; ``margin`` (a number or one per
    customer) turns revenue into margin. Work is done once per
    distinct (x, t_x, T) and broadcast back, so a million customers take a fraction of a second.
    """
    x, t_x, t_cal = check_rfm(summary["frequency"], summary["recency"], summary["T"])
    times = step_times(horizon_weeks, step_weeks)
    (ux, ut, uT), inverse = factorize([x, t_x, t_cal])
    grid = list(times) if len(times) else [0.0]
    alive_u, curves = _model_pieces(transaction_fit, ux, ut, uT, grid)
    expected_u = alive_u * curves[-1] if len(times) else np.zeros(len(ux))
    factor_u = (
        alive_u * _clv_factor(curves, times, annual_discount_rate) if len(times) else expected_u
    )
    value, basis = expected_values(summary, spend_fit, x)
    return summary.with_columns(
        pl.Series("p_alive", alive_u[inverse]),
        pl.Series("expected_purchases", expected_u[inverse]),
        pl.Series("expected_avg_value", value),
        pl.Series("clv", margin * value * factor_u[inverse]),
        pl.Series("value_basis", basis),
    )


VALUE_BASES = ("own", "population", "none")


def expected_values(
    summary: pl.DataFrame, spend_fit: FitResult | None, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Expected average order per customer and what it rests on (``VALUE_BASES``):

    * ``own``: Gamma-Gamma's blend of the customer's own repeat purchases (x > 0, m_x > 0) with
      the population's mean (or, without a spend model, the customer's own ``monetary``);
    * ``population``: no repeat purchase with a value to learn from: the population's mean
      p gamma / (q - 1) — the same figure for every such customer;
    * ``none``: the customer never paid anything (``paid`` = 0, when the summary has it): 0.
    """
    monetary = (
        as_float(summary["monetary"], "monetary")
        if "monetary" in summary.columns
        else np.zeros(len(x))
    )
    own = (x > 0) & (monetary > 0)
    if spend_fit is not None:
        p, q, g = (spend_fit.params[k] for k in ("p", "q", "gamma"))
        value = np.where(
            own,
            gammagamma.conditional_expected_average_value(spend_fit.params, x, monetary),
            p * g / (q - 1.0),
        )
        basis = np.where(own, "own", "population")
    else:
        value = monetary.copy()
        basis = np.where(monetary > 0, "own", "none")
    if "paid" in summary.columns:
        never = as_float(summary["paid"], "paid") <= 0
        value = np.where(never, 0.0, value)
        basis = np.where(never, "none", basis)
    return value, basis.astype(object)
