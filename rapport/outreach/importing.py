"""Keeping in touch in import: coupons (codes with their value, window, limit and product) and
event invitations with the answer and attendance, read with header spellings in the four
languages. A file is written whole or not at all (the imports app's rule): every row is checked
first, each error named by row and column."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.actors import Actor
from rapport.imports.kinds.base import KindImporter, Progress, RowError, WriteCounts
from rapport.imports.mapping import CUSTOMER_NUMBER, T, Target
from rapport.imports.values import choice, decimal_text, parse_bool, parse_date
from rapport.outreach.choices import Rsvp
from rapport.outreach.models import CompanyEvent, Coupon, Invitation

COUPON_COLUMNS: tuple[Target, ...] = (
    T(
        "code",
        gettext_lazy("code"),
        "coupon",
        "coupon code",
        "优惠码",
        "優惠碼",
        "kód",
        required=True,
    ),
    T("name", gettext_lazy("name"), "名称", "名稱", "názov"),
    T("amount", gettext_lazy("amount off"), "amount", "金额", "金額", "zľava v sume", "suma"),
    T("percent", gettext_lazy("percentage off"), "percent", "%", "折扣", "百分比", "zľava v %"),
    T("valid_from", gettext_lazy("valid from"), "from", "开始", "開始", "platí od"),
    T("valid_until", gettext_lazy("valid until"), "until", "截止", "結束", "platí do"),
    T("product", gettext_lazy("only for product"), "sku", "产品", "產品", "produkt"),
    T("max_redemptions", gettext_lazy("limit"), "max uses", "次数", "次數", "limit použití"),
    T(
        "once_per_customer",
        gettext_lazy("once per customer"),
        "每位客户一次",
        "每位客戶一次",
        "raz na zákazníka",
    ),
    T("is_trial", gettext_lazy("free trial"), "trial", "免费试用", "免費試用", "skúška zdarma"),
)

ATTENDANCE_COLUMNS: tuple[Target, ...] = (
    T("event", gettext_lazy("event"), "event id", "活动", "活動", "podujatie", required=True),
    CUSTOMER_NUMBER,
    T("rsvp", gettext_lazy("answer"), "rsvp", "回复", "回覆", "odpoveď"),
    T("attended", gettext_lazy("attended"), "出席", "已出席", "zúčastnil sa", "účasť"),
)


@dataclass(slots=True)
class CouponRecord:
    row: int
    fields: dict[str, Any]
    product: str = ""
    match_id: int | None = None


def _number(raw: Any) -> Decimal | None:
    text = decimal_text(raw)
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite():
        raise ValueError(text)
    return value


class CouponImporter(KindImporter):
    kind = "coupons"
    model = Coupon
    duplicate_messages = {"code": gettext_lazy("Same code as row %(row)d: “%(value)s”.")}

    def clean(self, row: int, cells: list[Any]) -> tuple[CouponRecord | None, list[RowError]]:
        import re

        errors: list[RowError] = []
        f: dict[str, Any] = {}
        code = self.text(cells, "code").upper()
        if not re.fullmatch(r"[A-Z0-9-]{3,40}", code):
            errors.append(
                RowError(row, self.column("code"), _("Use 3 to 40 letters, digits or dashes."))
            )
        f["code"] = code
        f["name"] = self.text(cells, "name")[:120]
        for name in ("amount", "percent"):
            try:
                f[name] = _number(self.cell(cells, name))
            except ValueError:
                errors.append(RowError(row, self.column(name), _("Enter a number.")))
                f[name] = None
        for name in ("valid_from", "valid_until"):
            try:
                f[name] = parse_date(self.cell(cells, name))
            except ValueError:
                errors.append(RowError(row, self.column(name), _("Enter a date.")))
                f[name] = None
        for name, default in (("once_per_customer", True), ("is_trial", False)):
            try:
                value = parse_bool(self.cell(cells, name))
            except ValueError:
                errors.append(RowError(row, self.column(name), _("Write yes or no.")))
                value = None
            f[name] = default if value is None else value
        limit = self.text(cells, "max_redemptions")
        if limit and not (limit.isdigit() and 0 < int(limit) < 2**31):
            errors.append(
                RowError(row, self.column("max_redemptions"), _("Enter a whole number above 0."))
            )
        f["max_redemptions"] = int(limit) if limit.isdigit() else None
        amount, percent = f["amount"], f["percent"]
        if (amount is None) == (percent is None) and not f["is_trial"]:
            errors.append(
                RowError(
                    row, self.column("amount") or self.column("percent"),
                    _("Give either an amount or a percentage."),
                )
            )  # fmt: skip
        if percent is not None and not Decimal(0) < percent <= Decimal(100):
            errors.append(
                RowError(row, self.column("percent"), _("Give a percentage from 0 to 100."))
            )
        if amount is not None and not Decimal(0) < amount < Decimal(10) ** 10:
            errors.append(RowError(row, self.column("amount"), _("Give an amount above 0.")))
        if f["valid_from"] and f["valid_until"] and f["valid_until"] < f["valid_from"]:
            errors.append(
                RowError(row, self.column("valid_until"), _("The end is before the start."))
            )
        if errors:
            return None, errors
        return CouponRecord(row, f, product=self.text(cells, "product")), []

    def keys(self, record: CouponRecord) -> Iterable[tuple[str, Hashable]]:
        yield "code", record.fields["code"]

    def resolve(self, records: list[CouponRecord]) -> list[RowError]:
        from django.db.models import Q

        from rapport.sales.models import Product

        codes = {r.fields["code"] for r in records}
        known = set(Coupon.objects.filter(code__in=codes).values_list("code", flat=True))
        wanted = {r.product for r in records if r.product}
        ids = {int(p) for p in wanted if p.isdigit()}
        products: dict[str, int] = {}
        for pk, sku in Product.objects.filter(Q(sku__in=wanted) | Q(pk__in=ids)).values_list(
            "pk", "sku"
        ):
            products[sku] = pk
            products[str(pk)] = pk
        errors: list[RowError] = []
        for r in records:
            if r.fields["code"] in known:
                errors.append(RowError(r.row, self.column("code"), _("This code exists already.")))
            if r.product:
                if r.product not in products:
                    errors.append(RowError(r.row, self.column("product"), _("No such product.")))
                r.fields["product_id"] = products.get(r.product)
        return errors

    def decision(self, summary: CouponRecord) -> tuple:
        return (None, summary.fields.get("product_id"))

    def settle(self, record: CouponRecord, decision: tuple) -> None:
        record.fields["product_id"] = decision[1]

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        from rapport.outreach.services import coupon_create

        counts = WriteCounts()
        for batch in self.batches():
            for r in batch:
                coupon_create(by=by, **r.fields)
            counts.created += len(batch)
            progress(len(batch))
        return counts


@dataclass(slots=True)
class AttendanceRecord:
    row: int
    event: str
    customer_id: int
    rsvp: str
    attended: bool | None
    event_id: int | None = None
    match_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class AttendanceImporter(KindImporter):
    """Rows of (event, customer, answer, attended): the customer is invited if they were not, the
    answer and the attendance are recorded, each on the customer's timeline. The event is named
    by its number or its exact name."""

    kind = "event_attendance"
    model = Invitation
    duplicate_messages = {
        "invitation": gettext_lazy("The same event and customer as row %(row)d (%(value)s).")
    }

    def clean(self, row: int, cells: list[Any]) -> tuple[AttendanceRecord | None, list[RowError]]:
        from rapport.customers.numbers import parse_customer_number

        errors: list[RowError] = []
        event = self.text(cells, "event")
        if not event:
            errors.append(RowError(row, self.column("event"), _("This cell is empty.")))
        customer = parse_customer_number(self.text(cells, "customer"))
        if customer is None:
            errors.append(RowError(row, self.column("customer"), _("Enter a customer number.")))
        rsvp = choice(self.cell(cells, "rsvp"), Rsvp, "rsvp") if self.has("rsvp") else ""
        if rsvp and rsvp not in Rsvp.values:
            errors.append(RowError(row, self.column("rsvp"), _("Choose one of the listed values.")))
        try:
            attended = parse_bool(self.cell(cells, "attended"))
        except ValueError:
            errors.append(RowError(row, self.column("attended"), _("Write yes or no.")))
            attended = None
        if errors:
            return None, errors
        assert customer is not None
        return AttendanceRecord(row, event, customer, rsvp, attended), []

    def keys(self, record: AttendanceRecord) -> Iterable[tuple[str, Hashable]]:
        yield "invitation", f"{record.event}, {record.customer_id}"

    def resolve(self, records: list[AttendanceRecord]) -> list[RowError]:
        from rapport.customers.models import Customer

        names = {r.event for r in records}
        ids = {int(n) for n in names if n.isdigit()}
        events: dict[str, list[int]] = {}
        for pk, name in CompanyEvent.objects.filter(name__in=names).values_list("pk", "name"):
            events.setdefault(name, []).append(pk)
        for pk in CompanyEvent.objects.filter(pk__in=ids).values_list("pk", flat=True):
            events.setdefault(str(pk), []).append(pk)
        known = set(
            Customer.objects.filter(pk__in={r.customer_id for r in records}).values_list(
                "pk", flat=True
            )
        )
        errors: list[RowError] = []
        for r in records:
            found = events.get(r.event, [])
            if not found:
                errors.append(RowError(r.row, self.column("event"), _("No such event.")))
            elif len(found) > 1:
                errors.append(
                    RowError(
                        r.row,
                        self.column("event"),
                        _("Several events have this name: give the event's number."),
                    )
                )
            else:
                r.event_id = found[0]
            if r.customer_id not in known:
                errors.append(RowError(r.row, self.column("customer"), _("No such customer.")))
        return errors

    def decision(self, summary: AttendanceRecord) -> tuple:
        return (None, summary.event_id)

    def settle(self, record: AttendanceRecord, decision: tuple) -> None:
        record.event_id = decision[1]

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        from rapport.outreach.services import invitation_record

        counts = WriteCounts()
        for batch in self.batches():
            for r in batch:
                assert r.event_id is not None
                created, changed = invitation_record(
                    by=by,
                    event_id=r.event_id,
                    customer_id=r.customer_id,
                    rsvp=r.rsvp,
                    attended=r.attended,
                )
                if created:
                    counts.created += 1
                elif changed:
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            progress(len(batch))
        return counts
