"""Writes to the deal history: products, orders and returns."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.actors import Actor
from rapport.core.choices import ChangeAction
from rapport.core.exceptions import ValidationError
from rapport.core.fields import MONEY_DIGITS, MONEY_PLACES
from rapport.core.services import record_change, versioned_update
from rapport.sales.bulk import NewOrder, next_order_number, orders_insert, products_insert
from rapport.sales.choices import OrderStatus, SalesChannel
from rapport.sales.models import ExchangeRate, Order, OrderLine, Product, Return

PRODUCT_FIELDS = ("sku", "name", "category", "price", "unit_cost", "active")


def to_decimal(value: Any, field: str, *, minimum: Decimal | None = Decimal("0")) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value not in (None, "") else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError({field: [_("Enter a number.")]})
    if minimum is not None and number < minimum:
        raise ValidationError({field: [_("The value must not be negative.")]})
    if field == "quantity":
        return number
    try:
        return number.quantize(Decimal("0.01"))
    except InvalidOperation:  # beyond the precision a money column can hold
        raise ValidationError({field: [_("The number is too large.")]}) from None


def _check_choice(value: str, choices, field: str) -> None:
    if value not in choices.values:
        raise ValidationError(
            {field: [_("“%(value)s” is not one of the choices.") % {"value": value}]}
        )


def clean_product_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    errors: dict[str, list[str]] = {
        k: [_("Unknown field.")] for k in sorted(set(data) - set(PRODUCT_FIELDS))
    }
    clean: dict[str, Any] = {}
    for name in PRODUCT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        try:
            if name in ("price", "unit_cost"):
                clean[name] = to_decimal(value, name)
            elif name == "active":
                clean[name] = bool(value)
            else:
                clean[name] = (value or "").strip()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for required in ("sku", "name", "price"):
        if (
            (not partial or required in data)
            and clean.get(required) in (None, "")
            and required not in errors
        ):
            errors[required] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def product_create(*, by: Actor, **fields: Any) -> Product:
    """A new product, written (and recorded) by the deal history's writer."""
    clean = clean_product_fields(fields)
    if Product.objects.filter(sku=clean["sku"]).exists():
        raise ValidationError({"sku": [_("A product with this SKU exists already.")]})
    (pk,) = products_insert([clean], by=by)
    return Product.objects.get(pk=pk)


def product_update(
    *, product_id: int, by: Actor, expected_version: int | None, **fields: Any
) -> Product:
    """Change a product unless someone saved since `expected_version` (ConflictError)."""
    clean = clean_product_fields(fields, partial=True)

    def apply(product: Product) -> None:
        for name, value in clean.items():
            setattr(product, name, value)

    product, _changes = versioned_update(
        model=Product, pk=product_id, by=by, expected_version=expected_version, apply=apply
    )
    return product


# The largest amounts the columns hold: MoneyField (16 digits, 2 after the point) and the
# order line's quantity (12 digits, 3 after the point).
MONEY_LIMIT = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES)
QUANTITY_LIMIT = Decimal(10) ** 9


def price_lines(lines: list[dict[str, Any]], products: dict[int, Product]) -> list[OrderLine]:
    """Order lines with totals; the product's price and cost apply where the line gives none."""
    out: list[OrderLine] = []
    for i, line in enumerate(lines, start=1):
        product = products.get(int(line["product_id"])) if line.get("product_id") else None
        if product is None:
            raise ValidationError({"lines": [_("Line %(n)d: no such product.") % {"n": i}]})
        quantity = to_decimal(line.get("quantity", 1), "quantity")
        if quantity <= 0:
            raise ValidationError(
                {"lines": [_("Line %(n)d: the quantity must be positive.") % {"n": i}]}
            )
        unit_price = (
            to_decimal(line["unit_price"], "unit_price")
            if line.get("unit_price") not in (None, "")
            else product.price
        )
        if quantity >= QUANTITY_LIMIT:
            raise ValidationError(
                {
                    "lines": [
                        _("Line %(n)d: the quantity must be less than %(limit)s.")
                        % {"n": i, "limit": f"{QUANTITY_LIMIT:,}"}
                    ]
                }
            )
        discount = to_decimal(line.get("discount") or 0, "discount")
        total = (quantity * unit_price - discount).quantize(Decimal("0.01"))
        if total >= MONEY_LIMIT or quantity * product.unit_cost >= MONEY_LIMIT:
            raise ValidationError(
                {
                    "lines": [
                        _(
                            "Line %(n)d: the amount (quantity × price) is larger than Rapport can store."
                        )
                        % {"n": i}
                    ]
                }
            )
        if total < 0:
            raise ValidationError(
                {"lines": [_("Line %(n)d: the discount exceeds the line amount.") % {"n": i}]}
            )
        batch = str(line.get("batch") or "").strip()
        if len(batch) > 40:
            raise ValidationError(
                {"lines": [_("Line %(n)d: the batch is longer than 40 characters.") % {"n": i}]}
            )
        out.append(
            OrderLine(
                product=product,
                batch=batch,
                quantity=quantity,
                unit_price=unit_price,
                discount=discount,
                line_total=total,
                unit_cost=product.unit_cost,
            )
        )
    if (
        sum((li.line_total for li in out), Decimal("0")) >= MONEY_LIMIT
        or sum((li.unit_cost * li.quantity for li in out), Decimal("0")) >= MONEY_LIMIT
    ):
        raise ValidationError({"lines": [_("The order's total is larger than Rapport can store.")]})
    return out


@transaction.atomic
def order_create(
    *,
    by: Actor,
    customer_id: int,
    lines: list[dict[str, Any]],
    ordered_at: datetime | None = None,
    number: str = "",
    organisation_id: int | None = None,
    status: str = "paid",
    channel: str = "",
    promotion_code: str = "",
    currency: str = "",
    notes: str = "",
) -> Order:
    """An order with its lines; totals and cost are summed from the lines (rapport.sales.bulk)."""
    if not lines:
        raise ValidationError({"lines": [_("An order needs at least one line.")]})
    _check_choice(status, OrderStatus, "status")
    if channel:
        _check_choice(channel, SalesChannel, "channel")
    products = Product.objects.in_bulk(
        {int(li["product_id"]) for li in lines if li.get("product_id")}
    )
    new = NewOrder(
        number=number,
        customer_id=customer_id,
        organisation_id=organisation_id,
        ordered_at=ordered_at or timezone.now(),
        status=status,
        channel=channel,
        promotion_code=promotion_code.strip(),
        currency=currency,
        notes=notes,
        lines=price_lines(lines, products),
    )
    if number and Order.objects.filter(number=number).exists():
        raise ValidationError({"number": [_("An order with this number exists already.")]})
    for attempt in range(5):
        new.number = number or next_order_number()
        try:
            with transaction.atomic():  # another order may take the next number at the same time
                (pk,) = orders_insert([new], by=by)
            break
        except IntegrityError:
            if number or attempt == 4:
                raise
    return Order.objects.get(pk=pk)


def order_promotion_set(*, by: Actor, order_id: int, code: str) -> bool:
    """Note the promotion (coupon) code an order used, when it has none yet (the analytics'
    promotion analysis reads it); recorded in the order's history. False when it had one."""
    code = code.strip()[:40]
    with transaction.atomic():
        updated = Order.objects.filter(pk=order_id, promotion_code="").update(
            promotion_code=code, updated_at=timezone.now(), version=F("version") + 1
        )
        if updated:
            order = Order.objects.get(pk=order_id)
            record_change(
                obj=order,
                action=ChangeAction.UPDATE,
                by=by,
                changes={"promotion_code": ["", code]},
                customer_id=order.customer_id,
            )
    return bool(updated)


@transaction.atomic
def return_create(
    *,
    by: Actor,
    order_line_id: int,
    quantity: Any,
    refund_amount: Any = None,
    reason: str = "",
    returned_at=None,
) -> Return:
    line = OrderLine.objects.select_related("order").select_for_update().get(pk=order_line_id)
    qty = to_decimal(quantity, "quantity")
    already = sum((r.quantity for r in line.returns.all()), Decimal("0"))
    if qty <= 0 or qty + already > line.quantity:
        raise ValidationError(
            {"quantity": [_("You can return at most %(n)s.") % {"n": line.quantity - already}]}
        )
    refund = (
        to_decimal(refund_amount, "refund_amount")
        if refund_amount not in (None, "")
        else (line.line_total / line.quantity * qty).quantize(Decimal("0.01"))
    )
    ret = Return.objects.create(
        order_line=line,
        quantity=qty,
        refund_amount=refund,
        reason=reason,
        returned_at=returned_at or timezone.now(),
    )
    record_change(
        obj=line.order,
        action=ChangeAction.UPDATE,
        by=by,
        customer_id=line.order.customer_id,
        changes={"return": [None, f"{qty} × {line.product_id}"], "refund": [None, str(refund)]},
    )
    return ret


# --- Exchange rates -------------------------------------------------------------------------------
# The analytics convert orders in other currencies into settings.RAPPORT_CURRENCY with these.

RATE_COLUMNS = {  # accepted CSV headers (lower case) → field
    "day": "day",
    "date": "day",
    "from": "from_currency",
    "from_currency": "from_currency",
    "currency": "from_currency",
    "to": "to_currency",
    "to_currency": "to_currency",
    "rate": "rate",
}
RATE_LIMIT = Decimal("1e9")


def clean_exchange_rate(data: dict[str, Any]) -> dict[str, Any]:
    """day (a date or YYYY-MM-DD), from_currency and to_currency (three-letter codes, different),
    rate (a positive number); errors per field."""
    import datetime as dt
    import re

    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    day = data.get("day")
    if isinstance(day, dt.date):
        clean["day"] = day
    else:
        try:
            clean["day"] = dt.date.fromisoformat(str(day or "").strip())
        except ValueError:
            errors["day"] = [_("Enter a date as YYYY-MM-DD.")]
    for field in ("from_currency", "to_currency"):
        code = str(data.get(field) or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            errors[field] = [_("Enter a three-letter currency code such as USD.")]
        clean[field] = code
    if "from_currency" not in errors and clean["from_currency"] == clean.get("to_currency"):
        errors["to_currency"] = [_("Choose two different currencies.")]
    try:
        rate = Decimal(str(data.get("rate") or "").strip().replace(",", "."))
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or rate <= 0 or rate >= RATE_LIMIT:
        errors["rate"] = [_("Enter a positive number, such as 7.1234.")]
    else:
        clean["rate"] = rate.quantize(Decimal("1e-10"))
    if errors:
        raise ValidationError(errors)
    return clean


def _rate_write(clean: dict[str, Any], by: Any) -> ExchangeRate:
    """Insert or replace one day's rate, with a history row of what changed."""
    key = {k: clean[k] for k in ("day", "from_currency", "to_currency")}
    rate = ExchangeRate.objects.select_for_update().filter(**key).first()
    user = by if getattr(by, "is_authenticated", False) else None
    if rate is None:
        rate = ExchangeRate.objects.create(**clean, entered_by=user)
        record_change(
            obj=rate, action=ChangeAction.CREATE, by=by, changes={"rate": [None, str(rate.rate)]}
        )
    elif rate.rate != clean["rate"]:
        before = str(rate.rate)
        rate.rate, rate.entered_by = clean["rate"], user
        rate.save()
        record_change(
            obj=rate, action=ChangeAction.UPDATE, by=by, changes={"rate": [before, str(rate.rate)]}
        )
    return rate


@transaction.atomic
def exchange_rate_set(
    *, by: Any, day: Any, from_currency: str, to_currency: str, rate: Any
) -> ExchangeRate:
    """Enter (or correct) the rate of one day: 1 from_currency = rate to_currency."""
    clean = clean_exchange_rate(
        {"day": day, "from_currency": from_currency, "to_currency": to_currency, "rate": rate}
    )
    return _rate_write(clean, by)


def read_exchange_rates_csv(content: bytes) -> list[dict[str, str]]:
    """The rows of a rates CSV (UTF-8, BOM allowed; comma or semicolon) keyed by field, with the
    headers RATE_COLUMNS accepts (day/date, from/currency, to, rate)."""
    import csv
    import io

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("The file is not UTF-8 text.")]}) from None
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in ("\t", ";") if d in first), ",")  # the header's separator
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [RATE_COLUMNS.get(h.strip().lower(), "") for h in next(reader, [])]
    missing = {"day", "from_currency", "to_currency", "rate"} - set(header)
    if missing:
        raise ValidationError(
            {
                "file": [
                    _("The file needs the columns day, from, to and rate; missing: %(names)s.")
                    % {"names": ", ".join(sorted(missing))}
                ]
            }
        )
    return [
        {f: v for f, v in zip(header, row, strict=False) if f}
        for row in reader
        if any(v.strip() for v in row)
    ]


@transaction.atomic
def exchange_rates_import(*, by: Any, rows: list[dict[str, Any]]) -> int:
    """Every row checked first; all written, or none when any row is wrong (the errors name
    the rows, counting the header as line 1). Returns the number of rows."""
    if not rows:
        raise ValidationError({"file": [_("The file has no rates.")]})
    errors: list[str] = []
    cleaned, seen = [], set()
    for line, row in enumerate(rows, start=2):
        try:
            clean = clean_exchange_rate(row)
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                errors += [
                    _("Line %(line)d: %(error)s") % {"line": line, "error": m} for m in messages
                ]
            continue
        key = (clean["day"], clean["from_currency"], clean["to_currency"])
        if key in seen:
            errors.append(_("Line %(line)d: this rate is in the file twice.") % {"line": line})
        seen.add(key)
        cleaned.append(clean)
    if errors:
        raise ValidationError({"file": errors})
    for clean in cleaned:
        _rate_write(clean, by)
    return len(cleaned)
