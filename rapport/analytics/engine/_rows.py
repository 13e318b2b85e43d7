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


# np.unique on 10^7 int64 keys takes numpy 2's hashing path (seconds); these give the same
# results from run boundaries (np.diff) — with no sort at all when the keys are already in order
# (compressed rows, frames sorted by the database), with one sort otherwise.


def _in_order(keys: np.ndarray) -> bool:
    return len(keys) < 2 or bool(np.all(keys[1:] >= keys[:-1]))


def _starts(ordered: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in a sorted array."""
    return np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])


def distinct_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and how often each occurs: ``np.unique(keys, return_counts=True)``."""
    if not len(keys):
        return keys[:0], np.zeros(0, dtype=np.int64)
    ordered = keys if _in_order(keys) else np.sort(keys)
    starts = _starts(ordered)
    return ordered[starts], np.diff(np.r_[starts, len(ordered)])


def group_runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and, for every row, the index of its key (int64):
    ``np.unique(keys, return_inverse=True)``."""
    if not len(keys):
        return keys[:0], np.zeros(0, dtype=np.int64)
    order = None if _in_order(keys) else np.argsort(keys)
    ordered = keys if order is None else keys[order]
    new = np.r_[False, ordered[1:] != ordered[:-1]]  # True where a run starts (after the first)
    rank = np.cumsum(new, dtype=np.int64)
    new[0] = True
    if order is None:
        return ordered[new], rank
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = rank
    return ordered[new], inverse


_GRID_BITS = 21  # whole-number/whole-day codes below 2**21 need no sort to encode
_GRID_MAX = 1 << _GRID_BITS


class _Codes:
    """Exact non-negative integer codes of one float column and how to decode them."""

    def __init__(self, col: np.ndarray) -> None:
        self.scale: float | None = None
        self.values: np.ndarray | None = None
        for scale in (1.0, 7.0):  # whole numbers, or whole days expressed in weeks (k / 7)
            k = np.rint(col * scale)
            if k.size and k.min() >= 0 and k.max() < _GRID_MAX and np.array_equal(k / scale, col):
                self.codes, self.scale = k.astype(np.int64), scale
                break
        else:  # dense rank of the exact float (+0.0 folds -0.0 into 0.0)
            self.values, self.codes = group_runs(col + 0.0)
        self.bits = max(int(self.codes.max()).bit_length(), 1) if self.codes.size else 1

    def decode(self, codes: np.ndarray) -> np.ndarray:
        if self.values is not None:
            return self.values[codes]
        assert self.scale is not None
        return codes / self.scale  # reproduces the input floats bit for bit (checked above)


def _pack(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, list[_Codes]] | None:
    """One exact int64 key per row (column codes side by side), or None if over 63 bits.

    Why: de-duplicating one int64 column is a plain sort, far cheaper than a multi-column group-by.
    """
    if not len(columns) or not len(columns[0]):
        return None
    coded = [_Codes(c) for c in columns]
    if sum(c.bits for c in coded) > 63:
        return None
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for c in coded:
        key = (key << c.bits) | c.codes
    return key, coded


def _unpack(keys: np.ndarray, coded: list[_Codes]) -> list[np.ndarray]:
    """Inverse of :func:`_pack`."""
    out: list[np.ndarray] = []
    shift = sum(c.bits for c in coded)
    for c in coded:
        shift -= c.bits
        out.append(c.decode((keys >> shift) & ((1 << c.bits) - 1)))
    return out


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
    packed = _pack(columns)
    if packed is not None:
        key, coded = packed
        if w is None:
            uniq, counts = distinct_counts(key)
            out_w = counts.astype(float)
        else:
            uniq, inverse = group_runs(key)
            out_w = np.bincount(inverse, weights=w, minlength=len(uniq))
        keep = out_w > 0
        return _unpack(uniq[keep], coded), out_w[keep]
    names = [f"c{i}" for i in range(len(columns))]
    frame = pl.DataFrame(
        {**dict(zip(names, columns, strict=True)), "w": np.ones(n) if w is None else w}
    )
    grouped = (
        frame.lazy()
        .group_by(names)
        .agg(pl.col("w").sum())
        .filter(pl.col("w") > 0)
        .sort(names)
        .collect()
    )
    return [grouped[c].to_numpy() for c in names], grouped["w"].to_numpy()


def factorize(columns: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Unique rows of ``columns`` and, for every input row, the index of its unique row.

    Why: scoring computes each distinct (x, t_x, T) once and broadcasts back with ``inverse``.
    """
    packed = _pack(columns)
    if packed is not None:
        uniq, inverse = group_runs(packed[0])
        return _unpack(uniq, packed[1]), inverse
    names = [f"c{i}" for i in range(len(columns))]
    frame = pl.DataFrame(dict(zip(names, columns, strict=True))).with_row_index("_i")
    grouped = frame.group_by(names).agg(pl.col("_i"))
    lengths = grouped["_i"].list.len().to_numpy()
    rows = grouped["_i"].explode().to_numpy()
    inverse = np.empty(len(frame), dtype=np.int64)
    inverse[rows] = np.repeat(np.arange(len(grouped), dtype=np.int64), lengths)
    return [grouped[c].to_numpy() for c in names], inverse
