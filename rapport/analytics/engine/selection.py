"""Which purchase model scores the customers, chosen on the calibration data alone.

BG/NBD says that a customer without a repeat purchase is certainly still active, however long ago
they bought; it is fitted for comparison but never scores. The candidates are Pareto/NBD and the
modified BG/NBD, in that order of preference:

1. **Enough data.** A fit needs at least ``MIN_CUSTOMERS`` customers, ``MIN_REPEAT_CUSTOMERS`` of
   them with a repeat purchase; below that no model is fitted (the parameters of a handful of
   customers are meaningless: r in the millions with standard errors of 1e10).
2. **Usable fit.** The optimiser converged inside its bounds and every parameter has a finite
   standard error at most ``MAX_RELATIVE_SE`` times its estimate.
3. **Validation inside the calibration period.** The last ``validation_weeks`` of the history (as
   long as the forecast horizon, at most half of the history) are held back; each candidate is
   fitted on what came before and predicts every customer's purchases in the held-back weeks; the
   lower mean absolute error per customer wins, a tie goes to the first candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from . import bgnbd, mbgnbd, paretonbd
from ._fit import FitResult

__all__ = [
    "CANDIDATES",
    "MIN_CUSTOMERS",
    "MIN_REPEAT_CUSTOMERS",
    "MODELS",
    "Selection",
    "choose",
    "fit_model",
    "shortfall",
    "usable",
    "validation_weeks",
]

MODELS: dict[str, Any] = {"bgnbd": bgnbd, "mbgnbd": mbgnbd, "pareto_nbd": paretonbd}
CANDIDATES = ("pareto_nbd", "mbgnbd")  # models that may score customers, preferred first
MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 10
MAX_RELATIVE_SE = 10.0
MIN_VALIDATION_WEEKS = 4.0


def shortfall(frequency: Any) -> dict[str, int] | None:
    """None when there are enough customers to fit a purchase model, else what there is and what
    is needed: {customers, repeat_customers, min_customers, min_repeat_customers}."""
    x = np.asarray(frequency, dtype=float)
    customers, repeaters = len(x), int((x > 0).sum())
    if customers >= MIN_CUSTOMERS and repeaters >= MIN_REPEAT_CUSTOMERS:
        return None
    return {
        "customers": customers,
        "repeat_customers": repeaters,
        "min_customers": MIN_CUSTOMERS,
        "min_repeat_customers": MIN_REPEAT_CUSTOMERS,
    }


def usable(fit: FitResult | None) -> bool:
    """Converged, and every parameter estimated: finite standard errors, none over
    MAX_RELATIVE_SE times its estimate."""
    if fit is None or not fit.converged:
        return False
    for name, value in fit.params.items():
        se = fit.standard_errors.get(name, math.nan)
        if not (math.isfinite(value) and math.isfinite(se) and se <= MAX_RELATIVE_SE * value):
            return False
    return True


def validation_weeks(span_weeks: float, horizon_weeks: float) -> float:
    """The held-back window: as long as the forecast horizon, at most half of the history, in
    whole days; 0 when that is under MIN_VALIDATION_WEEKS (too short to tell the models apart)."""
    weeks = math.floor(min(horizon_weeks, span_weeks / 2.0) * 7.0) / 7.0
    return weeks if weeks >= MIN_VALIDATION_WEEKS else 0.0


@dataclass
class Selection:
    """The model that scores, and why."""

    chosen: str | None  # a name in CANDIDATES, or None: no usable model
    window_weeks: float = 0.0
    customers: int = 0
    errors: dict[str, float] = field(default_factory=dict)  # validation MAE per candidate
    reason: str = ""  # "validation", "only usable candidate", "no validation window", …

    def as_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "window_weeks": self.window_weeks,
            "customers": self.customers,
            "errors": dict(self.errors),
            "reason": self.reason,
        }


def fit_model(name: str, frame: pl.DataFrame) -> FitResult:
    """One purchase model on frame's frequency, recency and T. No slow Nelder-Mead polish of
    a Pareto/NBD fit that did not converge: such a fit is not used to score anyway (`usable`),
    and on a flat ridge the polish costs thousands of evaluations."""
    model = MODELS[name]
    options = {"polish": False} if model is paretonbd else {}
    return model.fit(frame["frequency"], frame["recency"], frame["T"], **options)


def _validation_fit(name: str, frame: pl.DataFrame) -> FitResult | None:
    """A candidate fitted on the data before the held-back window. Only its predictions are
    used, so a fit that ran along a flat ridge (Pareto/NBD's s and beta growing together when
    the short early history cannot tell drop-out rates apart) still counts: its parameters
    approach the limiting model, whose predictions are finite and stable."""
    try:
        fit = fit_model(name, frame)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None
    return fit if all(math.isfinite(v) for v in fit.params.values()) else None


def choose(
    validation: pl.DataFrame | None,
    full_fits: dict[str, FitResult | None],
    *,
    candidates: tuple[str, ...] = CANDIDATES,
) -> Selection:
    """Choose among the candidates whose fit on all the data (``full_fits``) is usable, by the
    validation error on ``validation`` (a calibration/holdout frame at the inner split: columns
    frequency, recency, T, frequency_holdout, duration_holdout)."""
    ready = [c for c in candidates if usable(full_fits.get(c))]
    if not ready:
        return Selection(None, reason="no usable fit")
    if len(ready) == 1:
        return Selection(ready[0], reason="only usable candidate")
    if validation is None or not validation.height or shortfall(validation["frequency"]):
        return Selection(ready[0], reason="no validation window")
    window = float(validation["duration_holdout"][0])
    actual = validation["frequency_holdout"].to_numpy().astype(float)
    errors: dict[str, float] = {}
    for name in ready:
        fit = _validation_fit(name, validation)
        if fit is not None:
            predicted = fit.expected_purchases(
                window, validation["frequency"], validation["recency"], validation["T"]
            )
            if np.all(np.isfinite(predicted)):
                errors[name] = float(np.mean(np.abs(predicted - actual)))
    if len(errors) < len(ready):  # a candidate could not be judged: keep the preferred one
        return Selection(
            ready[0], window, validation.height, errors, "not every candidate could be validated"
        )
    best = min(errors.values())
    chosen = next(c for c in ready if errors.get(c) == best)
    return Selection(chosen, window, validation.height, errors, "validation")
