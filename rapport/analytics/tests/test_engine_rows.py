"""Row helpers: the sort-free run boundaries give exactly what np.unique gives."""

import numpy as np
import pytest

from rapport.analytics.engine import _rows
from rapport.analytics.engine._rows import compress, distinct_counts, factorize, group_runs

rng = np.random.default_rng(11)
KEYS = {
    "unsorted ints": rng.integers(0, 500, 20_000),
    "sorted ints": np.sort(rng.integers(0, 2**40, 20_000)),
    "wide unsorted ints": rng.integers(-(2**50), 2**50, 5_000),
    "floats": rng.normal(size=3_000).round(2),
    "sorted floats with -0.0": np.array([-1.5, -0.0, 0.0, 0.0, 2.25]),
    "one": np.array([7]),
    "all equal": np.full(50, 3),
    "empty": np.zeros(0, dtype=np.int64),
}


@pytest.mark.parametrize("name", KEYS)
def test_group_runs_and_distinct_counts_equal_np_unique(name):
    keys = KEYS[name]
    uniq, inverse = group_runs(keys)
    expected, expected_inverse = np.unique(keys, return_inverse=True)
    assert np.array_equal(uniq, expected) and uniq.dtype == keys.dtype
    assert np.array_equal(inverse, expected_inverse) and inverse.dtype == np.int64
    uniq, counts = distinct_counts(keys)
    expected, expected_counts = np.unique(keys, return_counts=True)
    assert np.array_equal(uniq, expected) and np.array_equal(counts, expected_counts)


def _reference_compress(columns, weights):
    """compress as it was with np.unique (the packed path)."""
    key, coded = _rows._pack(columns)
    uniq, inverse = np.unique(key, return_inverse=True)
    w = np.bincount(inverse, weights=weights, minlength=len(uniq))
    keep = w > 0
    return _rows._unpack(uniq[keep], coded), w[keep]


@pytest.mark.parametrize("ordered", [False, True])
def test_compress_and_factorize_are_unchanged(ordered):
    n = 30_000
    x = rng.integers(0, 12, n).astype(float)
    t_x = np.minimum(rng.integers(0, 300, n) / 7, 50.0)
    T = t_x + rng.integers(0, 100, n) / 7
    if ordered:  # rows already in key order: no sort at all
        order = np.lexsort((T, t_x, x))
        x, t_x, T = x[order], t_x[order], T[order]
    weights = rng.random(n) * 3
    for w in (None, weights):
        got_cols, got_w = compress([x, t_x, T], w)
        exp_cols, exp_w = _reference_compress([x, t_x, T], np.ones(n) if w is None else w)
        assert all(np.array_equal(a, b) for a, b in zip(got_cols, exp_cols, strict=True))
        assert np.array_equal(got_w, exp_w)  # bit for bit: the same sums in the same order
    cols, inverse = factorize([x, t_x, T])
    key, coded = _rows._pack([x, t_x, T])
    uniq, expected_inverse = np.unique(key, return_inverse=True)
    assert np.array_equal(inverse, expected_inverse)
    assert all(np.array_equal(a, b) for a, b in zip(cols, _rows._unpack(uniq, coded), strict=True))


def test_exact_float_codes_use_the_same_ranks():
    col = np.array([0.3, 0.1, 0.2, 0.1, 1e-9])  # not whole numbers nor days: dense ranks
    codes = _rows._Codes(col)
    values, ranks = np.unique(col, return_inverse=True)
    assert np.array_equal(codes.values, values) and np.array_equal(codes.codes, ranks)
    assert np.array_equal(codes.decode(codes.codes), col)
