"""Calibration/holdout validation: predicted vs actual repeat purchases in the holdout period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import bgnbd, mbgnbd, paretonbd
from ._rows import as_float

__all__ = ["HoldoutComparison", "holdout_comparison"]


@dataclass(frozen=True)
class HoldoutComparison:
    """Per-customer predictions, totals, and the by-calibration-frequency table for a chart."""

    per_customer: pl.DataFrame  # customer?, frequency, predicted, actual
    total_predicted: float
    total_actual: float
    by_frequency: pl.DataFrame  # group ("0".."7+"), customers, mean_predicted, mean_actual
    duration_weeks: float

    def chart_data(self) -> dict[str, list[object]]:
        """Plain lists for a grouped bar/line chart: labels, mean predicted, mean actual."""
        return {
            "labels": self.by_frequency["group"].to_list(),
            "predicted": self.by_frequency["mean_predicted"].to_list(),
            "actual": self.by_frequency["mean_actual"].to_list(),
            "customers": self.by_frequency["customers"].to_list(),
        }


def holdout_comparison(
    cal_holdout: pl.DataFrame,
    transaction_fit: bgnbd.BGNBDFit | mbgnbd.MBGNBDFit | paretonbd.ParetoNBDFit,
    *,
    max_group: int = 7,
) -> HoldoutComparison:
    """Compare a model fitted on the calibration period with what customers actually did next.

    ``cal_holdout`` is the output of :func:`summary.calibration_holdout_summary` (columns
    frequency, recency, T, frequency_holdout, duration_holdout). Customers are grouped by
    calibration frequency 0, 1, ..., ``max_group - 1`` and ``max_group``+ (default "7+").
    """
    durations = as_float(cal_holdout["duration_holdout"], "duration_holdout")
    if len(durations) and np.ptp(durations) > 1e-9:
        raise ValueError("duration_holdout must be the same for every customer")
    duration = float(durations[0]) if len(durations) else 0.0
    predicted = transaction_fit.expected_purchases(
        duration, cal_holdout["frequency"], cal_holdout["recency"], cal_holdout["T"]
    )
    keep = [c for c in ("customer",) if c in cal_holdout.columns]
    per_customer = cal_holdout.select(
        *keep,
        pl.col("frequency"),
        pl.Series("predicted", predicted),
        pl.col("frequency_holdout").cast(pl.Float64).alias("actual"),
    )
    capped = pl.min_horizontal(pl.col("frequency"), pl.lit(max_group)).cast(pl.Int64)
    by_frequency = (
        per_customer.with_columns(capped.alias("_g"))
        .group_by("_g")
        .agg(
            pl.len().alias("customers"),
            pl.col("predicted").mean().alias("mean_predicted"),
            pl.col("actual").mean().alias("mean_actual"),
        )
        .sort("_g")
        .with_columns(
            pl.when(pl.col("_g") >= max_group)
            .then(pl.lit(f"{max_group}+"))
            .otherwise(pl.col("_g").cast(pl.String))
            .alias("group")
        )
        .select("group", "customers", "mean_predicted", "mean_actual")
    )
    return HoldoutComparison(
        per_customer=per_customer,
        total_predicted=float(per_customer["predicted"].sum()),
        total_actual=float(per_customer["actual"].sum()),
        by_frequency=by_frequency,
        duration_weeks=duration,
    )
