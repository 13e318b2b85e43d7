"""The deal history's writers: products and orders (with their lines and returns), rows in, ids out.

The order page and the API (`services.order_create`, one order), the importer, the demo generator
and the benchmark loader all write orders here, so an order's total and cost are always the sum of
its lines, its number is made one way, and its creation is recorded the same way. Values must be
clean already (`services.clean_product_fields`, `services.price_lines`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from rapport.core.actors import Actor
from rapport.core.bulk import FieldUpdates, History, insert_rows, lock_for_update
from rapport.core.services import ORIGIN, diff, snapshot
from rapport.sales.choices import OrderStatus
from rapport.sales.models import Order, OrderLine, Product, Return

CENT = Decimal("0.01")
PRODUCT_COLUMNS = ("sku", "name", "category", "price", "unit_cost", "active")


# Products --------------------------------------------------------------------------------------


def products_insert(rows: Sequence[dict[str, Any]], *, by: Actor, note: str = "") -> list[int]:
    """Create products from clean fields (sku, name, category, price, unit_cost, active), each
    recorded with the values it was created with."""
    if not rows:
        return []
    now = timezone.now()
    values = [
        (
            r["sku"],
            r["name"],
            r.get("category", ""),
            r["price"],
            r.get("unit_cost", Decimal("0")),
            r.get("active", True),
            now,
            now,
            1,
        )
        for r in rows
    ]
    ids = insert_rows(
        Product, (*PRODUCT_COLUMNS, "created_at", "updated_at", "version"), values, returning=True
    )
    history = History(Product, by)
    for pk, row in zip(ids, rows, strict=True):
        changes = {
            k: [None, _plain(v)]
            for k, v in row.items()
            if k in PRODUCT_COLUMNS and v not in ("", None)
        }
        if note:
            changes[ORIGIN] = [None, note]
        history.add_create(pk, f"{row['sku']} {row['name']}", None, changes)
    history.flush()
    return ids


@dataclass(slots=True)
class FieldChanges:
    """The fields a file sets on an existing record (`match_id`)."""

    match_id: int
    fields: dict[str, Any]


def products_update(rows: Sequence[FieldChanges], *, by: Actor) -> int:
    """Set the given fields on existing products; returns how many changed (each recorded)."""
    history = History(Product, by)
    changed = FieldUpdates(Product, history).apply(list(rows))
    history.flush()
    return changed


# Orders ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class NewOrder:
    """An order to create with its priced lines (unsaved OrderLine objects from
    services.price_lines, or built alike); total and cost are summed here."""

    customer_id: int
    ordered_at: datetime
    lines: Sequence[OrderLine]
    number: str = ""
    organisation_id: int | None = None
    status: str = OrderStatus.PAID
    channel: str = ""
    promotion_code: str = ""
    currency: str = ""
    notes: str = ""
    returns: Sequence[NewReturn] = field(default_factory=list)


@dataclass(slots=True)
class NewReturn:
    line_index: int  # the order's line it returns
    returned_at: datetime
    quantity: Decimal
    refund_amount: Decimal
    reason: str = ""


def order_totals(lines: Sequence[OrderLine]) -> tuple[Decimal, Decimal]:
    """(total, cost): the sum of the line totals, and of cost price times quantity."""
    total = sum((li.line_total for li in lines), Decimal("0"))
    cost = sum((li.unit_cost * li.quantity for li in lines), Decimal("0")).quantize(CENT)
    return total, cost


def next_order_number() -> str:
    """A new order number: the date and a running number of that day, short enough to read out
    on the phone (SO-20261206-0042)."""
    today = timezone.localdate()
    prefix = f"SO-{today:%Y%m%d}-"
    last = (
        Order.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    tail = (last or "")[len(prefix) :]
    return f"{prefix}{int(tail) + 1 if tail.isdigit() else 1:04d}"


_ORDER_COLUMNS = (
    "number",
    "customer_id",
    "organisation_id",
    "ordered_at",
    "status",
    "channel",
    "promotion_code",
    "currency",
    "total",
    "cost",
    "notes",
    "created_at",
    "updated_at",
    "version",
)
_LINE_COLUMNS = (
    "order_id",
    "product_id",
    "batch",
    "quantity",
    "unit_price",
    "discount",
    "line_total",
    "unit_cost",
)


def orders_insert(
    orders: Sequence[NewOrder], *, by: Actor, note: str = "", history_times: bool = False
) -> list[int]:
    """Create orders with their lines and returns; each order's creation is recorded with what it
    was created with. `history_times`: date the history rows with the orders' times."""
    if not orders:
        return []
    now = timezone.now()
    currency = settings.RAPPORT_CURRENCY
    values, totals = [], []
    for o in orders:
        total, cost = order_totals(o.lines)
        totals.append(total)
        values.append(
            (
                o.number,
                o.customer_id,
                o.organisation_id,
                o.ordered_at,
                o.status,
                o.channel,
                o.promotion_code,
                o.currency or currency,
                total,
                cost,
                o.notes,
                now,
                now,
                1,
            )
        )
    ids = insert_rows(Order, _ORDER_COLUMNS, values, returning=True)
    line_values = [
        (
            pk,
            li.product_id,
            li.batch,
            li.quantity,
            li.unit_price,
            li.discount,
            li.line_total,
            li.unit_cost,
        )
        for pk, o in zip(ids, orders, strict=True)
        for li in o.lines
    ]
    line_ids = insert_rows(
        OrderLine, _LINE_COLUMNS, line_values, returning=any(o.returns for o in orders)
    )
    if line_ids:
        _insert_returns(orders, line_ids)
    history = History(Order, by)
    for pk, o, total, row in zip(ids, orders, totals, values, strict=True):
        changes: dict[str, list[Any]] = {
            "number": [None, o.number],
            "ordered_at": [None, o.ordered_at.isoformat()],
            "status": [None, o.status],
            "currency": [None, row[7]],
            "total": [None, str(total)],
            "lines": [None, len(o.lines)],
        }
        for name in ("channel", "promotion_code", "notes"):
            if value := getattr(o, name):
                changes[name] = [None, value]
        if o.organisation_id:
            changes["organisation_id"] = [None, o.organisation_id]
        if note:
            changes[ORIGIN] = [None, note]
        history.add_create(
            pk, o.number, o.customer_id, changes, time=o.ordered_at if history_times else None
        )
    history.flush()
    return ids


def _insert_returns(orders: Sequence[NewOrder], line_ids: list[int]) -> None:
    rows, offset = [], 0
    now = timezone.now()
    for o in orders:
        for r in o.returns:
            rows.append(
                (
                    line_ids[offset + r.line_index],
                    r.returned_at,
                    r.quantity,
                    r.refund_amount,
                    r.reason,
                    now,
                    now,
                )
            )
        offset += len(o.lines)
    insert_rows(
        Return,
        (
            "order_line_id",
            "returned_at",
            "quantity",
            "refund_amount",
            "reason",
            "created_at",
            "updated_at",
        ),
        rows,
    )


@dataclass(slots=True)
class OrderChanges:
    """What a file says about an existing order: its customer, organisation, header fields (blank
    ones left as they are) and lines (replacing the order's lines when they differ)."""

    order_id: int
    customer_id: int
    organisation_id: int | None
    header: dict[str, Any]
    lines: Sequence[OrderLine]


HEADER_FIELDS = ("ordered_at", "status", "channel", "currency", "promotion_code", "notes")


def line_key(lines: Sequence[OrderLine]) -> list[tuple]:
    """What makes two sets of lines the same order content."""
    return sorted(
        (li.product_id, li.quantity, li.unit_price, li.discount, li.batch) for li in lines
    )


def _same(current: Any, new: Any) -> bool:
    if isinstance(current, datetime) and isinstance(new, datetime):
        # Any time zone; spreadsheets keep whole seconds (or less), the database microseconds.
        return abs(current - new) < timedelta(seconds=1)
    return current == new


def orders_update(changes: Sequence[OrderChanges], *, by: Actor) -> int:
    """Apply a file's order-level cells, and its lines where they differ (the caller refuses lines
    for orders with returns); returns how many orders changed, each recorded."""
    if not changes:
        return 0
    history = History(Order, by)
    current = {
        o.pk: o
        for o in lock_for_update(Order, [c.order_id for c in changes]).prefetch_related("lines")
    }
    now = timezone.now()
    changed, replace = [], []
    for c in changes:
        order = current[c.order_id]
        fields = ["customer_id", "organisation_id", *HEADER_FIELDS, "total", "cost"]
        before = snapshot(order, fields=fields)
        order.customer_id = c.customer_id
        if c.organisation_id:
            order.organisation_id = c.organisation_id
        for name in HEADER_FIELDS:
            value = c.header.get(name)
            if value not in (None, "") and not _same(getattr(order, name), value):
                setattr(order, name, value)
        old_lines = list(order.lines.all())
        lines_differ = line_key(old_lines) != line_key(c.lines)
        if lines_differ:
            order.total, order.cost = order_totals(c.lines)
            replace.append((order, c.lines))
        diffs = diff(before, snapshot(order, fields=fields))
        if lines_differ:
            diffs["lines"] = [len(old_lines), len(c.lines)]
        if not diffs:
            continue
        order.version += 1
        order.updated_at = now
        changed.append(order)
        history.updated(order.pk, str(order), order.customer_id, diffs)
    if changed:
        Order.objects.bulk_update(
            changed,
            ["customer", "organisation", *HEADER_FIELDS, "total", "cost", "version", "updated_at"],
            batch_size=500,
        )
    if replace:
        OrderLine.objects.filter(order_id__in=[o.pk for o, _lines in replace]).delete()
        insert_rows(
            OrderLine,
            _LINE_COLUMNS,
            [
                (
                    o.pk,
                    li.product_id,
                    li.batch,
                    li.quantity,
                    li.unit_price,
                    li.discount,
                    li.line_total,
                    li.unit_cost,
                )
                for o, lines in replace
                for li in lines
            ],
        )
    history.flush()
    return len(changed)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
