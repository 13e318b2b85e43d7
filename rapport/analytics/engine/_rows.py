"""Row helpers shared by the models: input checking, de-duplication with weights, and factorising."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

ArrayLike = np.ndarray | Sequence[float] | pl.Series


def as_float(values: ArrayLike, name: str) -> np.ndarray:
    """A 1-D float64 numpy array, rejecting NaN/inf early (they would poison every fit)."""
    arr = values.to_numpy() if isinstance(values, pl.Series) else np.asarray(values)
    arr = np.ascontiguousarray(arr, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_rfm(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate an RFM triple: 0 <= recency <= T, integer frequency >= 0, recency = 0 when x = 0."""
    x, t_x, t_cal = as_float(frequency, "frequency"), as_float(recency, "recency"), as_float(T, "T")
    if not (len(x) == len(t_x) == len(t_cal)):
        raise ValueError("frequency, recency and T must have the same length")
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("frequency must be a non-negative integer")
    if np.any(t_x < 0) or np.any(t_x > t_cal + 1e-9):
        raise ValueError("recency must satisfy 0 <= recency <= T")
    return x, t_x, t_cal


_GRID_BITS = 21  # three 21-bit codes pack into one int64 key
_GRID_MAX = 1 << _GRID_BITS


def _grid_codes(col: np.ndarray) -> np.ndarray | None:
    """Exact non-negative integer codes for a column of whole numbers or whole days in weeks
    (k / 7), else None. Why: packing codes into one int64 makes de-duplication a plain sort."""
    for scale in (1.0, 7.0):
        k = np.rint(col * scale)
        if k.size and (k.min() < 0 or k.max() >= _GRID_MAX):
            return None
        if np.array_equal(k / scale, col):
            return k.astype(np.int64)
    return None


def compress(
    columns: Sequence[np.ndarray], weights: np.ndarray | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Collapse identical rows into one row each with weight = summed weights (counts if None),
    sorted by the columns.

    Why: customers share (x, t_x, T) triples in day-level data, so a fit can run on far fewer rows.
    """
    n = len(columns[0])
    w = None if weights is None else as_float(weights, "weights")
    if w is not None and np.any(w < 0):
        raise ValueError("weights must be non-negative")
    codes = [_grid_codes(c) for c in columns] if len(columns) <= 3 else [None]
    if n and all(c is not None for c in codes):
        key = np.zeros(n, dtype=np.int64)
        for c in codes:
            key = (key << _GRID_BITS) | c  # type: ignore[operator]
        if w is None:
            uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
            out_w = counts.astype(float)
        else:
            uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            out_w = np.bincount(inverse, weights=w, minlength=len(uniq))
        keep = out_w > 0
        return [c[first][keep] for c in columns], out_w[keep]
    names = [f"c{i}" for i in range(len(columns))]
    frame = pl.DataFrame({**dict(zip(names, columns, strict=True)), "w": np.ones(n) if w is None else w})
    grouped = (
        frame.lazy().group_by(names).agg(pl.col("w").sum()).filter(pl.col("w") > 0).sort(names).collect()
    )
    return [grouped[c].to_numpy() for c in names], grouped["w"].to_numpy()


def factorize(columns: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Unique rows of ``columns`` and, for every input row, the index of its unique row.

    Why: scoring computes each distinct (x, t_x, T) once and broadcasts back with ``inverse``.
    """
    names = [f"c{i}" for i in range(len(columns))]
    frame = pl.DataFrame(dict(zip(names, columns, strict=True))).with_row_index("_i")
    grouped = frame.group_by(names).agg(pl.col("_i"))
    lengths = grouped["_i"].list.len().to_numpy()
    rows = grouped["_i"].explode().to_numpy()
    inverse = np.empty(len(frame), dtype=np.int64)
    inverse[rows] = np.repeat(np.arange(len(grouped), dtype=np.int64), lengths)
    return [grouped[c].to_numpy() for c in names], inverse
