"""Writes to the deal history: products, orders and returns."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.actors import Actor
from rapport.core.choices import ChangeAction
from rapport.core.exceptions import ValidationError
from rapport.core.services import record_change, versioned_update
from rapport.sales.bulk import NewOrder, next_order_number, orders_insert, products_insert
from rapport.sales.choices import OrderStatus, SalesChannel
from rapport.sales.models import Order, OrderLine, Product, Return

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
        discount = to_decimal(line.get("discount") or 0, "discount")
        total = (quantity * unit_price - discount).quantize(Decimal("0.01"))
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
