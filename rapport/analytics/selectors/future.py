"""The future page: the fitted models, the holdout check, P(alive) and the top customers by CLV."""

from __future__ import annotations

from typing import Any

import polars as pl

from rapport.analytics.choices import ReportKind
from rapport.analytics.models import ModelFit
from rapport.analytics.selectors.common import Filters, report, report_frame, top_customers

PARAMS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "gamma_gamma": ("p", "q", "gamma"),
}


def future(filters: Filters, fit: ModelFit) -> dict[str, Any]:
    """Fitted parameters with SEs, the holdout comparison, P(alive) distribution, top CLV."""
    models = []
    for name, names in PARAMS.items():
        result = getattr(fit, name) or {}
        params, ses = result.get("params") or {}, result.get("standard_errors") or {}
        models.append(
            {
                "model": name,
                "log_likelihood": result.get("log_likelihood"),
                "converged": result.get("converged"),
                "error": result.get("error"),
                "comparison": result.get("comparison"),
                "notes": result.get("notes"),
                "params": [{"name": p, "estimate": params.get(p), "se": ses.get(p)} for p in names],
            }
        )
    holdout = fit.holdout or {}
    chart = None
    if (bg := holdout.get("bgnbd")) and bg.get("chart"):
        chart = {
            "labels": bg["chart"]["labels"],
            "actual": bg["chart"]["actual"],
            "bgnbd": bg["chart"]["predicted"],
            "customers": bg["chart"]["customers"],
            "pareto_nbd": (holdout.get("pareto_nbd") or {}).get("chart", {}).get("predicted"),
        }
    data = report(ReportKind.SCORES)
    alive = report_frame(data, "p_alive")
    if filters.segment and alive.height:
        alive = alive.filter(pl.col("segment") == filters.segment)
    hist = [0] * 10
    for r in alive.to_dicts():
        hist[r["bin"]] += r["customers"]
    return {
        "models": models,
        "holdout": holdout,
        "holdout_chart": chart,
        "p_alive_histogram": hist,
        "top": top_customers(data, "top_clv", filters.segment),
    }
