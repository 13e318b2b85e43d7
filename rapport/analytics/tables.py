"""Tables as the dashboards show them (formatted cells) and download them (CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from rapport.core.money import money, number


@dataclass
class Column:
    key: str
    label: Any
    kind: str = "text"  # text, int, num, money, pct
    help: Any = ""  # one line in plain words, shown under the table


@dataclass
class Table:
    name: str
    title: Any
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: Any = ""
    display: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.display = [[_cell(row.get(c.key), c.kind) for c in self.columns] for row in self.rows]

    @property
    def helps(self) -> list[Column]:
        """The columns that carry an explanation."""
        return [c for c in self.columns if c.help]


def _cell(value: Any, kind: str) -> str:
    if value is None or value == "":
        return "—"
    if kind == "money":
        return money(value)
    if kind == "pct":
        return f"{number(value * 100, 1)} %"
    if kind == "pp":  # a difference of two percentages
        return _("%(n)s points") % {"n": number(value * 100, 1)}
    if kind == "int":
        return number(value)
    if kind == "num":
        return number(value, 2)
    if kind == "num3":
        return number(value, 3)
    return str(value)


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 6)
    text = str(value)
    if kind == "text" and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text  # a spreadsheet would run it as a formula
    return text


def csv_response(table: Table) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(row.get(c.key), c.kind) for c in table.columns])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = slugify(f"analytics-{table.name}-{timezone.localdate().isoformat()}")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def counts_table(name: str, title: Any, label: Any, rows: list[dict[str, Any]]) -> Table:
    """A table of customers and their share per level (a band, a trust level)."""
    return Table(
        name,
        title,
        [
            Column("label", label),
            Column("customers", _("Customers"), "int"),
            Column("share", _("Share"), "pct"),
        ],
        rows,
    )
