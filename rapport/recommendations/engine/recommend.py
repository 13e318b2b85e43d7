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
    n_items = matrix.shape[1]
    k = min(k, n_items)
    out = np.zeros((len(rows), k), dtype=np.int64)
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        s = np.asarray(model.scores(matrix, chunk), dtype=np.float64)
        bought = matrix[chunk].tocoo()
        cols = bought.col
        if rebuyable is not None:
            keep = ~rebuyable[cols]
            s[bought.row[keep], cols[keep]] = -np.inf
        else:
            s[bought.row, cols] = -np.inf
        if k == 0:
            continue
        part = np.argpartition(-s, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(s, part, axis=1), axis=1, kind="stable")
        picked = np.take_along_axis(part, order, axis=1)
        picked[~np.isfinite(np.take_along_axis(s, picked, axis=1))] = -1
        out[start : start + len(chunk)] = picked
    return out


@dataclass(frozen=True)
class Recommendation:
    product: int  # column
    rank: int  # 1 = best
    score: float
    reason: str  # "bought_with", "similar_customers", "popular", "buy_again"
    because_of: int | None  # the column of the product it was bought with
    customers: int  # how many customers bought both (bought_with) or it (else)


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
    picks = top_k(model, matrix, rows, k, rebuyable)
    if co_buyers is None:
        b = matrix.copy().tocsr()
        b.data = np.ones_like(b.data)
        co_buyers = (b.T @ b).tocsr()
        co_buyers.setdiag(0)
        co_buyers.eliminate_zeros()
    buyers = np.asarray((matrix > 0).sum(axis=0)).ravel()
    scores = model.scores(matrix, rows)
    out: list[list[Recommendation]] = []
    for n, r in enumerate(rows):
        lo, hi = matrix.indptr[r], matrix.indptr[r + 1]
        owned = matrix.indices[lo:hi]
        owned_set = set(owned.tolist())
        recs = []
        for rank, col in enumerate((c for c in picks[n] if c >= 0), start=1):
            col = int(col)
            score = float(scores[n, col])
            if not np.isfinite(score):
                continue
            if col in owned_set:
                recs.append(Recommendation(col, rank, score, "buy_again", None, int(buyers[col])))
                continue
            best, best_count = None, 0
            if len(owned):
                counts = co_buyers[owned, col].toarray().ravel() if co_buyers.shape[0] else []
                if len(counts):
                    j = int(np.argmax(counts))
                    if counts[j] > 0:
                        best, best_count = int(owned[j]), int(counts[j])
            if best is not None:
                recs.append(Recommendation(col, rank, score, "bought_with", best, best_count))
            elif getattr(model, "name", "") == "als" and len(owned):
                recs.append(
                    Recommendation(col, rank, score, "similar_customers", None, int(buyers[col]))
                )
            else:
                recs.append(Recommendation(col, rank, score, "popular", None, int(buyers[col])))
        out.append(recs)
    return out
