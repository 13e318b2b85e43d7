"""Exports of any filtered list, as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX.

Rows are read in id order a chunk at a time with values() and one query per related table per
chunk, and written out as they come: a million customers stream in constant memory. The headers
are the importer's field names, so an exported file imports again as it is. What each kind's rows
hold is the owning app's (its ExportKindSpec: e.g. rapport.customers.exporting); this module reads
in chunks and writes the files.
"""

import csv
import io
import itertools
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

CHUNK = 2000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA = re.compile(r"^[=+\-@\t\r]")
# Phone numbers (also several in a cell: "+86 138…; +86 139…") and amounts stay as they are: no
# letters, so nothing a spreadsheet could run.
_NUMERIC = re.compile(r"^[+\-]?[\d\s().,;/+-]+$")


def export_rows(
    *,
    kind: str,
    queryset_or_filters: QuerySet | dict[str, Any] | None = None,
    fmt: str = "csv",
    headers: str = "fields",
    values: str = "codes",
) -> Iterator[bytes]:
    """The file's bytes, a piece at a time (for StreamingHttpResponse or writing to disk).

    `headers`: "fields" (the importer's field names: the file imports again as it is) or
    "labels" (the columns' names in the current language). `values`: "codes" (as stored:
    "female", "upper_middle") or "labels" (as the pages show them, in the current language)."""
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
    # The first row is read now, so a filter the database refuses fails here (a 400 page)
    # before the response starts, instead of a file that stops after its header.
    first = next(rows, _END)
    rows = itertools.chain([first], rows) if first is not _END else iter(())
    columns = spec.columns
    if values == "labels":
        rows = _with_value_labels(kind, columns, rows)
    if headers == "labels":
        columns = _header_labels(kind, columns)
    return _csv(columns, rows) if fmt == "csv" else _xlsx(columns, rows)


def _header_labels(kind: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    from django.utils.text import capfirst

    from rapport.core.registry import import_kind

    try:  # the exported columns the import leaves out (consent per channel) too
        labels = {t.field: capfirst(str(t.label)) for t in import_kind(kind).targets()}
    except KeyError:  # an export without an import of the same kind
        labels = {}
    return tuple(labels.get(c, c) for c in columns)


def _with_value_labels(kind: str, columns: tuple[str, ...], rows: Iterable[list]) -> Iterator[list]:
    """Rows with each choice column's codes replaced by their labels, yes/no in words."""
    from django.utils.module_loading import import_string
    from django.utils.translation import gettext as _

    from rapport.core.registry import import_kind

    choices: dict[int, dict[str, str]] = {}
    try:
        model = import_string(import_kind(kind).importer.replace(":", ".")).model
    except (KeyError, ImportError, AttributeError):
        model = None
    for i, column in enumerate(columns):
        try:
            field = model._meta.get_field(column) if model else None
        except Exception:  # noqa: BLE001  (a column that is not a model field)
            field = None
        if field is not None and field.choices:
            choices[i] = {str(k): str(v) for k, v in field.flatchoices}
    words = {"yes": _("yes"), "no": _("no")}
    consent = {"granted": _("given"), "withdrawn": _("withdrawn")}
    for i, column in enumerate(columns):
        if column.startswith("consent_"):
            choices[i] = consent
    for row in rows:
        yield [
            choices[i].get(v, v)
            if i in choices and isinstance(v, str)
            else words.get(v, v)
            if isinstance(v, str)
            else v
            for i, v in enumerate(row)
        ]


_END = object()


def export_filename(kind: str, fmt: str) -> str:
    return f"{kind}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def chunks(qs: QuerySet, fields: Iterable[str]) -> Iterator[list[dict[str, Any]]]:
    """values() in id order, a chunk at a time (keyset: each chunk is an index range scan)."""
    last = 0
    qs = qs.order_by("pk")
    while chunk := list(qs.filter(pk__gt=last).values(*fields)[:CHUNK]):
        yield chunk
        last = chunk[-1]["pk"]


def grouped(pairs: Iterable[tuple[int, Any]]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for key, value in pairs:
        out[key].append(value)
    return out


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


def yes_no(value: bool) -> str:
    return "yes" if value else "no"
