"""Array helpers for the refresh: distinct values, positions, runs of sorted keys, months, and a
frame as the column lists a Report stores."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from rapport.analytics.engine._rows import distinct_counts

__all__ = [
    "as_columns",
    "customer_runs",
    "distinct",
    "distinct_counts",
    "index_of",
    "month_dates",
    "month_index",
    "runs",
]


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values. (numpy 2.5's plain np.unique takes a hashing path that is 50×
    slower than sorting on 10^7 int64 keys; values already in order are not sorted again.)"""
    return distinct_counts(values)[0]


def index_of(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The position in `ids` (unique) of each value of `wanted`, or -1. A direct table when the
    ids are dense (auto-increment keys), binary search otherwise."""
    out = np.full(len(wanted), -1, dtype=np.int64)
    if not len(ids) or not len(wanted):
        return out
    top = int(ids.max())
    if ids.min() >= 0 and top <= 4 * len(ids) + 1_000_000:
        table = np.full(top + 1, -1, dtype=np.int64)
        table[ids] = np.arange(len(ids))
        ok = (wanted >= 0) & (wanted <= top)
        out[ok] = table[wanted[ok]]
        return out
    order = np.argsort(ids, kind="stable")
    pos = np.minimum(np.searchsorted(ids[order], wanted), len(ids) - 1)
    found = ids[order][pos] == wanted
    out[found] = order[pos[found]]
    return out


def runs(keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in a sorted array."""
    return (
        np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, np.int64)
    )


def month_index(day: pl.Series) -> np.ndarray:
    return (day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64) - 1).to_numpy()


def month_dates(index: np.ndarray) -> pl.Series:
    """Month indexes (year × 12 + month − 1) as the first day of each month."""
    frame = pl.DataFrame({"i": index.astype(np.int64)})
    return frame.select(
        pl.date((pl.col("i") // 12).cast(pl.Int32), (pl.col("i") % 12 + 1).cast(pl.Int8), 1).alias(
            "month"
        )
    ).to_series()


def customer_runs(days: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(starts, sizes) of each customer's purchase days in the sorted `days` frame."""
    starts = runs(days["customer_id"].to_numpy())
    return starts, np.diff(np.r_[starts, days.height])


def as_columns(frame: pl.DataFrame) -> dict[str, list[Any]]:
    """A frame as {column: [values]} (dates as ISO text), the shape Report.data stores."""
    out = frame.with_columns(pl.col(pl.Date, pl.Enum, pl.Categorical).cast(pl.String))
    return {c: out[c].to_list() for c in out.columns}
