"""Top-k products per customer, without what they cannot buy again, with the reason in data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .models import Model


def top_k(
    model: Model,
    matrix: sparse.csr_matrix,
    rows: np.ndarray,
    k: int,
    rebuyable: np.ndarray | None = None,
    batch: int = 2000,
) -> np.ndarray:
    """Column indices (len(rows) × k, best first; -1 where fewer than k products are left). A
    product the customer already bought is left out unless `rebuyable` (a boolean per product:
    consumables) says they buy it again."""
    rows = np.asarray(rows, dtype=np.int64)
    k = min(k, matrix.shape[1])
    out = np.zeros((len(rows), k), dtype=np.int64)
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        s = np.asarray(model.scores(matrix, chunk), dtype=np.float64)
        out[start : start + len(chunk)] = _pick(s, matrix, chunk, k, rebuyable)
    return out


def _pick(
    s: np.ndarray,
    matrix: sparse.csr_matrix,
    chunk: np.ndarray,
    k: int,
    rebuyable: np.ndarray | None,
) -> np.ndarray:
    """The k best columns of each row of scores `s` (changed in place: bought products -inf)."""
    bought = matrix[chunk].tocoo()
    cols = bought.col
    if rebuyable is not None:
        keep = ~rebuyable[cols]
        s[bought.row[keep], cols[keep]] = -np.inf
    else:
        s[bought.row, cols] = -np.inf
    if k == 0:
        return np.zeros((len(chunk), 0), dtype=np.int64)
    part = np.argpartition(-s, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(s, part, axis=1), axis=1, kind="stable")
    picked = np.take_along_axis(part, order, axis=1)
    picked[~np.isfinite(np.take_along_axis(s, picked, axis=1))] = -1
    return picked


@dataclass(frozen=True)
class Recommendation:
    product: int  # column
    rank: int  # 1 = best
    score: float
    reason: str  # "bought_with", "similar_customers", "popular", "buy_again"
    because_of: int | None  # the column of the product it was bought with
    customers: int  # how many customers bought both (bought_with) or it (else)


REASONS = ("bought_with", "similar_customers", "popular", "buy_again")


def co_buyers_of(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Products × products: how many customers bought both."""
    b = matrix.copy().tocsr()
    b.data = np.ones_like(b.data)
    co = (b.T @ b).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    return co


def recommend_columns(
    model: Model,
    matrix: sparse.csr_matrix,
    rows: np.ndarray,
    k: int = 10,
    rebuyable: np.ndarray | None = None,
    co_buyers: sparse.csr_matrix | None = None,
) -> dict[str, np.ndarray]:
    """`recommend` as columns, one entry per recommendation, in row then rank order: "row" (index
    into `rows`), "product", "rank", "score", "reason" (index into REASONS), "because_of" (-1:
    none), "customers". Vectorised: the co-buyer counts of every pick are read from a dense
    products × products table (no Python per recommendation)."""
    rows = np.asarray(rows, dtype=np.int64)
    k = min(k, matrix.shape[1])
    if co_buyers is None:
        co_buyers = co_buyers_of(matrix)
    small = 0 < co_buyers.shape[0] <= 8000
    co = np.asarray(co_buyers.toarray(), dtype=np.float32) if small else None
    buyers = np.asarray((matrix > 0).sum(axis=0)).ravel().astype(np.int64)
    s = np.asarray(model.scores(matrix, rows), dtype=np.float64)
    raw = s.copy()
    picks = _pick(s, matrix, rows, k, rebuyable)
    owned = (matrix[rows] > 0).toarray()
    n = len(rows)
    row = np.repeat(np.arange(n), k)
    product = picks.ravel()
    valid = product >= 0
    row, product = row[valid], product[valid]
    rank = (np.tile(np.arange(1, k + 1), n))[valid]
    score = raw[row, product]
    again = owned[row, product]
    because = np.full(len(row), -1, dtype=np.int64)
    together = np.zeros(len(row), dtype=np.int64)
    if co_buyers.shape[0] and len(row):
        # per pick: the customer's own product most often bought with it (the first on a tie)
        step = max(1000, 20_000_000 // max(1, matrix.shape[1]))
        by_column = co_buyers.tocsc() if co is None else None
        for start in range(0, len(row), step):
            r, c = row[start : start + step], product[start : start + step]
            if co is not None:
                counts = co[:, c].T * owned[r]
                best = np.argmax(counts, axis=1)
                most = counts[np.arange(len(r)), best]
            else:  # a large catalogue: the co-buyer columns stay sparse
                assert by_column is not None
                counts = by_column[:, c].T.tocsr().multiply(sparse.csr_matrix(owned[r])).tocsr()
                best = np.asarray(counts.argmax(axis=1)).ravel()
                most = np.asarray(counts[np.arange(len(r)), best]).ravel()
            has = most > 0
            because[start : start + len(r)] = np.where(has, best, -1)
            together[start : start + len(r)] = np.asarray(most).astype(np.int64)
    with_co = (because >= 0) & ~again
    has_owned = owned.any(axis=1)[row]
    als = getattr(model, "name", "") == "als"
    reason = np.where(
        again,
        3,
        np.where(with_co, 0, np.where(als & has_owned, 1, 2)),
    )
    customers = np.where(with_co, together, buyers[product])
    because = np.where(with_co, because, -1)
    return {
        "row": row,
        "product": product,
        "rank": rank,
        "score": score,
        "reason": reason,
        "because_of": because,
        "customers": customers,
    }


def recommend(
    model: Model,
    matrix: sparse.csr_matrix,
    rows: np.ndarray,
    k: int = 10,
    rebuyable: np.ndarray | None = None,
    co_buyers: sparse.csr_matrix | None = None,
) -> list[list[Recommendation]]:
    """Recommendations with their reasons. `co_buyers` (products × products: customers who bought
    both) gives "bought with X by N customers" — X the customer's own product most often bought
    with it; without a co-buyer the reason is "customers like you" (a factorisation's pick) or
    "popular"; a consumable the customer already buys is "buy again"."""
    rows = np.asarray(rows, dtype=np.int64)
    c = recommend_columns(model, matrix, rows, k, rebuyable, co_buyers)
    out: list[list[Recommendation]] = [[] for _ in range(len(rows))]
    for r, p, rank, score, reason, because, customers in zip(
        c["row"].tolist(),
        c["product"].tolist(),
        c["rank"].tolist(),
        c["score"].tolist(),
        c["reason"].tolist(),
        c["because_of"].tolist(),
        c["customers"].tolist(),
        strict=True,
    ):
        out[r].append(
            Recommendation(
                p, rank, score, REASONS[reason], None if because < 0 else because, customers
            )
        )
    return out
