"""Loyalty in import: point adjustments (points carried over from an old scheme, goodwill,
corrections), each an "adjust" entry of the ledger with its reason and who imported it, read with
header spellings in the four languages. The file is written whole or not at all; a row that would
take a customer's balance below 0 (counting the file's earlier rows) is refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.actors import Actor
from rapport.imports.kinds.base import KindImporter, Progress, RowError, WriteCounts
from rapport.imports.mapping import CUSTOMER_NUMBER, T, Target
from rapport.imports.values import decimal_text
from rapport.loyalty.models import PointsEntry

POINTS_COLUMNS: tuple[Target, ...] = (
    CUSTOMER_NUMBER,
    T("points", gettext_lazy("points"), "积分", "積分", "body", required=True),
    T("reason", gettext_lazy("reason"), "why", "原因", "理由", "dôvod", required=True),
)


@dataclass(slots=True)
class PointsRecord:
    row: int
    customer_id: int
    points: int
    reason: str
    match_id: int | None = None


class PointsImporter(KindImporter):
    kind = "loyalty_points"
    model = PointsEntry
    parallel = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._running: dict[int, int] = {}  # customer -> balance after the file's rows so far

    def clean(self, row: int, cells: list[Any]) -> tuple[PointsRecord | None, list[RowError]]:
        from rapport.customers.numbers import parse_customer_number

        errors: list[RowError] = []
        customer = parse_customer_number(self.text(cells, "customer"))
        if customer is None:
            errors.append(RowError(row, self.column("customer"), _("Enter a customer number.")))
        raw = decimal_text(self.cell(cells, "points"))
        sign, digits = (raw[0], raw[1:]) if raw[:1] in "+-" else ("", raw)
        digits = digits.removesuffix(".0")
        points = 0
        if not digits.isdigit() or len(digits) > 9:
            errors.append(
                RowError(row, self.column("points"), _("Enter a whole number of points."))
            )
        else:
            points = -int(digits) if sign == "-" else int(digits)
            if points == 0:
                errors.append(
                    RowError(row, self.column("points"), _("Give a number of points other than 0."))
                )
        reason = self.text(cells, "reason")[:200]
        if not reason:
            errors.append(
                RowError(row, self.column("reason"), _("Say why the points are adjusted."))
            )
        if errors:
            return None, errors
        assert customer is not None
        return PointsRecord(row, customer, points, reason), []

    def resolve(self, records: list[PointsRecord]) -> list[RowError]:
        from django.db.models import Sum

        from rapport.customers.models import Customer

        ids = {r.customer_id for r in records}
        known = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
        fresh = ids - self._running.keys()
        balances = dict(
            PointsEntry.objects.filter(customer_id__in=fresh)
            .values("customer_id")
            .annotate(s=Sum("points"))
            .values_list("customer_id", "s")
        )
        for pk in fresh:
            self._running[pk] = balances.get(pk) or 0
        errors: list[RowError] = []
        for r in records:  # in the file's order: a row may spend what an earlier row gave
            if r.customer_id not in known:
                errors.append(RowError(r.row, self.column("customer"), _("No such customer.")))
                continue
            after = self._running[r.customer_id] + r.points
            if after < 0:
                errors.append(
                    RowError(
                        r.row,
                        self.column("points"),
                        _("The balance cannot go below 0 (it would be %(balance)s).")
                        % {"balance": after},
                    )
                )
                continue
            self._running[r.customer_id] = after
        return errors

    def decision(self, summary: PointsRecord) -> tuple:
        return (None,)

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        from rapport.loyalty.services import points_adjust

        counts = WriteCounts()
        for batch in self.batches():
            for r in batch:
                points_adjust(customer_id=r.customer_id, points=r.points, reason=r.reason, by=by)
            counts.created += len(batch)
            progress(len(batch))
        return counts
