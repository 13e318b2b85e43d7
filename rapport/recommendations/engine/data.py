"""Purchases as a customers × products matrix.

Rows are customers, columns products; a cell holds how many times (distinct orders or days) the
customer bought the product, net of returns: a customer-product pair whose quantities add up to
zero or less (everything returned) is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class Dataset:
    customers: np.ndarray  # the original keys, index = row
    products: np.ndarray  # the original keys, index = column
    matrix: sparse.csr_matrix  # float32 purchase counts

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def row_of(self) -> dict[object, int]:
        return {key: i for i, key in enumerate(self.customers.tolist())}

    def column_of(self) -> dict[object, int]:
        return {key: i for i, key in enumerate(self.products.tolist())}


def as_keys(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """Keys as an int64 array when they are integers (sorting ten million of them takes a second,
    as Python objects a minute), else as objects (mixed codes from a file)."""
    array = np.asarray(values) if isinstance(values, np.ndarray) else None
    if array is not None and array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    return np.asarray(values, dtype=object)


def build_dataset(
    customers: Sequence[object] | np.ndarray,
    products: Sequence[object] | np.ndarray,
    quantities: Sequence[float] | np.ndarray | None = None,
    baskets: Sequence[object] | np.ndarray | None = None,
    *,
    product_keys: np.ndarray | None = None,
) -> Dataset:
    """One row per purchase line. `quantities` (negative for returns) decide which pairs are kept;
    `baskets` (an order or a day) make the count "in how many baskets", else every line counts.
    `product_keys` fixes the columns (lines of other products are ignored)."""
    cust = as_keys(customers)
    prod = as_keys(products)
    n = len(cust)
    qty = np.ones(n) if quantities is None else np.asarray(quantities, dtype=float)
    user_keys, u = (
        np.unique(cust, return_inverse=True) if n else (np.array([], object), np.array([], int))
    )
    if product_keys is None:
        item_keys, i = (
            np.unique(prod, return_inverse=True) if n else (np.array([], object), np.array([], int))
        )
    else:
        item_keys = np.asarray(product_keys, dtype=object)
        lookup = {k: j for j, k in enumerate(item_keys.tolist())}
        i = np.array([lookup.get(p, -1) for p in prod.tolist()], dtype=np.int64)
        keep = i >= 0
        u, i, qty = u[keep], i[keep], qty[keep]
        if baskets is not None:
            baskets = as_keys(baskets)[keep]
    shape = (len(user_keys), len(item_keys))
    net = sparse.coo_matrix((qty, (u, i)), shape=shape).tocsr()
    net.sum_duplicates()
    if baskets is not None and len(u):
        bk = as_keys(baskets)
        positive = qty > 0
        _, b = np.unique(bk[positive], return_inverse=True)
        n_b = int(b.max()) + 1 if len(b) else 1
        if shape[0] * shape[1] * n_b < 2**62:  # (customer, product, basket) as one integer
            packed = np.unique((u[positive] * shape[1] + i[positive]) * n_b + b)
            pair = packed // n_b
            rows, cols = pair // shape[1], pair % shape[1]
        else:
            triples = np.unique(np.stack([u[positive], i[positive], b]), axis=1)
            rows, cols = triples[0], triples[1]
        counts = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=shape).tocsr()
    else:
        counts = sparse.coo_matrix(((qty > 0).astype(float), (u, i)), shape=shape).tocsr()
    counts.sum_duplicates()
    # keep the pairs whose net quantity is positive
    mask = net.copy()
    mask.data = (mask.data > 0).astype(float)
    mask.eliminate_zeros()
    matrix = counts.multiply(mask).tocsr().astype(np.float32)
    matrix.eliminate_zeros()
    return Dataset(user_keys, item_keys, matrix)


def rebuyable_from_history(
    matrix: sparse.csr_matrix, min_share: float = 0.1, min_buyers: int = 2
) -> np.ndarray:
    """Products customers buy again: at least `min_buyers` customers and `min_share` of the buyers
    bought it more than once. For files that do not say which products are consumables."""
    buyers = np.asarray((matrix > 0).sum(axis=0)).ravel()
    repeat = np.asarray((matrix > 1).sum(axis=0)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(buyers > 0, repeat / np.maximum(buyers, 1), 0.0)
    return (repeat >= min_buyers) & (share >= min_share)
