"""The promotions page: promotion buyers against exactly matched buyers."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from rapport.analytics.choices import ReportKind
from rapport.analytics.selectors.common import Filters, report, report_frame


def promotion(filters: Filters) -> dict[str, Any]:
    """Buyers whose first purchase used a promotion code against buyers without one, exactly
    matched on first-purchase month and first-purchase value band; the control outcomes are
    reweighted to the promotion buyers' cells (the effect on those who used a promotion)."""
    data = report(ReportKind.PROMOTION)
    cells = report_frame(data, "cells")
    empty = {"overall": None, "bands": [], "band_cuts": data.get("band_cuts", [])}
    if not cells.height:
        return empty
    cells = cells.filter((pl.col("month") >= filters.start) & (pl.col("month") <= filters.end))
    treated = cells.filter(pl.col("promo") == 1).drop("promo")
    control = cells.filter(pl.col("promo") == 0).drop("promo")
    matched = treated.join(control, on=["month", "band"], suffix="_c")
    overall = _matched_effect(matched)
    if overall is not None:
        overall["promo_buyers"] = int(treated["buyers"].sum())
        overall["unmatched"] = overall["promo_buyers"] - overall["matched"]
    bands = []
    for band in range(1, 6):
        effect = _matched_effect(matched.filter(pl.col("band") == band))
        if effect:
            bands.append({"band": band, **effect})
    return {"overall": overall, "bands": bands, "band_cuts": data.get("band_cuts", [])}


def _matched_effect(m: pl.DataFrame) -> dict[str, Any] | None:
    """Weighted difference (treated − reweighted control) in repeat rate and later spend, with
    standard errors from the cell variances; weights = treated buyers per cell."""
    if not m.height:
        return None
    w = m["buyers"].cast(pl.Float64)
    n1, n0 = w, m["buyers_c"].cast(pl.Float64)
    p1, p0 = m["repeaters"] / n1, m["repeaters_c"] / n0
    s1, s0 = m["spend"] / n1, m["spend_c"] / n0
    v1 = (m["spend_sq"] / n1 - s1**2).clip(lower_bound=0)
    v0 = (m["spend_sq_c"] / n0 - s0**2).clip(lower_bound=0)
    W = float(w.sum())
    rate_t, rate_c = float((w * p1).sum()) / W, float((w * p0).sum()) / W
    spend_t, spend_c = float((w * s1).sum()) / W, float((w * s0).sum()) / W
    se_rate = math.sqrt(float((w**2 * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)).sum())) / W
    se_spend = math.sqrt(float((w**2 * (v1 / n1 + v0 / n0)).sum())) / W
    return {
        "matched": int(W),
        "controls": int(n0.sum()),
        "cells": m.height,
        "repeat_promo": rate_t,
        "repeat_control": rate_c,
        "repeat_diff": rate_t - rate_c,
        "repeat_ci": 1.96 * se_rate,
        "spend_promo": spend_t,
        "spend_control": spend_c,
        "spend_diff": spend_t - spend_c,
        "spend_ci": 1.96 * se_spend,
    }
