"""Offline evaluation on a time split of the purchases.

Training holds the purchases strictly before the split date, the test the purchases on or after
it; the model sees only the training matrix. The customers evaluated are those with purchases on
both sides. For each, the k products recommended from training are compared with the distinct
products bought in the test period:

- precision@k: hits / k; recall@k: hits / products bought in the test period;
- nDCG@k: the hits' discounted gain (1 / log2(rank + 1)) over the best possible;
- coverage: the share of the training catalogue recommended to anybody.

The test purchases counted are those a method could have recommended: a product the customer
already bought before the split is left out of their test purchases unless it is a consumable (no
method may offer it again), for the model and the baseline alike.

The method and its settings (item-to-item's similarity, ALS's factors and regularisation, the
weight of buying a consumable again) are chosen on a validation split *inside* the training period
(its last fifth of the purchases), so the test purchases never influence the choice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import sparse

from .data import Dataset, as_keys, build_dataset, rebuyable_from_history
from .models import Model, make_model
from .recommend import top_k

CANDIDATES = ("item_to_item", "als")
# Above this many customer-product pairs only each method's defaults compete: the search is a dozen
# fits instead of two — seconds for a shop of thousands of customers, minutes for millions.
SEARCH_PURCHASES = 500_000


@dataclass(frozen=True)
class Metrics:
    precision_at_k: float
    recall_at_k: float
    ndcg_at_k: float
    coverage: float

    def as_dict(self) -> dict[str, float]:
        return {key: round(value, 6) for key, value in asdict(self).items()}


def time_split(
    dates: np.ndarray, split_date: dt.date | np.datetime64
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks: training (strictly before the day) and test (on or after it)."""
    days = np.asarray(dates).astype("datetime64[D]")
    split = np.datetime64(split_date, "D")
    train = days < split
    return train, ~train


def _relevant(
    test: Dataset, train: Dataset, rebuyable: np.ndarray | None = None
) -> dict[int, set[int]]:
    """Training row -> the training columns bought in the test period that could have been
    recommended: not a product the customer already bought in the training period unless
    `rebuyable` (a consumable) — no method may offer those, so they are neither hits nor misses,
    for the model and the baseline alike. Products new to the catalogue stay relevant but can never
    be hit (their key is outside the columns). Customers left with nothing relevant are not
    evaluated."""
    train_rows = train.row_of()
    columns = train.column_of()
    tm = train.matrix.tocsr()
    has_history = np.diff(tm.indptr) > 0
    out: dict[int, set[int]] = {}
    m = test.matrix.tocsr()
    for r, key in enumerate(test.customers.tolist()):
        row = train_rows.get(key)
        if row is None or not has_history[row]:
            continue
        lo, hi = m.indptr[r], m.indptr[r + 1]
        if lo == hi:
            continue
        bought = {columns.get(test.products[c], -1 - int(c)) for c in m.indices[lo:hi]}
        owned = tm.indices[tm.indptr[row] : tm.indptr[row + 1]]
        if rebuyable is not None:
            owned = owned[~rebuyable[owned]]
        bought -= set(owned.tolist())
        if bought:
            out[row] = bought
    return out


def evaluate(
    train: Dataset,
    relevant: dict[int, set[int]],
    method: str,
    k: int = 10,
    rebuyable: np.ndarray | None = None,
    params: dict[str, Any] | None = None,
) -> Metrics:
    if not relevant or train.matrix.shape[1] == 0:
        return Metrics(0.0, 0.0, 0.0, 0.0)
    return measure(make_model(method, params).fit(train.matrix), train, relevant, k, rebuyable)


def measure(
    model: Model,
    train: Dataset,
    relevant: dict[int, set[int]],
    k: int = 10,
    rebuyable: np.ndarray | None = None,
) -> Metrics:
    """The metrics of a fitted model's top k against the relevant test purchases."""
    rows = np.array(sorted(relevant), dtype=np.int64)
    n_items = train.matrix.shape[1]
    if len(rows) == 0 or n_items == 0:
        return Metrics(0.0, 0.0, 0.0, 0.0)
    picks = top_k(model, train.matrix, rows, k, rebuyable)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    precision = recall = ndcg = 0.0
    for n, row in enumerate(rows.tolist()):
        truth = relevant[row]
        hits = np.array([c >= 0 and int(c) in truth for c in picks[n]], dtype=float)
        found = hits.sum()
        precision += found / k
        recall += found / len(truth)
        ideal = discounts[: min(len(truth), k)].sum()
        ndcg += float((hits * discounts[: len(hits)]).sum() / ideal) if ideal else 0.0
    m = len(rows)
    coverage = len(np.setdiff1d(np.unique(picks), [-1])) / n_items
    return Metrics(precision / m, recall / m, ndcg / m, coverage)


def settings_to_try(
    method: str, matrix: sparse.csr_matrix, rebuyable: np.ndarray | None
) -> list[dict]:
    """The settings of a method tried on the validation split, its defaults first. A few:
    with some hundred validation customers a finer grid would mostly fit their noise."""
    repeats = (0.0, 1.0) if rebuyable is not None and rebuyable.any() else (0.0,)
    if matrix.nnz > SEARCH_PURCHASES:
        return [{}]
    if method == "item_to_item":
        return [
            {"similarity": sim, "repeat": r} for sim in ("cosine", "conditional") for r in repeats
        ]
    if method == "als":
        base = int(min(32, max(4, matrix.shape[1] // 8)))
        factors = sorted({base, min(64, base * 2)})
        return [
            {"factors": f, "regularization": reg, "repeat": r}
            for f in factors
            for reg in (0.1, 10.0)
            for r in repeats
        ]
    return [{}]


def _split(
    frame: dict[str, np.ndarray], mask: np.ndarray, product_keys: np.ndarray | None = None
) -> Dataset:
    return build_dataset(
        frame["customer"][mask],
        frame["product"][mask],
        frame["quantity"][mask] if frame.get("quantity") is not None else None,
        frame["basket"][mask] if frame.get("basket") is not None else None,
        product_keys=product_keys,
    )


def _rebuyable(
    train: Dataset, rebuy: str, rebuyable_products: set[Any] | None = None
) -> np.ndarray | None:
    """Which training columns may be offered again to their buyers."""
    if rebuy == "history":
        return rebuyable_from_history(train.matrix)
    if rebuy == "listed":
        listed = rebuyable_products or set()
        return np.array([p in listed for p in train.products.tolist()], dtype=bool)
    return None


def choose(
    frame: dict[str, Any],
    k: int = 10,
    rebuy: str = "history",
    rebuyable_products: set[Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The method and settings with the best nDCG@k on a validation split inside `frame` (the
    training period: its purchases up to the day before which four fifths of them fall, against
    the rest), offering products again as the test does (`rebuy`). The validation holds the split
    day, each method's best figures, and the chosen method's settings ("params")."""
    days = np.asarray(frame["date"]).astype("datetime64[D]")
    if len(days) == 0:
        return CANDIDATES[0], {}
    cut = np.sort(days)[int(len(days) * 0.8)]
    fit_mask, check_mask = time_split(days, cut)
    if not fit_mask.any() or not check_mask.any():
        return CANDIDATES[0], {}
    fit = _split(frame, fit_mask)
    check = _split(frame, check_mask)
    rebuyable = _rebuyable(fit, rebuy, rebuyable_products)
    relevant = _relevant(check, fit, rebuyable)
    if not relevant:
        return CANDIDATES[0], {}
    best: dict[str, tuple[Metrics, dict[str, Any]]] = {}
    for method in CANDIDATES:
        for params in settings_to_try(method, fit.matrix, rebuyable):
            figures = evaluate(fit, relevant, method, k, rebuyable, params)
            if method not in best or figures.ndcg_at_k > best[method][0].ndcg_at_k:
                best[method] = (figures, params)
    chosen = max(CANDIDATES, key=lambda m: (best[m][0].ndcg_at_k, -CANDIDATES.index(m)))
    return chosen, {
        "split_date": str(cut),
        **{m: f.as_dict() for m, (f, _) in best.items()},
        "settings": {m: p for m, (_, p) in best.items()},
        "params": best[chosen][1],
    }


def evaluate_split(
    customers: np.ndarray,
    products: np.ndarray,
    dates: np.ndarray,
    split_date: dt.date,
    k: int = 10,
    quantities: np.ndarray | None = None,
    baskets: np.ndarray | None = None,
    rebuy: str = "history",
    rebuyable_products: set[Any] | None = None,
) -> dict[str, Any]:
    """The whole evaluation: split, choose the method on the training period, fit it on the whole
    training period, score the test period against the popularity baseline.

    `rebuy` says which products a customer may be offered again: "history" (those customers of
    the training period bought more than once), "none", or "listed" (`rebuyable_products`)."""
    frame: dict[str, Any] = {
        "customer": as_keys(customers),
        "product": as_keys(products),
        "date": np.asarray(dates).astype("datetime64[D]"),
        "quantity": None if quantities is None else np.asarray(quantities, dtype=float),
        "basket": None if baskets is None else as_keys(baskets),
    }
    train_mask, test_mask = time_split(frame["date"], split_date)
    train_frame = {key: (None if v is None else v[train_mask]) for key, v in frame.items()}
    train = _split(frame, train_mask)
    test = _split(frame, test_mask)
    rebuyable = _rebuyable(train, rebuy, rebuyable_products)
    relevant = _relevant(test, train, rebuyable)
    chosen, validation = choose(train_frame, k, rebuy, rebuyable_products)
    model = evaluate(train, relevant, chosen, k, rebuyable, validation.get("params"))
    popularity = evaluate(train, relevant, "popularity", k, rebuyable)
    return {
        "model": model.as_dict(),
        "popularity": popularity.as_dict(),
        "chosen": chosen,
        "customers_evaluated": len(relevant),
        "_train": train,
        "_validation": validation,
    }
