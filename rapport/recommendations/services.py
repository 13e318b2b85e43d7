"""Every write of recommendations: the refresh (stored recommendations per customer, incremental)
and the evaluation on a time split of the orders.

The refresh loads the purchase history (paid and delivered orders, net of returns), chooses the
method on a validation split of it (engine.choose), fits it on the whole history, and writes the
top `k` products of every customer whose history changed since their last refresh (or of all with
`full=True`). Products the customer bought are never offered again, unless marked consumable.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rapport.recommendations import engine
from rapport.recommendations.models import Evaluation, HistoryMark, Recommendation

DEFAULT_K = 10
EVALUATION_DAYS = 90  # the test period of the evaluation: the last 90 days of orders


@dataclass
class History:
    customer: np.ndarray  # customer id per line (returns are lines with negative quantity)
    product: np.ndarray
    quantity: np.ndarray
    basket: np.ndarray  # order id
    date: np.ndarray  # datetime64[D]
    line: np.ndarray  # order line id (0 for returns)

    def __len__(self) -> int:
        return len(self.customer)


def load_history(as_of: dt.date | None = None) -> History:
    """The counted orders' lines up to `as_of`, and their returns as negative lines."""
    from rapport.sales.choices import COUNTED_STATUSES
    from rapport.sales.models import OrderLine, Return

    lines = OrderLine.objects.filter(order__status__in=COUNTED_STATUSES)
    returns = Return.objects.filter(order_line__order__status__in=COUNTED_STATUSES)
    if as_of is not None:
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min)
        end_aware = timezone.make_aware(end) if settings.USE_TZ else end
        lines = lines.filter(order__ordered_at__lt=end_aware)
        returns = returns.filter(order_line__order__ordered_at__lt=end_aware)
    rows = list(
        lines.values_list(
            "id", "order__customer_id", "product_id", "quantity", "order_id", "order__ordered_at"
        )
    )
    rets = list(
        returns.values_list(
            "order_line__order__customer_id",
            "order_line__product_id",
            "quantity",
            "order_line__order_id",
            "order_line__order__ordered_at",
        )
    )
    customer = [r[1] for r in rows] + [r[0] for r in rets]
    product = [r[2] for r in rows] + [r[1] for r in rets]
    quantity = [float(r[3]) for r in rows] + [-float(r[2]) for r in rets]
    basket = [r[4] for r in rows] + [r[3] for r in rets]
    date = [timezone.localtime(r[5]).date() if settings.USE_TZ else r[5].date() for r in rows] + [
        timezone.localtime(r[4]).date() if settings.USE_TZ else r[4].date() for r in rets
    ]
    return History(
        customer=np.array(customer, dtype=np.int64),
        product=np.array(product, dtype=np.int64),
        quantity=np.array(quantity, dtype=float),
        basket=np.array(basket, dtype=np.int64),
        date=np.array(date, dtype="datetime64[D]"),
        line=np.array([r[0] for r in rows] + [0] * len(rets), dtype=np.int64),
    )


def _marks(history: History) -> dict[int, tuple[int, int, int]]:
    """customer id -> (lines, last line id, returns)."""
    out: dict[int, tuple[int, int, int]] = {}
    if not len(history):
        return out
    is_line = history.line > 0
    ids, inverse = np.unique(history.customer, return_inverse=True)
    lines = np.bincount(inverse, weights=is_line, minlength=len(ids))
    rets = np.bincount(inverse, weights=~is_line, minlength=len(ids))
    last = np.zeros(len(ids), dtype=np.int64)
    np.maximum.at(last, inverse, history.line)
    for i, cid in enumerate(ids.tolist()):
        out[cid] = (int(lines[i]), int(last[i]), int(rets[i]))
    return out


def _frame(history: History) -> dict[str, Any]:
    return {
        "customer": history.customer.astype(object),
        "product": history.product.astype(object),
        "date": history.date,
        "quantity": history.quantity,
        "basket": history.basket.astype(object),
    }


def recommendations_refresh(
    *,
    full: bool = False,
    k: int = DEFAULT_K,
    as_of: dt.date | None = None,
    method: str | None = None,
) -> dict[str, Any]:
    """Recompute the stored recommendations; returns what was done (customers refreshed, method,
    products, seconds)."""
    from rapport.sales.models import Product

    started = time.monotonic()
    history = load_history(as_of)
    marks = _marks(history)
    stored = {
        m.customer_id: (m.lines, m.last_line_id, m.returns) for m in HistoryMark.objects.all()
    }
    changed = sorted(c for c, mark in marks.items() if full or stored.get(c) != mark)
    if not changed:
        return {
            "customers": 0,
            "method": None,
            "products": 0,
            "seconds": time.monotonic() - started,
        }
    frame = _frame(history)
    if method is None:
        method, _validation = engine.choose(frame, k, rebuy="none")
    ds = engine.build_dataset(
        frame["customer"], frame["product"], frame["quantity"], frame["basket"]
    )
    consumable = set(Product.objects.filter(consumable=True).values_list("pk", flat=True))
    rebuyable = np.array([p in consumable for p in ds.products.tolist()], dtype=bool)
    model = engine.make_model(method).fit(ds.matrix)
    co_buyers = getattr(model, "co_buyers", None)
    if co_buyers is None:
        co_buyers = engine.ItemToItem().fit(ds.matrix).co_buyers
    row_of = ds.row_of()
    now = timezone.now()
    written = 0
    chunk = 2000
    for start in range(0, len(changed), chunk):
        ids = changed[start : start + chunk]
        rows = np.array([row_of[c] for c in ids if c in row_of], dtype=np.int64)
        with_rows = [c for c in ids if c in row_of]
        recs = (
            engine.recommend(model, ds.matrix, rows, k, rebuyable, co_buyers) if len(rows) else []
        )
        objects = [
            Recommendation(
                customer_id=cid,
                product_id=int(ds.products[r.product]),
                rank=n,
                score=float(r.score),
                reason=r.reason,
                because_of_id=None if r.because_of is None else int(ds.products[r.because_of]),
                customers=r.customers,
                method=method,
                computed_at=now,
            )
            for cid, per in zip(with_rows, recs, strict=True)
            for n, r in enumerate(per, start=1)
        ]
        with transaction.atomic():
            Recommendation.objects.filter(customer_id__in=ids).delete()
            Recommendation.objects.bulk_create(objects, batch_size=1000)
            HistoryMark.objects.filter(customer_id__in=ids).delete()
            HistoryMark.objects.bulk_create(
                [
                    HistoryMark(
                        customer_id=c,
                        lines=marks[c][0],
                        last_line_id=marks[c][1],
                        returns=marks[c][2],
                    )
                    for c in ids
                ],
                batch_size=1000,
            )
        written += len(ids)
    return {
        "customers": written,
        "method": method,
        "products": int(ds.matrix.shape[1]),
        "seconds": round(time.monotonic() - started, 3),
    }


def evaluation_run(
    *, as_of: dt.date | None = None, split_date: dt.date | None = None, k: int = DEFAULT_K
) -> Evaluation:
    """Evaluate on a time split of the orders (default: the last 90 days are the test period)."""
    from rapport.sales.models import Product

    started = time.monotonic()
    history = load_history(as_of)
    end = as_of or (history.date.max().astype(dt.date) if len(history) else timezone.localdate())
    split = split_date or (end - dt.timedelta(days=EVALUATION_DAYS))
    consumable = set(Product.objects.filter(consumable=True).values_list("pk", flat=True))
    if len(history):
        result = engine.evaluate_split(
            history.customer.astype(object),
            history.product.astype(object),
            history.date,
            split,
            k=k,
            quantities=history.quantity,
            baskets=history.basket.astype(object),
            rebuy="listed",
            rebuyable_products=consumable,
        )
    else:
        empty = engine.Metrics(0, 0, 0, 0).as_dict()
        result = {
            "model": empty,
            "popularity": empty,
            "chosen": "item_to_item",
            "customers_evaluated": 0,
        }
    train = result.get("_train")
    return Evaluation.objects.create(
        as_of=end,
        split_date=split,
        k=k,
        chosen=result["chosen"],
        model=result["model"],
        popularity=result["popularity"],
        validation=result.get("_validation", {}),
        customers_evaluated=result["customers_evaluated"],
        products=0 if train is None else int(train.matrix.shape[1]),
        duration_seconds=round(time.monotonic() - started, 3),
    )


def forget_customer(customer_id: int) -> None:
    """After a merge: the kept customer's recommendations are recomputed at the next refresh
    (their history now holds both customers' orders)."""
    HistoryMark.objects.filter(customer_id=customer_id).delete()
