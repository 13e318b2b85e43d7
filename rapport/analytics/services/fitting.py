"""Fitting: the purchase models (BG/NBD, the modified BG/NBD, Pareto/NBD), the choice of the one
that scores the customers (`engine.selection`), Gamma-Gamma, the calibration/holdout check, and
the fits as ModelFit stores them. Notes are codes with numbers; the pages word them
(`selectors.future.NOTE_TEXTS`), so they read in every language."""

from __future__ import annotations

import math
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from rapport.analytics import engine
from rapport.analytics.engine import selection
from rapport.analytics.services.summary import calibration_inputs

HOLDOUT_WEEKS = 26
MIN_HOLDOUT_CUSTOMERS = 20
FIT_SAMPLE = 200_000  # the purchase models are fitted on at most this many customers
COMPARISON_SAMPLE = 50_000  # the model choice and the holdout check run on at most this many
SAMPLE_SEED = 4
PURCHASE_MODELS = ("bgnbd", "mbgnbd", "pareto_nbd")


@dataclass
class Fits:
    models: dict[str, engine.FitResult | None]  # every purchase model, fitted for comparison
    gamma_gamma: engine.GammaGammaFit | None
    scored_by: str = ""  # the model that scores the customers ("" when none could)
    selection: dict[str, Any] = field(default_factory=dict)
    shortfall: dict[str, int] | None = None  # too little history: what there is and is needed
    notes: list[dict[str, Any]] = field(default_factory=list)  # {"code": …, numbers…}
    comparison: dict[str, Any] = field(default_factory=dict)  # log-likelihoods on one sample

    @property
    def scoring(self) -> engine.FitResult | None:
        return self.models.get(self.scored_by) if self.scored_by else None

    def note(self, code: str, **numbers: Any) -> None:
        self.notes.append({"code": code, **numbers})


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


def fit_json(fit: engine.FitResult | None, error: str = "") -> dict[str, Any]:
    """A fit as stored in ModelFit: parameters, SEs, log-likelihood, convergence, usability."""
    if fit is None:
        return {"error": error} if error else {}
    return finite(
        {
            "params": fit.params,
            "standard_errors": fit.standard_errors,
            "log_likelihood": fit.log_likelihood,
            "converged": fit.converged,
            "usable": selection.usable(fit),
            "method": fit.method,
            "customers": fit.n_customers,
            "distinct_rows": fit.n_rows,
        }
    )


def _sample(frame: pl.DataFrame, size: int) -> pl.DataFrame:
    """At most `size` rows, drawn at random with a fixed seed (the same customers every time)."""
    return frame if frame.height <= size else frame.sample(size, seed=SAMPLE_SEED)


def _fit_purchase(name: str, frame: pl.DataFrame) -> engine.FitResult | None:
    with suppress(ValueError, FloatingPointError, np.linalg.LinAlgError):
        return selection.fit_model(name, frame)
    return None


def _fit_spend(inputs: pl.DataFrame, fits: Fits) -> engine.GammaGammaFit | None:
    """Gamma-Gamma on the customers with repeat purchases of a positive value (customers who
    never paid carry no spend information and are left out), when there are enough of them."""
    spenders = int(((inputs["frequency"] > 0) & (inputs["monetary"] > 0)).sum())
    if spenders < selection.MIN_REPEAT_CUSTOMERS:
        fits.note("spend_too_few", customers=spenders, needed=selection.MIN_REPEAT_CUSTOMERS)
        return None
    try:
        gg = engine.gammagamma.fit(inputs["frequency"], inputs["monetary"])
    except ValueError:
        gg = None
    if gg is None or gg.params["q"] <= 1 or not selection.usable(gg):
        fits.note("spend_unusable")  # E[M] = p (γ + x m) / (p x + q − 1) needs q > 1
        return None
    return gg


def fit_models(inputs: pl.DataFrame, validation: pl.DataFrame | None) -> Fits:
    """Every purchase model on (a sample of at most FIT_SAMPLE of) the customers, the scoring
    model chosen on `validation` (engine.selection), Gamma-Gamma on every customer. Below the
    minimum of data no model is fitted and `shortfall` says what is missing."""
    fits = Fits(models=dict.fromkeys(PURCHASE_MODELS), gamma_gamma=None)
    if (short := selection.shortfall(inputs["frequency"])) is not None:
        fits.shortfall = short
        fits.note("too_little_history", **short)
        return fits
    sample = _sample(inputs, FIT_SAMPLE)
    for name in PURCHASE_MODELS:
        fits.models[name] = _fit_purchase(name, sample)
    chosen = selection.choose(
        None if validation is None else _sample(validation, COMPARISON_SAMPLE), fits.models
    )
    fits.selection = chosen.as_dict()
    if chosen.chosen is None:
        fits.note("no_usable_model")
    else:
        fits.scored_by = chosen.chosen
    fits.gamma_gamma = _fit_spend(inputs, fits)
    fits.comparison = {
        "customers": sample.height,
        **{n: f.log_likelihood for n, f in fits.models.items() if f is not None},
    }
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
    if cal.height < MIN_HOLDOUT_CUSTOMERS or selection.shortfall(cal["frequency"]):
        out["error"] = "too_little_history"
        return out
    for name in PURCHASE_MODELS:
        model = _fit_purchase(name, cal)
        if model is None or not all(math.isfinite(v) for v in model.params.values()):
            continue
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


def fit_fields(fits: Fits | None) -> dict[str, Any]:
    """The ModelFit columns of the fits."""
    if fits is None:  # nobody bought
        return {
            "bgnbd": {"error": "no_purchases"},
            "notes": [{"code": "no_purchases"}],
        }
    error = "too_little_history" if fits.shortfall else "not_estimable"
    out: dict[str, Any] = {name: fit_json(fits.models[name], error) for name in PURCHASE_MODELS}
    if fits.models.get("pareto_nbd") is not None:
        out["pareto_nbd"]["comparison"] = finite(fits.comparison)
    out["gamma_gamma"] = fit_json(fits.gamma_gamma, "" if fits.shortfall else "not_estimable")
    out["scored_by"] = fits.scored_by
    out["selection"] = finite(fits.selection)
    out["notes"] = finite(fits.notes)
    return out
