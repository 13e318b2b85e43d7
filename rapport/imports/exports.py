"""Exports of any filtered list, as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX.

Rows are read in id order a chunk at a time with values() and one query per related table per
chunk, and written out as they come: a million customers stream in constant memory. The headers
are the importer's field names, so an exported file imports again as it is.
"""

import csv
import io
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from rapport.core.registry import export_kind
from rapport.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    Organisation,
)
from rapport.imports.kinds.customers import customer_number
from rapport.sales.models import Order, OrderLine, Product

CHUNK = 2000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMERIC = re.compile(r"^[+\-]?[\d\s().;/-]+$")  # phone numbers and amounts stay as they are

CUSTOMER_COLUMNS = (
    "number",
    "external_id",
    "family_name",
    "given_name",
    "gender",
    "birthday",
    "celebrates_lunar_birthday",
    "phone",
    "home_phone",
    "work_phone",
    "email",
    "tags",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "occupation",
    "income_band",
    "preferred_language",
    "preferred_channel",
    "customer_since",
    "source",
    "referred_by",
    "hobbies",
    "personality",
    "family_situation",
    "notes",
)
_CUSTOMER_VALUES = (
    "pk",
    "external_id",
    "family_name",
    "given_name",
    "gender",
    "birthday",
    "celebrates_lunar_birthday",
    "occupation",
    "income_band",
    "preferred_language",
    "preferred_channel",
    "customer_since",
    "source",
    "referred_by_id",
    "hobbies",
    "personality",
    "family_situation",
    "notes",
)
ORGANISATION_COLUMNS = (
    "external_id",
    "name",
    "industry",
    "website",
    "phone",
    "email",
    "tax_id",
    "address",
    "city",
    "country",
    "tags",
    "notes",
)
PRODUCT_COLUMNS = ("sku", "name", "category", "price", "unit_cost", "active")
ORDER_COLUMNS = (
    "number",
    "customer",
    "organisation",
    "ordered_at",
    "status",
    "channel",
    "currency",
    "promotion_code",
    "sku",
    "batch",
    "quantity",
    "unit_price",
    "discount",
    "line_total",
    "notes",
)


def export_rows(
    *, kind: str, queryset_or_filters: QuerySet | dict[str, Any] | None = None, fmt: str = "csv"
) -> Iterator[bytes]:
    """The file's bytes, a piece at a time (for StreamingHttpResponse or writing to disk)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}")
    spec = export_kind(kind)
    source = queryset_or_filters
    if isinstance(source, QuerySet):
        qs = source
    else:
        filters = {k: v for k, v in (source or {}).items() if v not in (None, "")}
        qs = spec.queryset(filters)
    rows = spec.rows(qs)
    return _csv(spec.columns, rows) if fmt == "csv" else _xlsx(spec.columns, rows)


def export_filename(kind: str, fmt: str) -> str:
    return f"{kind}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def customer_queryset(filters: dict[str, Any]) -> QuerySet:
    """What the customer list shows for these GET parameters (its search box included)."""
    from rapport.customers.search import search_customer_ids
    from rapport.customers.selectors import customer_queryset as listed

    filters = dict(filters)
    if query := filters.pop("q", ""):
        filters["ids"] = search_customer_ids(query, limit=10_000) or [0]
    return listed(filters=filters)


def organisation_queryset(filters: dict[str, Any]) -> QuerySet:
    from rapport.core.names import fold

    qs = Organisation.objects.all()
    return qs.filter(sort_name__startswith=fold(filters["q"])) if filters.get("q") else qs


def product_queryset(filters: dict[str, Any]) -> QuerySet:
    qs = Product.objects.all()
    if q := str(filters.get("q", "")).strip():
        qs = qs.filter(sku__istartswith=q) | qs.filter(name__icontains=q)
    return qs.filter(category=filters["category"]) if filters.get("category") else qs


def order_queryset(filters: dict[str, Any]) -> QuerySet:
    qs = Order.objects.all()
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    if filters.get("promotion_code"):
        qs = qs.filter(promotion_code=filters["promotion_code"])
    return qs


def _chunks(qs: QuerySet, fields: Iterable[str]) -> Iterator[list[dict[str, Any]]]:
    """values() in id order, a chunk at a time (keyset: each chunk is an index range scan)."""
    last = 0
    qs = qs.order_by("pk")
    while chunk := list(qs.filter(pk__gt=last).values(*fields)[:CHUNK]):
        yield chunk
        last = chunk[-1]["pk"]


def _grouped(pairs: Iterable[tuple[int, Any]]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for key, value in pairs:
        out[key].append(value)
    return out


def customer_rows(qs: QuerySet) -> Iterator[list]:
    for chunk in _chunks(qs, _CUSTOMER_VALUES):
        ids = [c["pk"] for c in chunk]
        phones = _grouped(
            (cid, (number, kind))
            for cid, number, kind in CustomerPhone.objects.filter(customer_id__in=ids)
            .order_by("customer_id", "-is_primary", "pk")
            .values_list("customer_id", "number", "kind")
        )
        emails = _grouped(
            CustomerEmail.objects.filter(customer_id__in=ids)
            .order_by("customer_id", "-is_primary", "pk")
            .values_list("customer_id", "address")
        )
        tags = _grouped(
            Customer.tags.through.objects.filter(customer_id__in=ids)
            .order_by("customer_id", "tag__name")
            .values_list("customer_id", "tag__name")
        )
        addresses: dict[int, tuple] = {}
        for row in (
            CustomerAddress.objects.filter(customer_id__in=ids)
            .order_by("customer_id", "pk")
            .values_list("customer_id", "line1", "city", "region", "postal_code", "country")
        ):
            addresses.setdefault(row[0], row[1:])
        for c in chunk:
            pk = c["pk"]
            numbers = phones.get(pk, [])
            by_kind = {
                k: "; ".join(n for n, kind in numbers if kind == k) for k in ("home", "work")
            }
            mobile = "; ".join(n for n, kind in numbers if kind not in ("home", "work"))
            address = addresses.get(pk, ("", "", "", "", ""))
            yield [
                customer_number(pk),
                c["external_id"] or "",
                c["family_name"],
                c["given_name"],
                c["gender"],
                c["birthday"],
                _yes_no(c["celebrates_lunar_birthday"]),
                mobile,
                by_kind["home"],
                by_kind["work"],
                "; ".join(emails.get(pk, [])),
                ", ".join(tags.get(pk, [])),
                *address,
                c["occupation"],
                c["income_band"],
                c["preferred_language"],
                c["preferred_channel"],
                c["customer_since"],
                c["source"],
                customer_number(c["referred_by_id"]) if c["referred_by_id"] else "",
                c["hobbies"],
                c["personality"],
                c["family_situation"],
                c["notes"],
            ]


def organisation_rows(qs: QuerySet) -> Iterator[list]:
    fields = ("pk", *(c for c in ORGANISATION_COLUMNS if c != "tags"))
    for chunk in _chunks(qs, fields):
        tags = _grouped(
            Organisation.tags.through.objects.filter(organisation_id__in=[o["pk"] for o in chunk])
            .order_by("organisation_id", "tag__name")
            .values_list("organisation_id", "tag__name")
        )
        for o in chunk:
            o["external_id"] = o["external_id"] or ""
            o["tags"] = ", ".join(tags.get(o["pk"], []))
            yield [o[c] for c in ORGANISATION_COLUMNS]


def product_rows(qs: QuerySet) -> Iterator[list]:
    for chunk in _chunks(qs, ("pk", *PRODUCT_COLUMNS)):
        for p in chunk:
            p["active"] = _yes_no(p["active"])
            yield [p[c] for c in PRODUCT_COLUMNS]


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
    for chunk in _chunks(qs, fields):
        lines = _grouped(
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


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


# Writing the file --------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMERIC.match(value):
        return "'" + value  # a spreadsheet would run it as a formula; the importer takes the ' off
    return value


def _csv(columns: tuple[str, ...], rows: Iterator[list]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(v) for v in row])
        if n % 1000 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if tail := buffer.getvalue():
        yield tail.encode()


def _xlsx(columns: tuple[str, ...], rows: Iterator[list]) -> Iterator[bytes]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(columns))

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters Excel cannot hold
        if isinstance(value, str) and value.startswith("="):
            text_cell = WriteOnlyCell(sheet, value=value)
            text_cell.data_type = "s"  # text, never a formula
            return text_cell
        return value

    for row in rows:
        sheet.append([cell(v) for v in row])
    with tempfile.TemporaryFile() as fh:
        workbook.save(fh)
        fh.seek(0)
        while chunk := fh.read(1 << 16):
            yield chunk
