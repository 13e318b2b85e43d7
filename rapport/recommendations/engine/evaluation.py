"""Offline evaluation on a time split of the purchases.

Training holds the purchases strictly before the split date, the test the purchases on or after
it; the model sees only the training matrix. The customers evaluated are those with purchases on
both sides. For each, the k products recommended from training are compared with the distinct
products bought in the test period:

- precision@k: hits / k; recall@k: hits / products bought in the test period;
- nDCG@k: the hits' discounted gain (1 / log2(rank + 1)) over the best possible;
- coverage: the share of the training catalogue recommended to anybody.

The method is chosen on a validation split *inside* the training period (its last fifth of the
purchases), so the test purchases never influence the choice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .data import Dataset, as_keys, build_dataset, rebuyable_from_history
from .models import make_model
from .recommend import top_k

CANDIDATES = ("item_to_item", "als")


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


def _relevant(test: Dataset, train: Dataset) -> dict[int, set[int]]:
    """Training row -> the training columns bought in the test period (products new to the
    catalogue count as relevant but can never be hit: their key is outside the columns)."""
    train_rows = train.row_of()
    columns = train.column_of()
    has_history = np.diff(train.matrix.indptr) > 0
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
        out[row] = bought
    return out


def evaluate(
    train: Dataset,
    relevant: dict[int, set[int]],
    method: str,
    k: int = 10,
    rebuyable: np.ndarray | None = None,
) -> Metrics:
    rows = np.array(sorted(relevant), dtype=np.int64)
    n_items = train.matrix.shape[1]
    if len(rows) == 0 or n_items == 0:
        return Metrics(0.0, 0.0, 0.0, 0.0)
    model = make_model(method).fit(train.matrix)
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


def choose(
    frame: dict[str, Any], k: int = 10, rebuy: str = "history"
) -> tuple[str, dict[str, Any]]:
    """The method with the best nDCG@k on a validation split inside `frame` (the training period:
    its purchases up to the day before which four fifths of them fall, against the rest)."""
    days = np.asarray(frame["date"]).astype("datetime64[D]")
    if len(days) == 0:
        return CANDIDATES[0], {}
    cut = np.sort(days)[int(len(days) * 0.8)]
    fit_mask, check_mask = time_split(days, cut)
    if not fit_mask.any() or not check_mask.any():
        return CANDIDATES[0], {}
    fit = _split(frame, fit_mask)
    check = _split(frame, check_mask)
    relevant = _relevant(check, fit)
    if not relevant:
        return CANDIDATES[0], {}
    rebuyable = rebuyable_from_history(fit.matrix) if rebuy == "history" else None
    figures = {m: evaluate(fit, relevant, m, k, rebuyable) for m in CANDIDATES}
    best = max(CANDIDATES, key=lambda m: (figures[m].ndcg_at_k, -CANDIDATES.index(m)))
    return best, {"split_date": str(cut), **{m: f.as_dict() for m, f in figures.items()}}


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
    relevant = _relevant(test, train)
    if rebuy == "history":
        rebuyable = rebuyable_from_history(train.matrix)
    elif rebuy == "listed":
        listed = rebuyable_products or set()
        rebuyable = np.array([p in listed for p in train.products.tolist()], dtype=bool)
    else:
        rebuyable = None
    chosen, validation = choose(train_frame, k, rebuy if rebuy != "listed" else "none")
    model = evaluate(train, relevant, chosen, k, rebuyable)
    popularity = evaluate(train, relevant, "popularity", k, rebuyable)
    return {
        "model": model.as_dict(),
        "popularity": popularity.as_dict(),
        "chosen": chosen,
        "customers_evaluated": len(relevant),
        "_train": train,
        "_validation": validation,
    }
