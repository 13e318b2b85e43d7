"""The promotions page: promotion buyers against exactly matched buyers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

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


def matched_interval(
    n1: np.ndarray,
    sum1: np.ndarray,
    sq1: np.ndarray,
    n0: np.ndarray,
    sum0: np.ndarray,
    sq0: np.ndarray,
    level: float = 0.95,
) -> tuple[float, float, float, float | None]:
    """(treated mean, reweighted control mean, difference, half-width of the `level` interval or
    None) for the cell-weighted difference Σ w (ȳ1 − ȳ0) / Σ w with w = n1 per cell, from each
    cell's count, sum and sum of squares.

    Cells with one or two buyers have no usable variance of their own (one buyer: zero), so each
    side's variance is pooled over its cells (within-cell sums of squares over Σ (n − 1)), and the
    interval takes Student's t with Welch–Satterthwaite degrees of freedom. With one cell this is
    exactly Welch's interval; without a cell of two buyers on a side there are no degrees of
    freedom to estimate from, and the half-width is None ("too few buyers")."""
    w = n1.astype(float)
    W = float(w.sum())
    mean1, mean0 = sum1 / n1, sum0 / n0
    treated, control = float(w @ mean1) / W, float(w @ mean0) / W
    df1, df0 = float((n1 - 1).sum()), float((n0 - 1).sum())
    if df1 < 1 or df0 < 1:
        return treated, control, treated - control, None
    s1 = float(np.clip(sq1 - sum1**2 / n1, 0, None).sum()) / df1
    s0 = float(np.clip(sq0 - sum0**2 / n0, 0, None).sum()) / df0
    a1, a0 = s1 * float((w**2 / n1).sum()) / W**2, s0 * float((w**2 / n0).sum()) / W**2
    variance = a1 + a0
    if variance <= 0:
        return treated, control, treated - control, 0.0
    df = variance**2 / (a1**2 / df1 + a0**2 / df0)
    half = float(stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(variance)
    return treated, control, treated - control, half


def _matched_effect(m: pl.DataFrame) -> dict[str, Any] | None:
    """Weighted difference (treated − reweighted control) in repeat rate and later spend, with
    95 % intervals (`matched_interval`); weights = treated buyers per cell."""
    if not m.height:
        return None
    n1, n0 = m["buyers"].to_numpy().astype(float), m["buyers_c"].to_numpy().astype(float)
    rep1, rep0 = m["repeaters"].to_numpy().astype(float), m["repeaters_c"].to_numpy().astype(float)
    rate_t, rate_c, rate_d, rate_ci = matched_interval(n1, rep1, rep1, n0, rep0, rep0)
    spend_t, spend_c, spend_d, spend_ci = matched_interval(
        n1,
        m["spend"].to_numpy(),
        m["spend_sq"].to_numpy(),
        n0,
        m["spend_c"].to_numpy(),
        m["spend_sq_c"].to_numpy(),
    )
    return {
        "matched": int(n1.sum()),
        "controls": int(n0.sum()),
        "cells": m.height,
        "repeat_promo": rate_t,
        "repeat_control": rate_c,
        "repeat_diff": rate_d,
        "repeat_ci": rate_ci,
        "spend_promo": spend_t,
        "spend_control": spend_c,
        "spend_diff": spend_d,
        "spend_ci": spend_ci,
        "too_few": rate_ci is None,
    }
