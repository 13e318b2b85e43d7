"""What the deal history's exports hold: products and order lines, a chunk at a time, with the
columns of rapport.sales.importing.columns (so an export imports again as it is)."""

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from rapport.core.params import id_param
from rapport.customers.numbers import customer_number
from rapport.imports.exports import chunks, grouped, yes_no
from rapport.imports.mapping import export_columns
from rapport.sales.importing.columns import ORDER_COLUMNS, PRODUCT_COLUMNS
from rapport.sales.models import Order, OrderLine, Product

PRODUCT_EXPORT = export_columns(PRODUCT_COLUMNS)
ORDER_EXPORT = export_columns(ORDER_COLUMNS)


def product_queryset(filters: dict[str, Any]) -> QuerySet:
    qs = Product.objects.all()
    if q := str(filters.get("q", "")).strip():
        qs = qs.filter(sku__istartswith=q) | qs.filter(name__icontains=q)
    return qs.filter(category=filters["category"]) if filters.get("category") else qs


def order_queryset(filters: dict[str, Any]) -> QuerySet:
    qs = Order.objects.all()
    if filters.get("customer"):
        qs = qs.filter(customer_id=id_param(filters["customer"], "customer"))
    if filters.get("promotion_code"):
        qs = qs.filter(promotion_code=filters["promotion_code"])
    return qs


def product_rows(qs: QuerySet) -> Iterator[list]:
    for chunk in chunks(qs, ("pk", *PRODUCT_EXPORT)):
        for p in chunk:
            p["active"] = yes_no(p["active"])
            yield [p[c] for c in PRODUCT_EXPORT]


def order_rows(qs: QuerySet) -> Iterator[list]:
    fields = (
        "pk",
        "number",
        "customer_id",
        "organisation__external_id",
        "organisation__name",
        "ordered_at",
        "status",
        "channel",
        "currency",
        "promotion_code",
        "notes",
    )
    for chunk in chunks(qs, fields):
        lines = grouped(
            (li[0], li[1:])
            for li in OrderLine.objects.filter(order_id__in=[o["pk"] for o in chunk])
            .order_by("order_id", "pk")
            .values_list(
                "order_id",
                "product__sku",
                "batch",
                "quantity",
                "unit_price",
                "discount",
                "line_total",
            )
        )
        for o in chunk:
            organisation = o["organisation__external_id"] or o["organisation__name"] or ""
            ordered_at = timezone.localtime(o["ordered_at"]).replace(tzinfo=None)
            for sku, batch, quantity, unit_price, discount, line_total in lines.get(o["pk"], []):
                yield [
                    o["number"],
                    customer_number(o["customer_id"]),
                    organisation,
                    ordered_at,
                    o["status"],
                    o["channel"],
                    o["currency"],
                    o["promotion_code"],
                    sku,
                    batch,
                    quantity.normalize(),
                    unit_price,
                    discount,
                    line_total,
                    o["notes"],
                ]
