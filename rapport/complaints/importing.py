"""Complaints in import/export: the organisation's past complaints (so the suggestions learn from
them and the reports start with history), read with header spellings in the four languages."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.complaints.choices import (
    SUBTYPES,
    Category,
    Channel,
    Severity,
    State,
)
from rapport.complaints.models import Cause, Complaint
from rapport.core.actors import Actor
from rapport.imports.kinds.base import KindImporter, Progress, RowError, WriteCounts
from rapport.imports.mapping import CUSTOMER_NUMBER, T, Target
from rapport.imports.values import choice, parse_datetime

COLUMNS: tuple[Target, ...] = (
    T("reference", gettext_lazy("reference"), "编号", "投诉编号", "編號", "referencia", "číslo"),
    CUSTOMER_NUMBER,
    T("received_at", gettext_lazy("received"), "date", "日期", "投诉日期", "日期時間", "dátum"),
    T("channel", gettext_lazy("channel"), "渠道", "管道", "kanál"),
    T("category", gettext_lazy("category"), "类别", "類別", "kategória", required=True),
    T("subtype", gettext_lazy("sub-type"), "子类", "子類", "podtyp"),
    T("severity", gettext_lazy("severity"), "严重程度", "嚴重程度", "závažnosť"),
    T("request", gettext_lazy("what the customer asks for"), "要求", "požiadavka"),
    T(
        "description",
        gettext_lazy("description"),
        "text",
        "内容",
        "投诉内容",
        "內容",
        "popis",
        required=True,
    ),
    T("department", gettext_lazy("department"), "部门", "部門", "oddelenie"),
    T("cause", gettext_lazy("cause"), "原因", "príčina"),
    T("state", gettext_lazy("state"), "状态", "狀態", "stav"),
)
EXPORT = tuple(t.field for t in COLUMNS)
IMPORTABLE_STATES = (State.NEW, State.CLOSED, State.NOT_UPHELD)


@dataclass(slots=True)
class ComplaintRecord:
    row: int
    fields: dict[str, Any]
    department: str = ""
    cause: str = ""
    match_id: int | None = None


class ComplaintImporter(KindImporter):
    kind = "complaints"
    model = Complaint
    duplicate_messages = {"reference": gettext_lazy("Same reference as row %(row)d: “%(value)s”.")}

    def clean(self, row: int, cells: list[Any]) -> tuple[ComplaintRecord | None, list[RowError]]:
        from rapport.customers.numbers import parse_customer_number

        errors: list[RowError] = []
        f: dict[str, Any] = {}
        customer = parse_customer_number(self.text(cells, "customer"))
        if customer is None:
            errors.append(RowError(row, self.column("customer"), _("Enter a customer number.")))
        f["customer_id"] = customer
        f["description"] = self.text(cells, "description")
        if not f["description"]:
            errors.append(RowError(row, self.column("description"), _("This cell is empty.")))
        for name, choices, default in (
            ("channel", Channel, Channel.PHONE),
            ("category", Category, ""),
            ("severity", Severity, Severity.NORMAL),
            ("state", State, State.NEW),
        ):
            value = choice(self.cell(cells, name), choices, name) if self.has(name) else ""
            value = value or default
            if value not in choices.values or (name == "state" and value not in IMPORTABLE_STATES):
                errors.append(
                    RowError(row, self.column(name), _("Choose one of the listed values."))
                )
            f[name] = value
        subtype = self.text(cells, "subtype")
        if subtype and subtype not in dict(SUBTYPES.get(f["category"], [])):
            errors.append(
                RowError(
                    row, self.column("subtype"), _("This sub-type does not belong to the category.")
                )
            )
        f["subtype"] = subtype
        f["request"] = self.text(cells, "request")[:500]
        if self.has("received_at") and self.cell(cells, "received_at") not in (None, ""):
            try:
                when = parse_datetime(self.cell(cells, "received_at"))
            except ValueError:
                when = None
            if when is None:
                errors.append(
                    RowError(row, self.column("received_at"), _("Enter a date and time."))
                )
            f["received_at"] = when
        reference = self.text(cells, "reference")
        if reference:
            f["reference"] = reference[:20]
        if errors:
            return None, errors
        return (
            ComplaintRecord(
                row, f, department=self.text(cells, "department"), cause=self.text(cells, "cause")
            ),
            [],
        )

    def keys(self, record: ComplaintRecord) -> Iterable[tuple[str, Hashable]]:
        if ref := record.fields.get("reference"):
            yield "reference", ref

    def resolve(self, records: list[ComplaintRecord]) -> list[RowError]:
        from rapport.customers.models import Customer
        from rapport.staff.models import Department

        ids = {r.fields["customer_id"] for r in records}
        known = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
        refs = {r.fields["reference"] for r in records if r.fields.get("reference")}
        existing = dict(Complaint.objects.filter(reference__in=refs).values_list("reference", "pk"))
        departments = dict(Department.objects.values_list("code", "pk"))
        causes = dict(Cause.objects.values_list("code", "pk"))
        errors: list[RowError] = []
        for r in records:
            if r.fields["customer_id"] not in known:
                errors.append(RowError(r.row, self.column("customer"), _("No such customer.")))
            r.match_id = existing.get(r.fields.get("reference", ""))
            if r.department:
                if r.department not in departments:
                    errors.append(
                        RowError(r.row, self.column("department"), _("No such department."))
                    )
                r.fields["department_id"] = departments.get(r.department)
            if r.cause:
                if r.cause not in causes:
                    errors.append(RowError(r.row, self.column("cause"), _("No such cause.")))
                r.fields["cause_id"] = causes.get(r.cause)
        return errors

    def decision(self, summary: ComplaintRecord) -> tuple:
        return (
            summary.match_id,
            summary.fields.get("department_id"),
            summary.fields.get("cause_id"),
        )

    def settle(self, record: ComplaintRecord, decision: tuple) -> None:
        record.match_id = decision[0]
        if decision[1]:
            record.fields["department_id"] = decision[1]
        if decision[2]:
            record.fields["cause_id"] = decision[2]

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        """New complaints through the complaints' writer; a reference already known is left as it
        is (a complaint's history is changed by its steps, not by a file)."""
        from rapport.complaints.bulk import complaints_insert

        counts = WriteCounts()
        for batch in self.batches():
            creates = [r.fields for r in batch if r.match_id is None]
            complaints_insert(creates, by=by, note=note)
            counts.created += len(creates)
            counts.unchanged += len(batch) - len(creates)
            progress(len(batch))
        return counts


def export_queryset(filters: dict[str, Any]) -> QuerySet:
    qs = Complaint.objects.all()
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    return qs


def export_rows(qs: QuerySet) -> Iterator[list[Any]]:
    from rapport.imports.exports import chunks

    fields = (
        "reference",
        "customer_id",
        "received_at",
        "channel",
        "category",
        "subtype",
        "severity",
        "request",
        "description",
        "department__code",
        "cause__code",
        "state",
    )
    for chunk in chunks(qs, ("pk", *fields)):
        for c in chunk:
            c["customer_id"] = f"C{c['customer_id']:07d}"
            yield ["" if c[f] is None else c[f] for f in fields]
