"""Orders: one row per order line, grouped by order number; an order number already known is
matched, so importing a file again does not duplicate orders.

Order-level cells (customer, date, status…) may be filled on every line or only the first; lines
that disagree are refused. An order with one bad line is not imported at all, even in the
"valid rows only" mode: half an order would be wrong figures.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.actors import Actor
from rapport.core.names import fold
from rapport.customers.importing.customers import customer_refs
from rapport.customers.models import Organisation
from rapport.imports.kinds.base import (
    KindImporter,
    Progress,
    RowError,
    WriteCounts,
    amount_errors,
    field_errors,
)
from rapport.imports.values import choice, decimal_text, parse_datetime
from rapport.sales.bulk import (
    NewOrder,
    OrderChanges,
    line_key,
    order_totals,
    orders_insert,
    orders_update,
)
from rapport.sales.choices import OrderStatus, SalesChannel
from rapport.sales.models import Order, OrderLine, Product, Return
from rapport.sales.services import price_lines, to_decimal

HEADER_TEXT = ("customer", "organisation", "currency", "promotion_code", "notes")
CHUNK_ORDERS = 1000


@dataclass(slots=True)
class LineRecord:
    row: int
    number: str
    header: dict[str, Any]
    sku: str
    quantity: Decimal
    unit_price: Decimal | None
    discount: Decimal
    batch: str = ""
    match_id: int | None = None


@dataclass
class OrderGroup:
    number: str
    first_row: int
    header: dict[str, Any]
    lines: list[LineRecord] = field(default_factory=list)
    customer_id: int | None = None
    organisation_id: int | None = None
    priced: list[OrderLine] = field(default_factory=list)
    match_id: int | None = None

    def header_row(self, name: str) -> int:
        """The first row that gave this order-level value."""
        return next(
            (li.row for li in self.lines if li.header.get(name) not in (None, "")), self.first_row
        )


class OrderImporter(KindImporter):
    kind = "orders"
    model = Order
    parallel = False  # clean() notes which orders have bad lines
    spools = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups: dict[str, OrderGroup] = {}
        self.failed_orders: dict[str, int] = {}  # order number -> first row with errors
        self.ready: list[OrderGroup] = []

    # 1. One row --------------------------------------------------------------------------------

    def clean(self, row: int, cells: list[Any]) -> tuple[LineRecord | None, list[RowError]]:
        record, errors = self._clean(row, cells)
        if errors and (number := self.text(cells, "number")):
            self.failed_orders.setdefault(number, row)
        return record, errors

    def _clean(self, row: int, cells: list[Any]) -> tuple[LineRecord | None, list[RowError]]:
        errors: list[RowError] = []
        required = _("This field is required.")
        number, sku = self.text(cells, "number"), self.text(cells, "sku")
        if not number:
            errors.append(RowError(row, self.column("number"), required))
        if not sku:
            errors.append(RowError(row, self.column("sku"), required))
        header: dict[str, Any] = {n: v for n in HEADER_TEXT if (v := self.text(cells, n))}
        if "currency" in header:
            header["currency"] = header["currency"].upper()
        try:
            if moment := parse_datetime(self.cell(cells, "ordered_at")):
                header["ordered_at"] = moment
        except (ValueError, OverflowError):
            errors.append(RowError(row, self.column("ordered_at"), _("Enter a valid date/time.")))
        for name, choices in (("status", OrderStatus), ("channel", SalesChannel)):
            if value := choice(self.cell(cells, name), choices):
                if value in choices.values:
                    header[name] = value
                else:
                    errors.append(
                        RowError(
                            row,
                            self.column(name),
                            _("“%(value)s” is not one of the choices.") % {"value": value},
                        )
                    )
        amounts: dict[str, Any] = {}
        for name, default in (("quantity", "1"), ("unit_price", None), ("discount", "0")):
            raw = decimal_text(self.cell(cells, name)) or default
            if raw is None:
                continue
            try:
                amounts[name] = to_decimal(raw, name)
            except ValidationError as exc:
                errors.extend(self.errors_from(row, exc))
            except ArithmeticError:
                for message in amount_errors(OrderLine, {name: raw})[name]:
                    errors.append(RowError(row, self.column(name), message))
        checks = {
            "number": number,
            "promotion_code": header.get("promotion_code"),
            "currency": header.get("currency"),
        }
        for model, values in ((Order, checks), (OrderLine, amounts)):
            for name, messages in field_errors(model, values).items():
                errors.extend(RowError(row, self.column(name), m) for m in messages)
        if errors:
            return None, errors
        return LineRecord(
            row=row,
            number=number,
            header=header,
            sku=sku,
            quantity=amounts["quantity"],
            unit_price=amounts.get("unit_price"),
            discount=amounts["discount"],
            batch=self.text(cells, "batch"),
        ), []

    # 2. Against the rest of the file: the lines of one order agree ---------------------------

    def accept(self, record: LineRecord) -> list[RowError]:
        group = self.groups.get(record.number)
        if group is None:
            self.groups[record.number] = OrderGroup(record.number, record.row, dict(record.header))
            return []
        errors = []
        for name, value in record.header.items():
            known = group.header.get(name)
            if known not in (None, "", value):
                errors.append(
                    RowError(
                        record.row,
                        self.column(name),
                        _(
                            "Row %(row)d of order %(number)s has another value in the column "
                            "“%(column)s”: “%(value)s”."
                        )
                        % {
                            "row": group.header_row(name),
                            "number": record.number,
                            "column": self.column(name),
                            "value": _shown(known),
                        },
                    )
                )
        if errors:
            self.failed_orders.setdefault(record.number, record.row)
        else:
            group.header.update(
                {k: v for k, v in record.header.items() if group.header.get(k) in (None, "")}
            )
        return errors

    def keep(self, records: bytes | None, summaries: list[LineRecord]) -> None:
        for line in summaries:  # a line is its own summary; orders wait in memory, grouped
            self.groups[line.number].lines.append(line)

    # 5. The whole file read: check the orders against the database -------------------------

    def finish(self, invalid_rows: set[int]) -> list[RowError]:
        errors: list[RowError] = []
        groups = []
        for group in self.groups.values():
            if group.number in self.failed_orders:
                errors.extend(self._dropped(group, self.failed_orders[group.number]))
            elif group.lines:
                groups.append(group)
        for start in range(0, len(groups), CHUNK_ORDERS):
            chunk = groups[start : start + CHUNK_ORDERS]
            errors.extend(self._check(chunk))
        self.to_create = sum(1 for g in self.ready if g.match_id is None)
        self.to_update = len(self.ready) - self.to_create
        return errors

    def _dropped(self, group: OrderGroup, bad_row: int) -> Iterator[RowError]:
        for line in group.lines:
            if line.row != bad_row:
                yield RowError(
                    line.row,
                    self.column("number"),
                    _("Not imported: row %(row)d of the same order has errors.") % {"row": bad_row},
                )

    def _check(self, groups: list[OrderGroup]) -> list[RowError]:
        customers = customer_refs(
            {g.header["customer"] for g in groups if g.header.get("customer")}, self.region
        )
        organisations = _organisation_refs(
            {g.header["organisation"] for g in groups if g.header.get("organisation")}
        )
        products = {
            p.sku: p
            for p in Product.objects.filter(sku__in={li.sku for g in groups for li in g.lines})
        }
        existing = {
            o.number: o
            for o in Order.objects.filter(number__in=[g.number for g in groups]).prefetch_related(
                "lines"
            )
        }
        with_returns = (
            set(
                Return.objects.filter(order_line__order__in=existing.values()).values_list(
                    "order_line__order_id", flat=True
                )
            )
            if existing
            else set()
        )
        errors: list[RowError] = []
        for group in groups:
            problems = self._check_group(
                group, customers, organisations, products, existing.get(group.number), with_returns
            )
            if problems:
                errors.extend(problems)
                bad = {e.row for e in problems}
                errors.extend(e for e in self._dropped(group, min(bad)) if e.row not in bad)
            else:
                self.ready.append(group)
        return errors

    def _check_group(
        self, group, customers, organisations, products, order, with_returns
    ) -> list[RowError]:
        errors: list[RowError] = []
        header = group.header
        ref = header.get("customer", "")
        group.customer_id = customers.get(ref)
        if not ref:
            errors.append(
                RowError(group.first_row, self.column("customer"), _("This field is required."))
            )
        elif group.customer_id is None:
            errors.append(
                RowError(
                    group.header_row("customer"),
                    self.column("customer"),
                    _("No customer matches “%(value)s”.") % {"value": ref},
                )
            )
        if org_ref := header.get("organisation"):
            group.organisation_id = organisations.get(org_ref)
            if group.organisation_id is None:
                errors.append(
                    RowError(
                        group.header_row("organisation"),
                        self.column("organisation"),
                        _("No organisation matches “%(value)s”.") % {"value": org_ref},
                    )
                )
        if order is None and not header.get("ordered_at"):
            errors.append(
                RowError(
                    group.first_row,
                    self.column("ordered_at") or self.column("number"),
                    _("Enter the date of the order."),
                )
            )
        group.priced = []
        for line in group.lines:
            product = products.get(line.sku)
            if product is None:
                errors.append(
                    RowError(
                        line.row,
                        self.column("sku"),
                        _("Unknown SKU: %(skus)s") % {"skus": line.sku},
                    )
                )
                continue
            spec = {
                "product_id": product.pk,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount": line.discount,
                "batch": line.batch,
            }
            try:
                priced = price_lines([spec], {product.pk: product})
            except ArithmeticError:
                priced = []
            except ValidationError:
                # price_lines names the line within the order; the file's row and column say more.
                if line.quantity <= 0:
                    errors.append(
                        RowError(
                            line.row, self.column("quantity"), _("The quantity must be positive.")
                        )
                    )
                else:
                    errors.append(
                        RowError(
                            line.row,
                            self.column("discount"),
                            _("The discount exceeds the line amount."),
                        )
                    )
                continue
            if not priced or field_errors(OrderLine, {"line_total": priced[0].line_total}):
                errors.append(
                    RowError(line.row, self.column("quantity"), _("The line amount is too large."))
                )
                continue
            group.priced.extend(priced)
        if group.priced and not errors:
            total, cost = order_totals(group.priced)
            if field_errors(Order, {"total": total, "cost": cost}):
                errors.append(
                    RowError(
                        group.first_row, self.column("number"), _("The order amount is too large.")
                    )
                )
        if order is not None and not errors:
            group.match_id = order.pk
            if order.pk in with_returns and line_key(order.lines.all()) != line_key(group.priced):
                errors.append(
                    RowError(
                        group.first_row,
                        self.column("number"),
                        _("Order %(number)s has returns: its lines cannot be changed by an import.")
                        % {"number": group.number},
                    )
                )
        return errors

    # 6. Writing ------------------------------------------------------------------------------

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        """Creates and updates through the deal history's writer (rapport.sales.bulk)."""
        counts = WriteCounts()
        for start in range(0, len(self.ready), CHUNK_ORDERS):
            chunk = self.ready[start : start + CHUNK_ORDERS]
            if creates := [g for g in chunk if g.match_id is None]:
                orders_insert(
                    [
                        NewOrder(
                            number=g.number,
                            customer_id=g.customer_id,
                            organisation_id=g.organisation_id,
                            ordered_at=g.header["ordered_at"],
                            status=g.header.get("status", OrderStatus.PAID),
                            channel=g.header.get("channel", ""),
                            promotion_code=g.header.get("promotion_code", ""),
                            currency=g.header.get("currency") or "",
                            notes=g.header.get("notes", ""),
                            lines=g.priced,
                        )
                        for g in creates
                    ],
                    by=by,
                    note=note,
                )
                counts.created += len(creates)
            if updates := [g for g in chunk if g.match_id is not None]:
                changed = orders_update(
                    [
                        OrderChanges(
                            g.match_id, g.customer_id, g.organisation_id, g.header, g.priced
                        )
                        for g in updates
                    ],
                    by=by,
                )
                counts.updated += changed
                counts.unchanged += len(updates) - changed
            progress(sum(len(g.lines) for g in chunk))
        return counts


def _organisation_refs(refs: set[str]) -> dict[str, int]:
    """Organisations named by external id or by name: {ref: organisation id}."""
    if not refs:
        return {}
    found = dict(Organisation.objects.filter(external_id__in=refs).values_list("external_id", "pk"))
    by_name = {fold(r)[:200]: r for r in refs - found.keys()}
    for sort_name, pk in (
        Organisation.objects.filter(sort_name__in=by_name)
        .order_by("pk")
        .values_list("sort_name", "pk")
    ):
        found.setdefault(by_name[sort_name], pk)
    return found


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)
