"""The future page: the fitted models, which one scores and why, the holdout check, the chance of
still buying and the top customers by CLV."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.utils.translation import gettext_lazy as _

from rapport.analytics.choices import ReportKind, ScoringModel
from rapport.analytics.models import ModelFit
from rapport.analytics.selectors.common import Filters, report, report_frame, top_customers

PARAMS = {
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "bgnbd": ("r", "alpha", "a", "b"),
    "gamma_gamma": ("p", "q", "gamma"),
}
PURCHASE_MODELS = ("pareto_nbd", "mbgnbd", "bgnbd")
# The refresh's notes (services.fitting) in words; the numbers fill the placeholders.
NOTE_TEXTS = {
    "no_purchases": _("Nobody has bought yet, so there is nothing to forecast."),
    "too_little_history": _(
        "There is too little purchase history to forecast: %(customers)s customers have bought, "
        "%(repeat_customers)s of them on more than one day; the models need at least "
        "%(min_customers)s customers and %(min_repeat_customers)s who came back. Segments, "
        "trust levels and the other pages are shown; forecasts appear once there is more history."
    ),
    "no_usable_model": _(
        "Neither Pareto/NBD nor the modified BG/NBD could be estimated from this history (no "
        "converged fit with reliable standard errors), so no customer has a forecast."
    ),
    "spend_too_few": _(
        "Only %(customers)s customers bought again and paid for it; the spend model needs "
        "%(needed)s. The expected average order is each customer's own average."
    ),
    "spend_unusable": _(
        "The spend model could not be estimated reliably; the expected average order is each "
        "customer's own average."
    ),
    "own_rate": _(
        "%(customers)s customers were forecast from their own purchase rate: the model gave no "
        "finite number for them."
    ),
}
REASON_TEXTS = {
    "validation": _(
        "It predicted the held-back weeks better than the other candidate (the lower mean "
        "error per customer below)."
    ),
    "only usable candidate": _("The other candidate could not be estimated from this history."),
    "no validation window": _(
        "The history is too short to hold weeks back for a comparison; Pareto/NBD is preferred."
    ),
    "not every candidate could be validated": _(
        "Not every candidate could be fitted on the weeks before the held-back ones; Pareto/NBD "
        "is preferred."
    ),
}


def note_texts(notes: list[dict[str, Any]]) -> list[str]:
    """The refresh's notes as sentences in the user's language."""
    out = []
    for note in notes or []:
        text = NOTE_TEXTS.get(note.get("code", ""))
        if text is not None:
            out.append(str(text) % {k: v for k, v in note.items() if k != "code"})
    return out


def model_label(name: str) -> str:
    return "Gamma-Gamma" if name == "gamma_gamma" else str(ScoringModel(name).label)


def _models(fit: ModelFit) -> list[dict[str, Any]]:
    models = []
    for name, names in PARAMS.items():
        result = getattr(fit, name) or {}
        params, ses = result.get("params") or {}, result.get("standard_errors") or {}
        models.append(
            {
                "model": name,
                "label": model_label(name),
                "scores": name == fit.scored_by,
                "log_likelihood": result.get("log_likelihood"),
                "converged": result.get("converged"),
                "usable": result.get("usable"),
                "error": result.get("error"),
                "comparison": result.get("comparison"),
                "params": [{"name": p, "estimate": params.get(p), "se": ses.get(p)} for p in names],
            }
        )
    return models


def _holdout_chart(holdout: dict[str, Any]) -> dict[str, Any] | None:
    found = [m for m in PURCHASE_MODELS if (holdout.get(m) or {}).get("chart")]
    if not found:
        return None
    first = holdout[found[0]]["chart"]
    return {
        "labels": first["labels"],
        "actual": first["actual"],
        "customers": first["customers"],
        "predicted": {m: holdout[m]["chart"]["predicted"] for m in found},
        "errors": {m: holdout[m].get("mean_absolute_error") for m in found},
        "totals": {m: holdout[m].get("total_predicted") for m in found},
    }


def future(filters: Filters, fit: ModelFit) -> dict[str, Any]:
    """Fitted parameters with SEs, the model that scores and why, the holdout comparison, the
    distribution of the chance of still buying, top customers by CLV."""
    holdout = fit.holdout or {}
    data = report(ReportKind.SCORES)
    alive = report_frame(data, "p_alive")
    if filters.segment and alive.height:
        alive = alive.filter(pl.col("segment") == filters.segment)
    hist = [0] * 10
    for r in alive.to_dicts():
        hist[r["bin"]] += r["customers"]
    chosen = fit.selection or {}
    shown = (
        fit.scored_by
        if fit.scored_by in holdout
        else next((m for m in PURCHASE_MODELS if m in holdout), "")
    )
    return {
        "holdout_summary": {
            "label": model_label(shown),
            "predicted": holdout[shown].get("total_predicted"),
            "actual": holdout[shown].get("total_actual"),
            "mae": holdout[shown].get("mean_absolute_error"),
        }
        if shown
        else None,
        "models": _models(fit),
        "scored_by": fit.scored_by,
        "scored_by_label": model_label(fit.scored_by) if fit.scored_by else "",
        "selection": chosen,
        "selection_reason": REASON_TEXTS.get(chosen.get("reason", ""), ""),
        "selection_errors": [
            {"model": model_label(m), "error": e} for m, e in (chosen.get("errors") or {}).items()
        ],
        "notes": note_texts(fit.notes),
        "holdout": holdout,
        "holdout_chart": _holdout_chart(holdout),
        "p_alive_histogram": hist,
        "top": top_customers(data, "top_clv", filters.segment),
    }
