"""The methods: item-to-item co-occurrence, implicit ALS and the popularity baseline.

Each has `fit(matrix)` (customers × products purchase counts) and `scores(matrix, rows)`: a dense
block (len(rows) × products) of how strongly each product suits each of those customers. Every
method adds a tiny popularity term, so a customer with few candidates still gets k products.

Item-to-item and ALS also take `repeat`: the weight of the customer's own purchases of a product in
its score (0: none; 1: a product bought in every one of their baskets scores as much as their best
candidate). Only consumables are ever offered again (`recommend.top_k`), so this blends "buy it
again" with what similar customers buy.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from scipy import sparse

METHODS = ("item_to_item", "als", "popularity")


def _binary(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    b = matrix.copy().tocsr()
    b.data = np.ones_like(b.data, dtype=np.float32)
    return b


def _popularity(matrix: sparse.csr_matrix) -> np.ndarray:
    buyers = np.asarray(_binary(matrix).sum(axis=0), dtype=np.float64).ravel()
    top = buyers.max() if buyers.size else 0.0
    return buyers / top if top > 0 else buyers


class Model(Protocol):
    name: str

    def fit(self, matrix: sparse.csr_matrix) -> Model: ...

    def scores(self, matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray: ...


class Popularity:
    """Products ranked by how many customers bought them."""

    name = "popularity"

    def fit(self, matrix: sparse.csr_matrix) -> Popularity:
        self.popularity = _popularity(matrix)
        return self

    def scores(self, matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
        return np.tile(self.popularity, (len(rows), 1))


def _with_repeats(
    s: np.ndarray, matrix: sparse.csr_matrix, rows: np.ndarray, weight: float
) -> np.ndarray:
    """Scores plus `weight` × the share of the customer's baskets holding each product, on the
    scale of their best score."""
    if not weight:
        return s
    own = matrix[rows].toarray()
    most = own.max(axis=1, keepdims=True)
    scale = np.maximum(s.max(axis=1, keepdims=True), 1e-9)
    return s + weight * scale * own / np.maximum(most, 1.0)


class ItemToItem:
    """Amazon's item-to-item method: the similarity of two products over their buyers, each
    product keeping its `neighbours` most similar ones; a customer's score for a product is the sum
    of its similarities to the products they bought.

    `similarity`: "cosine" (co-buyers / √(buyers of one · buyers of the other), Linden et al.) or
    "conditional" (co-buyers / (buyers of the bought product · buyers of the candidate^alpha):
    the probability of buying the candidate given the bought product, its popularity damped by
    alpha — Deshpande & Karypis 2004)."""

    name = "item_to_item"

    def __init__(
        self,
        neighbours: int = 50,
        similarity: str = "cosine",
        alpha: float = 0.5,
        repeat: float = 0.0,
    ) -> None:
        if similarity not in ("cosine", "conditional"):
            raise ValueError(f"unknown similarity {similarity!r}")
        self.neighbours = neighbours
        self.similarity_kind = similarity
        self.alpha = alpha
        self.repeat = repeat

    def fit(self, matrix: sparse.csr_matrix) -> ItemToItem:
        b = _binary(matrix)
        co = (b.T @ b).tocsr().astype(np.float32)  # customers who bought both
        co.setdiag(0)
        co.eliminate_zeros()
        self.co_buyers = co
        buyers = np.maximum(np.asarray(b.sum(axis=0), dtype=np.float64).ravel(), 1.0)
        if self.similarity_kind == "cosine":
            sim = sparse.diags(1 / np.sqrt(buyers)) @ co @ sparse.diags(1 / np.sqrt(buyers))
        else:  # row: the bought product, column: the candidate
            sim = sparse.diags(1 / buyers) @ co @ sparse.diags(buyers**-self.alpha)
        self.similarity = _keep_top(sim.tocsr(), self.neighbours)
        self.popularity = _popularity(matrix)
        return self

    def scores(self, matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
        b = _binary(matrix[rows])
        s = (b @ self.similarity).toarray()
        return _with_repeats(s, matrix, rows, self.repeat) + 1e-6 * self.popularity


def _keep_top(sim: sparse.csr_matrix, n: int) -> sparse.csr_matrix:
    """Each row's n largest entries (the product's nearest neighbours)."""
    sim = sim.tocsr()
    indptr, indices, data = [0], [], []
    for r in range(sim.shape[0]):
        lo, hi = sim.indptr[r], sim.indptr[r + 1]
        vals, cols = sim.data[lo:hi], sim.indices[lo:hi]
        if len(vals) > n:
            keep = np.argpartition(-vals, n - 1)[:n]
            vals, cols = vals[keep], cols[keep]
        indices.append(cols)
        data.append(vals)
        indptr.append(indptr[-1] + len(vals))
    out = sparse.csr_matrix(
        (
            np.concatenate(data) if data else np.array([], np.float32),
            np.concatenate(indices) if indices else np.array([], np.int32),
            np.array(indptr),
        ),
        shape=sim.shape,
    )
    # scores are b @ S: a bought product j lends S[j, i] to candidate i
    return out


class ImplicitALS:
    """Hu, Koren & Volinsky's implicit-feedback factorisation by alternating least squares:
    preference 1 for every product bought, confidence 1 + alpha·log(1 + purchases)."""

    name = "als"

    def __init__(
        self,
        factors: int | None = None,
        regularization: float = 0.1,
        alpha: float = 5.0,
        iterations: int = 12,
        seed: int = 7,
        repeat: float = 0.0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed
        self.repeat = repeat

    def fit(self, matrix: sparse.csr_matrix) -> ImplicitALS:
        """Fitted by the `implicit` library's solver (conjugate gradient, Takács et al. 2011: each
        step costs the purchases × factors, not × factors², and runs on every core); the
        confidence is ours, 1 + alpha·log(1 + purchases), passed as the matrix (the library's
        own alpha left at 1)."""
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        conf = matrix.copy().tocsr().astype(np.float32)
        conf.data = 1 + self.alpha * np.log1p(np.maximum(conf.data, 0))
        n_items = conf.shape[1]
        # without a given number: about one factor per eight products (4 to 32) — more
        # factors than the data supports fit noise (measured on the demo shop's 60 products)
        f = self.factors or int(min(32, max(4, n_items // 8)))
        # the solver threads itself: BLAS threads on top of it only fight over the cores
        with threadpool_limits(1, "blas"):
            solver = AlternatingLeastSquares(
                factors=f,
                regularization=self.regularization,
                alpha=1.0,
                iterations=self.iterations,
                use_cg=True,
                random_state=self.seed,
                calculate_training_loss=False,
            )
            solver.fit(conf, show_progress=False)
        self.user_factors = np.asarray(solver.user_factors, dtype=np.float64)
        self.item_factors = np.asarray(solver.item_factors, dtype=np.float64)
        self.popularity = _popularity(matrix)
        return self

    def scores(self, matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
        s = self.user_factors[rows] @ self.item_factors.T
        return _with_repeats(s, matrix, rows, self.repeat) + 1e-6 * self.popularity


def make_model(method: str, params: dict[str, Any] | None = None) -> Model:
    """A method by name, with its settings (`params`: the keyword arguments of its class)."""
    params = params or {}
    if method == "item_to_item":
        return ItemToItem(**params)
    if method == "als":
        return ImplicitALS(**params)
    if method == "popularity":
        return Popularity()
    raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
