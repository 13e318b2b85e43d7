"""Reads: a customer's recommendations with reasons in words, who should be offered a product,
the latest evaluation."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.recommendations.choices import Reason
from rapport.recommendations.models import Evaluation, Recommendation


def reason_text(rec: Recommendation) -> str:
    """The reason in words, in the active language."""
    n = rec.customers
    if rec.reason == Reason.BOUGHT_WITH and rec.because_of is not None:
        return ngettext(
            "Bought with %(product)s by %(count)d customer",
            "Bought with %(product)s by %(count)d customers",
            n,
        ) % {"product": rec.because_of.name, "count": n}
    if rec.reason == Reason.SIMILAR_CUSTOMERS:
        return ngettext(
            "Customers who buy like this customer bought it (%(count)d buyer in all)",
            "Customers who buy like this customer bought it (%(count)d buyers in all)",
            n,
        ) % {"count": n}
    if rec.reason == Reason.BUY_AGAIN:
        return _("A consumable this customer has bought before: time to buy it again")
    return ngettext(
        "Popular: bought by %(count)d customer", "Popular: bought by %(count)d customers", n
    ) % {"count": n}


def customer_recommendations(customer_id: int) -> list[Recommendation]:
    """Best first, with the products (one query)."""
    return list(
        Recommendation.objects.filter(customer_id=customer_id)
        .select_related("product", "because_of")
        .order_by("rank")
    )


def as_dicts(recs: list[Recommendation]) -> list[dict[str, Any]]:
    return [
        {
            "rank": r.rank,
            "product_id": r.product_id,
            "sku": r.product.sku,
            "name": r.product.name,
            "reason": r.reason,
            "reason_text": reason_text(r),
            "because_of_id": r.because_of_id,
            "because_of_name": r.because_of.name if r.because_of else None,
            "customers": r.customers,
            "method": r.method,
            "computed_at": r.computed_at,
        }
        for r in recs
    ]


def product_audience(product_id: int) -> QuerySet[Recommendation]:
    """Customers to whom the product is recommended, best placed first (rank, then customer)."""
    return (
        Recommendation.objects.filter(product_id=product_id)
        .select_related("customer", "product", "because_of")
        .order_by("rank", "customer_id")
    )


def resolve_product(value: str) -> int | None:
    """A product named by SKU or id."""
    from rapport.sales.models import Product

    value = (value or "").strip()
    if not value:
        return None
    pk = Product.objects.filter(sku=value).values_list("pk", flat=True).first()
    if pk is None and value.isdigit():
        pk = Product.objects.filter(pk=int(value)).values_list("pk", flat=True).first()
    return pk


def filter_customers_by_recommended_product(queryset: QuerySet, value: str) -> QuerySet:
    """Customers to whom the product (SKU or id) is recommended; an unknown product: nobody."""
    pk = resolve_product(value)
    if pk is None:
        return queryset.none()
    return queryset.filter(
        pk__in=Recommendation.objects.filter(product_id=pk).values("customer_id")
    )


def latest_evaluation() -> Evaluation | None:
    return Evaluation.objects.order_by("-computed_at", "-id").first()
