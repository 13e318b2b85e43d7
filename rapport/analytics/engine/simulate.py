"""Seeded simulators for the BG/NBD, Pareto/NBD and Gamma-Gamma models (tests and benchmarks).

Summaries are drawn directly from the models' generative stories, fully vectorised, so a
million-customer data set takes well under a second.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

__all__ = [
    "simulate_bgnbd",
    "simulate_bgnbd_transactions",
    "simulate_monetary",
    "simulate_paretonbd",
]


def _observation_lengths(
    rng: np.random.Generator, n: int, T: float | np.ndarray, day_grid: bool
) -> np.ndarray:
    """Broadcast/validate T (weeks) per customer; on the day grid T is rounded to whole days."""
    t_cal = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    return np.rint(t_cal * 7.0) / 7.0 if day_grid else t_cal


def _recency(
    rng: np.random.Generator,
    x: np.ndarray,
    n_events: np.ndarray,
    window: np.ndarray,
    day_grid: bool,
) -> np.ndarray:
    """Time of the x-th of ``n_events`` uniform event times on [0, window]: window * Beta(x, n-x+1)."""
    pos = x > 0
    t_x = np.zeros(len(x))
    t_x[pos] = window[pos] * rng.beta(x[pos], n_events[pos] - x[pos] + 1.0)
    if day_grid:  # why: real data are dates, so recency is a whole number of days
        t_x = np.minimum(np.floor(t_x * 7.0) / 7.0, window)
    return t_x


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | np.ndarray,
    *,
    seed: int = 0,
    day_grid: bool = False,
) -> dict[str, np.ndarray]:
    """Draw (frequency, recency, T) for ``n`` customers from the BG/NBD model.

    lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); repeat purchases are Poisson(lambda) and the
    customer dies after each repeat purchase with probability p. ``day_grid`` floors times to days.
    Returns a dict with ``frequency``, ``recency``, ``T``, ``lambda``, ``p``.
    """
    rng = np.random.default_rng(seed)
    t_cal = _observation_lengths(rng, n, T, day_grid)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    n_events = rng.poisson(lam * t_cal).astype(float)  # events if never dying
    death_after = rng.geometric(p).astype(float)  # repeat purchase after which the customer drops
    x = np.minimum(n_events, death_after)
    t_x = _recency(rng, x, n_events, t_cal, day_grid)
    if day_grid:  # two purchases on one day are one transaction: a crude but rare merge
        x = np.where((x > 0) & (t_x == 0), 0.0, x)
    return {"frequency": x, "recency": t_x, "T": t_cal, "lambda": lam, "p": p}


def simulate_paretonbd(
    n: int,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    T: float | np.ndarray,
    *,
    seed: int = 0,
    day_grid: bool = False,
) -> dict[str, np.ndarray]:
    """Draw (frequency, recency, T) for ``n`` customers from the Pareto/NBD model.

    lambda ~ Gamma(r, rate alpha), mu ~ Gamma(s, rate beta), lifetime ~ Exp(mu); purchases are
    Poisson(lambda) while alive. Returns ``frequency``, ``recency``, ``T``, ``lambda``, ``mu``.
    """
    rng = np.random.default_rng(seed)
    t_cal = _observation_lengths(rng, n, T, day_grid)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    window = np.minimum(rng.exponential(1.0 / mu), t_cal)
    x = rng.poisson(lam * window).astype(float)
    t_x = _recency(rng, x, x, window, day_grid)
    if day_grid:
        x = np.where((x > 0) & (t_x == 0), 0.0, x)
    return {"frequency": x, "recency": t_x, "T": t_cal, "lambda": lam, "mu": mu}


def simulate_monetary(
    frequency: np.ndarray, p: float, q: float, gamma: float, *, seed: int = 0
) -> np.ndarray:
    """Mean repeat-transaction value under Gamma-Gamma: nu ~ Gamma(q, rate gamma), each value
    ~ Gamma(p, rate nu), so the mean of x values is Gamma(p x, rate nu) / x (0 when x = 0)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1.0 / gamma, len(x))
    out = np.zeros(len(x))
    pos = x > 0
    out[pos] = rng.gamma(p * x[pos], 1.0 / nu[pos]) / x[pos]
    return out


def simulate_bgnbd_transactions(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    *,
    start: dt.date,
    acquisition_days: int,
    total_days: int,
    spend: tuple[float, float, float] | None = None,
    seed: int = 0,
) -> pl.DataFrame:
    """A BG/NBD transaction log ``customer, date, amount``: first purchases uniform over the first
    ``acquisition_days`` after ``start``, repeat purchases until ``start + total_days - 1``.

    ``spend`` = (p, q, gamma) draws Gamma-Gamma amounts (default: every amount 1.0).
    """
    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, acquisition_days, n)
    window = (total_days - 1 - first_day) / 7.0  # weeks each customer can be observed
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    n_events = rng.poisson(lam * window)
    kept = np.minimum(n_events, rng.geometric(p))
    # event k of customer i: the k-th smallest of n_events[i] uniforms on [0, window[i]]
    owner = np.repeat(np.arange(n), n_events)
    times = rng.random(len(owner)) * window[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(n_events) - n_events, n_events)
    keep = rank < kept[owner]
    owner, times = owner[keep], times[keep]
    cust = np.concatenate([np.arange(n), owner])
    day = np.concatenate([first_day, first_day[owner] + np.floor(times * 7.0).astype(np.int64)])
    if spend is None:
        amount = np.ones(len(cust))
    else:
        sp, sq, sg = spend
        nu = rng.gamma(sq, 1.0 / sg, n)
        amount = np.round(rng.gamma(sp, 1.0 / nu[cust]), 2)
    dates = np.datetime64(start, "D") + day.astype("timedelta64[D]")
    return pl.DataFrame({"customer": cust, "date": dates, "amount": amount}).with_columns(
        pl.col("date").cast(pl.Date)
    )
