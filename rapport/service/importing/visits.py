"""Service visits by file: the visits an organisation made before Rapport (or another system's,
or Rapport's own export of visits, which imports again), one row each, with headers and values (kinds, states) in any of the four languages. The file is
checked whole before anything is written: one bad row and nothing is imported, every row's error
listed. Imported visits are history: no survey is sent and no technician's calendar is checked."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.actors import Actor
from rapport.imports.kinds.base import KindImporter, Progress, RowError, WriteCounts
from rapport.imports.mapping import CUSTOMER_NUMBER, T, Target
from rapport.imports.values import choice, parse_date, parse_datetime
from rapport.service.choices import ServiceKind, VisitState
from rapport.service.models import Visit

VISIT_COLUMNS: tuple[Target, ...] = (
    CUSTOMER_NUMBER,
    T("kind", gettext_lazy("kind"), "服务类型", "服務類型", "druh", required=True),
    T("starts_at", gettext_lazy("starts"), "date", "日期", "开始", "開始", "začiatok"),
    T("ends_at", gettext_lazy("ends"), "结束", "結束", "koniec"),
    T("due_on", gettext_lazy("due on"), "到期日", "termín"),
    T("state", gettext_lazy("state"), "状态", "狀態", "stav"),
    T("technician", gettext_lazy("technician"), "技术员", "技術員", "technik"),
    T("sku", gettext_lazy("SKU"), "product", "货号", "貨號", "kód produktu"),
    T("parts_cost", gettext_lazy("parts"), "零件费", "零件費", "diely"),
    T("labour_minutes", gettext_lazy("labour (minutes)"), "工时", "工時", "práca (minúty)"),
    T("labour_cost", gettext_lazy("labour"), "人工费", "人工費", "práca"),
    T("notes", gettext_lazy("notes"), "备注", "備註", "poznámky"),
    T("done_at", gettext_lazy("done at"), "完成时间", "完成時間", "hotové"),
)


@dataclass(slots=True)
class VisitRecord:
    row: int
    fields: dict[str, Any]
    technician: str = ""
    sku: str = ""
    match_id: int | None = None  # always new (the pipeline counts updates by it)


class VisitImporter(KindImporter):
    kind = "service_visits"
    model = Visit

    def _when(self, row: int, cells: list[Any], name: str, errors: list[RowError]) -> Any:
        if not self.has(name) or self.cell(cells, name) in (None, ""):
            return None
        try:
            when = parse_datetime(self.cell(cells, name))
        except ValueError:
            when = None
        if when is None:
            errors.append(RowError(row, self.column(name), _("Enter a date and time.")))
        return when

    def _amount(self, row: int, cells: list[Any], name: str, errors: list[RowError]) -> Any:
        raw = self.text(cells, name).replace(",", ".") if self.has(name) else ""
        try:
            value = Decimal(raw or "0")
        except InvalidOperation:
            value = Decimal(-1)
        if not value.is_finite() or value < 0 or value >= Decimal("1e9"):
            errors.append(RowError(row, self.column(name), _("Enter an amount of zero or more.")))
        return value

    def clean(self, row: int, cells: list[Any]) -> tuple[VisitRecord | None, list[RowError]]:
        from rapport.customers.numbers import parse_customer_number

        errors: list[RowError] = []
        f: dict[str, Any] = {"customer_id": parse_customer_number(self.text(cells, "customer"))}
        if f["customer_id"] is None:
            errors.append(RowError(row, self.column("customer"), _("Enter a customer number.")))
        f["kind"] = choice(self.cell(cells, "kind"), ServiceKind, "kind")
        if f["kind"] not in ServiceKind.values:
            errors.append(RowError(row, self.column("kind"), _("Choose one of the listed values.")))
        f["starts_at"] = self._when(row, cells, "starts_at", errors)
        f["ends_at"] = self._when(row, cells, "ends_at", errors)
        f["done_at"] = self._when(row, cells, "done_at", errors)
        f["due_on"] = None
        if self.has("due_on") and self.cell(cells, "due_on") not in (None, ""):
            try:
                f["due_on"] = parse_date(self.cell(cells, "due_on"))
            except ValueError:
                f["due_on"] = None
            if f["due_on"] is None:
                errors.append(RowError(row, self.column("due_on"), _("Enter a date.")))
        state = choice(self.cell(cells, "state"), VisitState, "state") if self.has("state") else ""
        state = state or (VisitState.DONE if f["done_at"] else VisitState.SCHEDULED)
        if state not in VisitState.values:
            errors.append(
                RowError(row, self.column("state"), _("Choose one of the listed values."))
            )
        f["state"] = state
        if state == VisitState.DONE and not f["done_at"]:
            f["done_at"] = f["ends_at"] or f["starts_at"]
            if f["done_at"] is None:
                errors.append(
                    RowError(row, self.column("done_at"), _("Say when the visit was done."))
                )
        if state == VisitState.DUE and f["due_on"] is None:
            errors.append(RowError(row, self.column("due_on"), _("Say when the visit is due.")))
        if state == VisitState.SCHEDULED and f["starts_at"] is None:
            errors.append(RowError(row, self.column("starts_at"), _("Say when the visit starts.")))
        if f["starts_at"] and f["ends_at"] and f["ends_at"] <= f["starts_at"]:
            errors.append(
                RowError(row, self.column("ends_at"), _("The visit must end after it starts."))
            )
        f["parts_cost"] = self._amount(row, cells, "parts_cost", errors)
        f["labour_cost"] = self._amount(row, cells, "labour_cost", errors)
        minutes = self._amount(row, cells, "labour_minutes", errors)
        f["labour_minutes"] = int(minutes) if minutes >= 0 else 0
        f["notes"] = self.text(cells, "notes")[:5000]
        if errors:
            return None, errors
        return VisitRecord(
            row, f, technician=self.text(cells, "technician"), sku=self.text(cells, "sku")
        ), []

    def resolve(self, records: list[VisitRecord]) -> list[RowError]:
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        from rapport.customers.models import Customer
        from rapport.sales.models import Product

        ids = {r.fields["customer_id"] for r in records}
        known = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
        skus = {r.sku for r in records if r.sku}
        products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
        names = {r.technician for r in records if r.technician}
        users: dict[str, int] = {}
        for pk, username, email in (
            get_user_model()
            .objects.filter(Q(username__in=names) | Q(email__in=names))
            .values_list("pk", "username", "email")
        ):
            users[username] = pk
            if email:
                users.setdefault(email, pk)
        errors: list[RowError] = []
        for r in records:
            if r.fields["customer_id"] not in known:
                errors.append(RowError(r.row, self.column("customer"), _("No such customer.")))
            if r.sku:
                r.fields["product_id"] = products.get(r.sku)
                if r.fields["product_id"] is None:
                    errors.append(
                        RowError(r.row, self.column("sku"), _("No product has this SKU."))
                    )
            if r.technician:
                r.fields["technician_id"] = users.get(r.technician)
                if r.fields["technician_id"] is None:
                    errors.append(RowError(r.row, self.column("technician"), _("No such user.")))
        return errors

    def decision(self, summary: VisitRecord) -> tuple:
        return (summary.fields.get("product_id"), summary.fields.get("technician_id"))

    def settle(self, record: VisitRecord, decision: tuple) -> None:
        record.fields["product_id"], record.fields["technician_id"] = decision

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        from rapport.service.services import visits_import

        counts = WriteCounts()
        for batch in self.batches():
            counts.created += len(visits_import([r.fields for r in batch], by=by, note=note))
            progress(len(batch))
        return counts
