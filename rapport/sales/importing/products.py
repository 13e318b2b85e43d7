"""Products: matched on SKU. Prices are read as written in any of our users' locales."""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.actors import Actor
from rapport.imports.kinds.base import (
    KindImporter,
    Progress,
    RowError,
    WriteCounts,
    amount_errors,
    field_errors,
)
from rapport.imports.values import decimal_text, parse_bool
from rapport.sales.bulk import FieldChanges, products_insert, products_update
from rapport.sales.models import Product
from rapport.sales.services import clean_product_fields


@dataclass(slots=True)
class ProductRecord:
    row: int
    fields: dict[str, Any]
    match_id: int | None = None


class ProductImporter(KindImporter):
    kind = "products"
    duplicate_messages = {"sku": gettext_lazy("Same SKU as row %(row)d: “%(value)s”.")}
    model = Product

    def clean(self, row: int, cells: list[Any]) -> tuple[ProductRecord | None, list[RowError]]:
        errors: list[RowError] = []
        data: dict[str, Any] = {}
        for name in ("sku", "name", "category"):
            if name in self.index and (value := self.text(cells, name)):
                data[name] = value
        for name in ("price", "unit_cost"):
            if name in self.index and (value := decimal_text(self.cell(cells, name))):
                data[name] = value
        if "active" in self.index:
            try:
                active = parse_bool(self.cell(cells, "active"))
            except ValueError:
                errors.append(RowError(row, self.column("active"), _("Enter yes or no.")))
            else:
                if active is not None:
                    data["active"] = active
        try:
            clean = clean_product_fields(data, partial=True)
        except ValidationError as exc:
            errors.extend(self.errors_from(row, exc))
            clean = {}
        except ArithmeticError:
            amounts = {n: data[n] for n in ("price", "unit_cost") if n in data}
            for name, messages in amount_errors(Product, amounts).items():
                errors.extend(RowError(row, self.column(name), m) for m in messages)
            clean = {}
        for name, messages in field_errors(Product, clean).items():
            errors.extend(RowError(row, self.column(name), m) for m in messages)
        if errors:
            return None, errors
        return ProductRecord(row=row, fields=clean), []

    def keys(self, record: ProductRecord) -> Iterable[tuple[str, Hashable]]:
        if sku := record.fields.get("sku"):
            yield "sku", sku

    def resolve(self, records: list[ProductRecord]) -> list[RowError]:
        skus = {r.fields["sku"] for r in records if r.fields.get("sku")}
        by_sku = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk")) if skus else {}
        errors: list[RowError] = []
        for r in records:
            r.match_id = by_sku.get(r.fields.get("sku", ""))
            if r.match_id is None:
                try:
                    clean_product_fields(r.fields)  # a new product needs SKU, name and price
                except ValidationError as exc:
                    errors.extend(self.errors_from(r.row, exc))
        return errors

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        """Creates and updates through the deal history's writer (rapport.sales.bulk)."""
        counts = WriteCounts()
        for batch in self.batches():
            if creates := [r.fields for r in batch if r.match_id is None]:
                products_insert(creates, by=by, note=note)
                counts.created += len(creates)
            if matched := [r for r in batch if r.match_id is not None]:
                changed = products_update(
                    [FieldChanges(r.match_id, r.fields) for r in matched], by=by
                )
                counts.updated += changed
                counts.unchanged += len(matched) - changed
            progress(len(batch))
        return counts
