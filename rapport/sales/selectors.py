from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Min, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from rapport.core.timeline import TimelineEntry
from rapport.sales.choices import OrderStatus
from rapport.sales.models import Order


@dataclass(frozen=True)
class KeyFigures:
    total_spent: Decimal
    orders: int
    first_purchase: datetime | None
    last_purchase: datetime | None

    @property
    def average_order_value(self) -> Decimal | None:
        if not self.orders:
            return None
        return (self.total_spent / self.orders).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def customer_key_figures(*, customer_id: int) -> KeyFigures:
    """Totals over the customer's orders (cancelled ones excluded), in one query."""
    row = (
        Order.objects.filter(customer_id=customer_id)
        .exclude(status=OrderStatus.CANCELLED)
        .aggregate(
            total=Sum("total"), n=Count("id"), first=Min("ordered_at"), last=Max("ordered_at")
        )
    )
    return KeyFigures(
        total_spent=row["total"] or Decimal("0"),
        orders=row["n"],
        first_purchase=row["first"],
        last_purchase=row["last"],
    )


def order_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = (
        Order.objects.filter(customer_id=customer_id)
        .order_by("-ordered_at")
        .values("id", "number", "ordered_at", "total", "currency", "status")[:limit]
    )
    return [
        TimelineEntry(
            time=r["ordered_at"],
            kind="order",
            title=(
                _("Order %(number)s (cancelled)")
                if r["status"] == OrderStatus.CANCELLED
                else _("Order %(number)s")
            )
            % {"number": r["number"]},
            url=reverse("sales:order_detail", args=[r["id"]]),
            details={"total": r["total"], "currency": r["currency"], "status": r["status"]},
        )
        for r in rows
    ]


def require_product(product_id: int | None, *, field: str = "product_id") -> int | None:
    """`product_id` when such a product exists (None stays None); otherwise a ValidationError
    naming the field, so a service refuses an unknown product with a 400 instead of storing a
    dangling id."""
    from django.utils.translation import gettext as _

    from rapport.core.exceptions import ValidationError
    from rapport.sales.models import Product

    if product_id is None:
        return None
    if not Product.objects.filter(pk=product_id).exists():
        raise ValidationError({field: [_("No such product.")]})
    return product_id
