"""Fitting: BG/NBD and Gamma-Gamma on every customer, Pareto/NBD and the calibration/holdout
check on a sample, and the fits as ModelFit stores them."""

from __future__ import annotations

import math
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from rapport.analytics import engine
from rapport.analytics.services.summary import calibration_inputs

HOLDOUT_WEEKS = 26
MIN_HOLDOUT_CUSTOMERS = 20
COMPARISON_SAMPLE = 50_000  # Pareto/NBD and the holdout check run on at most this many customers
SAMPLE_SEED = 4


@dataclass
class Fits:
    bgnbd: engine.BGNBDFit
    pareto_nbd: engine.ParetoNBDFit | None
    gamma_gamma: engine.GammaGammaFit | None
    notes: list[str] = field(default_factory=list)
    comparison: dict[str, Any] = field(default_factory=dict)  # log-likelihoods on one sample


def finite(value: Any) -> Any:
    """JSON-safe: NaN and ±inf become None (PostgreSQL's jsonb rejects them)."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def fit_json(fit: engine.FitResult | None, note: str = "") -> dict[str, Any]:
    """A fit as stored in ModelFit: parameters, SEs, log-likelihood, convergence (and notes)."""
    if fit is None:
        return {"error": note} if note else {}
    return finite(
        {
            "params": fit.params,
            "standard_errors": fit.standard_errors,
            "log_likelihood": fit.log_likelihood,
            "converged": fit.converged,
            "method": fit.method,
            "customers": fit.n_customers,
            "distinct_rows": fit.n_rows,
            **({"notes": note} if note else {}),
        }
    )


def _sample(frame: pl.DataFrame, size: int) -> pl.DataFrame:
    """At most `size` rows, drawn at random with a fixed seed (the same customers every time)."""
    return frame if frame.height <= size else frame.sample(size, seed=SAMPLE_SEED)


def fit_models(inputs: pl.DataFrame) -> Fits:
    """BG/NBD and Gamma-Gamma (when usable) on every customer; Pareto/NBD, for the comparison, on
    a random sample of at most COMPARISON_SAMPLE customers (its fit costs ten times BG/NBD's)."""
    x, t_x, T = inputs["frequency"], inputs["recency"], inputs["T"]
    notes: list[str] = []
    bg = engine.bgnbd.fit(x, t_x, T)
    if not bg.converged:
        notes.append("BG/NBD did not converge: the history has too little repeat buying.")
    gg = None
    try:
        gg = engine.gammagamma.fit(x, inputs["monetary"])
        if gg.params["q"] <= 1:  # E[M] = p (γ + x m) / (p x + q − 1) needs q > 1
            notes.append("Gamma-Gamma q <= 1: customers' own averages are used instead.")
            gg = None
        elif not gg.converged:
            notes.append("Gamma-Gamma did not converge.")
    except ValueError as exc:
        notes.append(f"Gamma-Gamma: {exc}")
    fits = Fits(bgnbd=bg, pareto_nbd=None, gamma_gamma=gg, notes=notes)
    sample = _sample(inputs, COMPARISON_SAMPLE)
    try:
        fits.pareto_nbd = engine.paretonbd.fit(sample["frequency"], sample["recency"], sample["T"])
    except (ValueError, FloatingPointError) as exc:
        notes.append(f"Pareto/NBD: {exc}")
        return fits
    fits.comparison = {"customers": sample.height, "pareto_nbd": fits.pareto_nbd.log_likelihood}
    fits.comparison["bgnbd"] = (
        bg
        if sample.height == inputs.height
        else engine.bgnbd.fit(sample["frequency"], sample["recency"], sample["T"])
    ).log_likelihood
    return fits


def holdout_check(summary: pl.DataFrame, *, calibration_end: date, as_of: date) -> dict[str, Any]:
    """Fit on the calibration period, predict the holdout period, compare with what happened —
    on a random sample of at most COMPARISON_SAMPLE of the customers first seen by then."""
    cal = _sample(
        calibration_inputs(summary, calibration_end=calibration_end, as_of=as_of), COMPARISON_SAMPLE
    )
    out: dict[str, Any] = {
        "calibration_end": calibration_end.isoformat(),
        "holdout_weeks": (as_of - calibration_end).days / engine.summary.DAYS_PER_WEEK,
        "customers": cal.height,
    }
    if cal.height < MIN_HOLDOUT_CUSTOMERS or not cal["frequency"].sum():
        out["error"] = "too few customers with repeat purchases before the calibration end"
        return out
    x, t_x, T = cal["frequency"], cal["recency"], cal["T"]
    models: list[tuple[str, Any]] = [("bgnbd", engine.bgnbd.fit(x, t_x, T))]
    with suppress(ValueError, FloatingPointError):
        models.append(("pareto_nbd", engine.paretonbd.fit(x, t_x, T)))
    for name, model in models:
        comparison = engine.holdout_comparison(cal, model)
        predicted, actual = comparison.per_customer["predicted"], comparison.per_customer["actual"]
        error = predicted - actual
        out[name] = finite(
            {
                "params": model.params,
                "total_predicted": comparison.total_predicted,
                "total_actual": comparison.total_actual,
                "mean_absolute_error": float(error.abs().mean()),
                "rmse": float((error**2).mean() ** 0.5),
                "correlation": float(np.corrcoef(predicted, actual)[0, 1])
                if cal.height > 1 and actual.std() and predicted.std()
                else None,
                "chart": comparison.chart_data(),
            }
        )
    return out


def fit_fields(fits: Fits | None) -> dict[str, dict[str, Any]]:
    if fits is None:
        return {"bgnbd": {"error": "no purchases"}, "pareto_nbd": {}, "gamma_gamma": {}}
    notes = "; ".join(fits.notes)
    pareto = fit_json(fits.pareto_nbd, notes)
    if fits.pareto_nbd is not None:
        pareto["comparison"] = finite(fits.comparison)
    return {
        "bgnbd": fit_json(fits.bgnbd, notes),
        "pareto_nbd": pareto,
        "gamma_gamma": fit_json(fits.gamma_gamma, "" if fits.gamma_gamma else notes),
    }
