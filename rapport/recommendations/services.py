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
from django.db import connection, transaction
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
    """The counted orders' lines up to `as_of`, and their returns as negative lines dated when
    they came back.

    Read with two plain SELECTs into numpy columns (a million customers have ten million lines:
    model instances or per-row tuples in Python would take minutes); the local day of each order
    is computed once per distinct UTC hour."""
    from rapport.sales.choices import COUNTED_STATUSES
    from rapport.sales.models import Order, OrderLine, Return

    order, line, ret = Order._meta.db_table, OrderLine._meta.db_table, Return._meta.db_table
    qn = connection.ops.quote_name

    def epoch(column: str) -> str:
        if connection.vendor == "postgresql":
            return f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint"
        return f"CAST(strftime('%%s', {column}) AS INTEGER)"

    real = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    where = f"o.status IN ({', '.join(['%s'] * len(COUNTED_STATUSES))})"
    params: list[Any] = list(COUNTED_STATUSES)
    returned = ""
    if as_of is not None:
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min)
        where += " AND o.ordered_at < %s"
        returned = " AND r.returned_at < %s"
        # adapted as the ORM would: SQLite compares text, so an aware local midnight written as
        # "… 00:00:00+08:00" against the stored UTC "… 16:29:00" counted a return of the
        # evening (UTC) after the day as made on it
        params.append(
            connection.ops.adapt_datetimefield_value(
                timezone.make_aware(end) if settings.USE_TZ else end
            )
        )
    lines = _columns(
        f"SELECT l.id, o.customer_id, l.product_id, CAST(l.quantity AS {real}), l.order_id, "  # noqa: S608 - names from the models
        f"{epoch('o.ordered_at')} FROM {qn(line)} l JOIN {qn(order)} o ON o.id = l.order_id "
        f"WHERE {where}",
        params,
        6,
    )
    # a return is dated when it came back: a time split must not know of returns after its day
    rets = _columns(
        f"SELECT 0, o.customer_id, l.product_id, -CAST(r.quantity AS {real}), l.order_id, "  # noqa: S608 - names from the models
        f"{epoch('r.returned_at')} FROM {qn(ret)} r JOIN {qn(line)} l ON l.id = r.order_line_id "
        f"JOIN {qn(order)} o ON o.id = l.order_id WHERE {where}{returned}",
        params + params[-1:] if as_of is not None else params,
        6,
    )
    both = np.concatenate([lines, rets]) if len(rets) else lines
    return History(
        customer=both[:, 1].astype(np.int64),
        product=both[:, 2].astype(np.int64),
        quantity=both[:, 3].astype(float),
        basket=both[:, 4].astype(np.int64),
        date=_local_days(both[:, 5].astype(np.int64)),
        line=both[:, 0].astype(np.int64),
    )


def _columns(sql: str, params: list[Any], width: int, batch: int = 200_000) -> np.ndarray:
    """A query's rows as one float64 array (ids up to 2**53 are exact). PostgreSQL sends them
    with COPY … TO STDOUT as CSV, parsed in one go (ten million rows as Python tuples took
    minutes)."""
    chunks = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            import io

            import polars as pl

            buffer = io.BytesIO()
            query = cursor.cursor.mogrify(sql, params)  # Django's cursors bind client-side
            with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
            if not buffer.tell():
                return np.zeros((0, width))
            buffer.seek(0)
            frame = pl.read_csv(
                buffer, has_header=False, schema={f"c{i}": pl.Float64 for i in range(width)}
            )
            return frame.to_numpy().astype(np.float64, copy=False).reshape(-1, width)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            chunks.append(np.array(rows, dtype=np.float64))
    return np.concatenate(chunks) if chunks else np.zeros((0, width))


def _local_days(seconds: np.ndarray) -> np.ndarray:
    """Unix seconds -> the local date (the current time zone, as `timezone.localtime`)."""
    if not settings.USE_TZ or not len(seconds):
        return (seconds // 86400).astype("datetime64[D]")
    tz = timezone.get_current_timezone()
    hours, inverse = np.unique(seconds // 3600, return_inverse=True)
    offsets = np.array(
        [
            (dt.datetime.fromtimestamp(h * 3600, tz).utcoffset() or dt.timedelta()).total_seconds()
            for h in hours.tolist()
        ],
        dtype=np.int64,
    )
    return ((seconds + offsets[inverse]) // 86400).astype("datetime64[D]")


def _marks(history: History) -> tuple[np.ndarray, np.ndarray]:
    """Customer ids (ascending) and their marks (n × 3: lines, last line id, returns)."""
    if not len(history):
        return np.zeros(0, dtype=np.int64), np.zeros((0, 3), dtype=np.int64)
    is_line = history.line > 0
    ids, inverse = np.unique(history.customer, return_inverse=True)
    lines = np.bincount(inverse, weights=is_line, minlength=len(ids))
    rets = np.bincount(inverse, weights=~is_line, minlength=len(ids))
    last = np.zeros(len(ids), dtype=np.int64)
    np.maximum.at(last, inverse, history.line)
    return ids, np.stack([lines.astype(np.int64), last, rets.astype(np.int64)], axis=1)


def _changed(ids: np.ndarray, marks: np.ndarray, full: bool) -> np.ndarray:
    """The customers whose mark differs from the stored one (all with `full`)."""
    if full or not len(ids):
        return ids
    stored = np.array(
        list(HistoryMark.objects.values_list("customer_id", "lines", "last_line_id", "returns")),
        dtype=np.int64,
    ).reshape(-1, 4)
    if not len(stored):
        return ids
    stored = stored[np.argsort(stored[:, 0])]
    at = np.minimum(np.searchsorted(stored[:, 0], ids), len(stored) - 1)
    same = (stored[at, 0] == ids) & (stored[at, 1:] == marks).all(axis=1)
    return ids[~same]


def _bulk_insert(model: Any, columns: dict[str, Any], n: int, table: str | None = None) -> None:
    """Insert n rows given as columns (numpy arrays, lists, or one value for every row; None in
    a list is NULL): COPY on PostgreSQL, one executemany on SQLite. `table`: another table of
    the model's shape (the full refresh's next table)."""
    if not n:
        return
    qn = connection.ops.quote_name
    table = qn(table or model._meta.db_table)
    names = list(columns)
    fields = ", ".join(qn(model._meta.get_field(name).column) for name in names)

    def column(value: Any) -> list:
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, list):
            return value
        return [value] * n

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            import io

            import polars as pl

            data = {}
            for name in names:
                value = columns[name]
                if isinstance(value, dt.datetime):
                    value = value.isoformat()
                data[name] = value if isinstance(value, np.ndarray) else column(value)
            buffer = io.BytesIO()
            pl.DataFrame(data).write_csv(buffer, include_header=False, null_value="")
            with cursor.cursor.copy(f"COPY {table} ({fields}) FROM STDIN WITH (FORMAT csv)") as cp:
                cp.write(buffer.getvalue())
        else:
            values = []
            for name in names:
                value = columns[name]
                if isinstance(value, dt.datetime):
                    value = connection.ops.adapt_datetimefield_value(value)
                values.append(column(value))
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(
                f"INSERT INTO {table} ({fields}) VALUES ({marks})",  # noqa: S608 - names from the model
                list(zip(*values, strict=True)),
            )


def _delete_customers(ids: np.ndarray) -> None:
    """Delete the stored recommendations and marks of these customers: one statement per table
    with an array on PostgreSQL (ten thousand bound parameters per statement cost more in Python
    than the delete), batches under SQLite's parameter limit otherwise."""
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in (Recommendation, HistoryMark):
                column = model._meta.get_field("customer").column
                cursor.execute(
                    f"DELETE FROM {qn(model._meta.db_table)} WHERE {qn(column)} = ANY(%s)",  # noqa: S608 - names from the models
                    [ids.tolist()],
                )
        return
    for at in range(0, len(ids), 10_000):
        few = ids[at : at + 10_000].tolist()
        Recommendation.objects.filter(customer_id__in=few).delete()
        HistoryMark.objects.filter(customer_id__in=few).delete()


NEXT = "_next"  # suffix of the tables (and their indexes) a full refresh builds


def _next_tables() -> dict[Any, str]:
    """PostgreSQL's full refresh writes into empty copies of the two tables, without indexes
    (the pages keep reading the current ones), and swaps them in at the end (`_swap_in`):
    loading ten million rows into indexed tables and deleting the old ones cost minutes."""
    qn = connection.ops.quote_name
    out = {}
    with connection.cursor() as cursor:
        for model in (Recommendation, HistoryMark):
            table = model._meta.db_table
            cursor.execute(f"DROP TABLE IF EXISTS {qn(table + NEXT)}")  # left by a failed run
            cursor.execute(
                f"CREATE TABLE {qn(table + NEXT)} (LIKE {qn(table)} INCLUDING DEFAULTS "
                "INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
            )
            out[model] = table + NEXT
    return out


def _swap_in(tables: dict[Any, str]) -> None:
    """Index and constrain the next tables as the current ones are (primary, unique and foreign
    keys, other indexes; check constraints came with LIKE), then replace the current ones in one
    short transaction (readers wait only for the renames)."""
    qn = connection.ops.quote_name
    renames: list[str] = []
    with connection.cursor() as cursor:
        for model, next_table in tables.items():
            table = model._meta.db_table
            cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u', 'f')",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(
                    f"ALTER TABLE {qn(next_table)} ADD CONSTRAINT {qn(name + NEXT)} {definition}"
                )
                renames.append(
                    f"ALTER TABLE {qn(table)} RENAME CONSTRAINT {qn(name + NEXT)} TO {qn(name)}"
                )
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                "AND i.schemaname = current_schema() AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [table],
            )
            for name, definition in cursor.fetchall():
                unique = "UNIQUE " if definition.startswith("CREATE UNIQUE ") else ""
                using = definition.partition(" USING ")[2]
                cursor.execute(
                    f"CREATE {unique}INDEX {qn(name + NEXT)} ON {qn(next_table)} USING {using}"
                )
                renames.append(f"ALTER INDEX {qn(name + NEXT)} RENAME TO {qn(name)}")
        with transaction.atomic():
            for model, next_table in tables.items():
                table = model._meta.db_table
                cursor.execute(f"DROP TABLE {qn(table)}")
                cursor.execute(f"ALTER TABLE {qn(next_table)} RENAME TO {qn(table)}")
            for sql in renames:
                cursor.execute(sql)
            cursor.execute(f"ANALYZE {qn(Recommendation._meta.db_table)}")


def _frame(history: History) -> dict[str, Any]:
    return {
        "customer": history.customer,
        "product": history.product,
        "date": history.date,
        "quantity": history.quantity,
        "basket": history.basket,
    }


def recommendations_refresh(
    *,
    full: bool = False,
    k: int = DEFAULT_K,
    as_of: dt.date | None = None,
    method: str | None = None,
) -> dict[str, Any]:
    """Recompute the stored recommendations; returns what was done (customers refreshed, method,
    products, seconds, and the seconds of each stage)."""
    from rapport.sales.models import Product

    started = time.monotonic()
    stages: dict[str, float] = {}

    def stage(name: str, since: float) -> float:
        now = time.monotonic()
        stages[name] = round(now - since, 3)
        return now

    history = load_history(as_of)
    ids, marks = _marks(history)
    changed = _changed(ids, marks, full)
    t = stage("read", started)
    if not len(changed):
        return {
            "customers": 0,
            "method": None,
            "products": 0,
            "seconds": time.monotonic() - started,
            "stages": stages,
        }
    frame = _frame(history)
    consumable = set(Product.objects.filter(consumable=True).values_list("pk", flat=True))
    params: dict[str, Any] = {}
    if method is None:
        method, validation = engine.choose(frame, k, rebuy="listed", rebuyable_products=consumable)
        params = validation.get("params", {})
        t = stage("choose", t)
    ds = engine.build_dataset(
        frame["customer"], frame["product"], frame["quantity"], frame["basket"]
    )
    del history, frame
    rebuyable = np.array([p in consumable for p in ds.products.tolist()], dtype=bool)
    model = engine.make_model(method, params).fit(ds.matrix)
    co_buyers = getattr(model, "co_buyers", None)
    if co_buyers is None:
        co_buyers = engine.ItemToItem().fit(ds.matrix).co_buyers
    t = stage("fit", t)
    # every changed customer has history (marks come from it): their matrix rows
    rows_of_changed = np.searchsorted(ds.customers.astype(np.int64), changed)
    mark_at = np.searchsorted(ids, changed)
    now = timezone.now()
    written = 0
    chunk = max(1000, min(50_000, 20_000_000 // max(1, ds.matrix.shape[1])))
    ranking = writing = 0.0
    w0 = time.monotonic()
    swap = _next_tables() if full and connection.vendor == "postgresql" else {}
    writing += time.monotonic() - w0
    for start in range(0, len(changed), chunk):
        r0 = time.monotonic()
        part = changed[start : start + chunk]
        rows = rows_of_changed[start : start + chunk]
        c = engine.recommend_columns(model, ds.matrix, rows, k, rebuyable, co_buyers)
        because = ds.products[np.maximum(c["because_of"], 0)].astype(np.int64)
        r1 = time.monotonic()
        with transaction.atomic():
            if not swap:
                _delete_customers(part)
            _bulk_insert(
                Recommendation,
                {
                    "customer": part[c["row"]],
                    "product": ds.products[c["product"]].astype(np.int64),
                    "rank": c["rank"],
                    "score": c["score"],
                    "reason": np.array(engine.REASONS)[c["reason"]],
                    "because_of": [
                        None if b < 0 else int(x)
                        for b, x in zip(c["because_of"].tolist(), because.tolist(), strict=True)
                    ],
                    "customers": c["customers"],
                    "method": method,
                    "computed_at": now,
                },
                len(c["row"]),
                swap.get(Recommendation),
            )
            m = marks[mark_at[start : start + chunk]]
            _bulk_insert(
                HistoryMark,
                {"customer": part, "lines": m[:, 0], "last_line_id": m[:, 1], "returns": m[:, 2]},
                len(part),
                swap.get(HistoryMark),
            )
        ranking += r1 - r0
        writing += time.monotonic() - r1
        written += len(part)
    if swap:
        w0 = time.monotonic()
        _swap_in(swap)
        writing += time.monotonic() - w0
    stages["rank"] = round(ranking, 3)
    stages["write"] = round(writing, 3)
    return {
        "customers": written,
        "method": method,
        "products": int(ds.matrix.shape[1]),
        "seconds": round(time.monotonic() - started, 3),
        "stages": stages,
    }


def evaluation_run(
    *, as_of: dt.date | None = None, split_date: dt.date | None = None, k: int = DEFAULT_K
) -> Evaluation:
    """Evaluate on a time split of the orders (default: the last 90 days are the test period)."""
    from rapport.sales.models import Product

    started = time.monotonic()
    history = load_history(as_of)
    bought = history.date[history.line > 0]  # the last order's day (not a later return's)
    end = as_of or (bought.max().astype(dt.date) if len(bought) else timezone.localdate())
    split = split_date or (end - dt.timedelta(days=EVALUATION_DAYS))
    consumable = set(Product.objects.filter(consumable=True).values_list("pk", flat=True))
    if len(history):
        result = engine.evaluate_split(
            history.customer,
            history.product,
            history.date,
            split,
            k=k,
            quantities=history.quantity,
            baskets=history.basket,
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
