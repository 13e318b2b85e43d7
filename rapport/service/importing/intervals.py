"""Maintenance intervals by file: one row per product (SKU) and how many months between routine
visits; an empty or 0 months clears the product's interval."""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.actors import Actor
from rapport.imports.kinds.base import KindImporter, Progress, RowError, WriteCounts
from rapport.imports.mapping import T, Target
from rapport.service.models import ServiceInterval

INTERVAL_COLUMNS: tuple[Target, ...] = (
    T(
        "sku",
        gettext_lazy("SKU"),
        "product code",
        "货号",
        "产品编号",
        "貨號",
        "產品編號",
        "kód produktu",
        required=True,
    ),
    T(
        "months",
        gettext_lazy("maintenance every (months)"),
        "interval",
        "保养周期",
        "保養週期",
        "interval údržby",
        required=True,
    ),
)


@dataclass(slots=True)
class IntervalRecord:
    row: int
    sku: str
    months: int
    product_id: int | None = None
    match_id: int | None = None


class IntervalImporter(KindImporter):
    kind = "service_intervals"
    model = ServiceInterval
    duplicate_messages = {"sku": gettext_lazy("Same SKU as row %(row)d: “%(value)s”.")}

    def clean(self, row: int, cells: list[Any]) -> tuple[IntervalRecord | None, list[RowError]]:
        sku = self.text(cells, "sku")
        raw = self.text(cells, "months") or "0"
        errors = []
        if not sku:
            errors.append(RowError(row, self.column("sku"), _("Give the product's SKU.")))
        try:
            months = int(float(raw))
        except ValueError:
            months = -1
        if not 0 <= months <= 240:
            errors.append(
                RowError(row, self.column("months"), _("Between 0 (none) and 240 months."))
            )
        if errors:
            return None, errors
        return IntervalRecord(row=row, sku=sku, months=months), []

    def keys(self, record: IntervalRecord) -> Iterable[tuple[str, Hashable]]:
        yield "sku", record.sku

    def resolve(self, records: list[IntervalRecord]) -> list[RowError]:
        from rapport.sales.models import Product

        products = dict(
            Product.objects.filter(sku__in={r.sku for r in records}).values_list("sku", "pk")
        )
        existing = dict(
            ServiceInterval.objects.filter(product_id__in=products.values()).values_list(
                "product_id", "pk"
            )
        )
        errors = []
        for r in records:
            r.product_id = products.get(r.sku)
            if r.product_id is None:
                errors.append(RowError(r.row, self.column("sku"), _("No product has this SKU.")))
            r.match_id = existing.get(r.product_id) if r.product_id else None
        return errors

    def decision(self, summary: IntervalRecord) -> tuple:
        return (summary.match_id, summary.product_id)

    def settle(self, record: IntervalRecord, decision: tuple) -> None:
        record.match_id, record.product_id = decision

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        from rapport.service.services import interval_set

        counts = WriteCounts()
        for batch in self.batches():
            for r in batch:
                before = (
                    ServiceInterval.objects.filter(pk=r.match_id)
                    .values_list("months", flat=True)
                    .first()
                    if r.match_id
                    else None
                )
                assert r.product_id is not None
                interval_set(by=by, product_id=r.product_id, months=r.months or None)
                if r.match_id is None:
                    counts.created += 1
                elif before == r.months:
                    counts.unchanged += 1
                else:
                    counts.updated += 1
            progress(len(batch))
        return counts
