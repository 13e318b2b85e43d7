"""Common problems: when several complaints share a cause, or a product and batch, within a window,
Rapport flags it; a manager can send a notice to every customer who bought the affected product
(or batch) — directly, or through an organisation they are a contact of — and the notice is linked
to the complaints as a step on each."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from rapport.complaints.choices import EventType
from rapport.complaints.models import Complaint, ComplaintEvent
from rapport.core.actors import Actor
from rapport.core.events import emit

WINDOW_DAYS = 30
THRESHOLD = 3


def common_problems(*, days: int = WINDOW_DAYS, threshold: int = THRESHOLD) -> list[dict[str, Any]]:
    """Groups of at least `threshold` complaints in the last `days` sharing a cause, or a product
    and batch, with their product or cause."""
    return with_objects(common_problem_rows(days=days, threshold=threshold))


def common_problem_rows(
    *, days: int = WINDOW_DAYS, threshold: int = THRESHOLD
) -> list[dict[str, Any]]:
    """`common_problems` by ids only (what the dashboard summary keeps): kind, product_id and
    batch or cause_id, count; the largest groups first."""
    since = timezone.now() - timedelta(days=days)
    recent = Complaint.objects.filter(received_at__gte=since)
    by_product = (
        recent.filter(product__isnull=False)
        .values("product_id", "batch")
        .annotate(n=Count("id"))
        .filter(n__gte=threshold)
        .order_by("-n", "product_id", "batch")
    )
    by_cause = (
        recent.filter(cause__isnull=False)
        .values("cause_id")
        .annotate(n=Count("id"))
        .filter(n__gte=threshold)
        .order_by("-n", "cause_id")
    )
    return [
        {"kind": "product", "product_id": r["product_id"], "batch": r["batch"], "count": r["n"]}
        for r in by_product
    ] + [{"kind": "cause", "cause_id": r["cause_id"], "count": r["n"]} for r in by_cause]


def with_objects(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of `common_problem_rows` with their product or cause (two queries)."""
    from rapport.complaints.models import Cause
    from rapport.sales.models import Product

    products = Product.objects.in_bulk([r["product_id"] for r in rows if r["kind"] == "product"])
    causes = Cause.objects.in_bulk([r["cause_id"] for r in rows if r["kind"] == "cause"])
    return [
        dict(r, product=products.get(r["product_id"]))
        if r["kind"] == "product"
        else dict(r, cause=causes.get(r["cause_id"]))
        for r in rows
    ]


def buyers(product_id: int, batch: str = "") -> list[int]:
    """Customers who bought the product (of the batch): on their own orders, or as contacts of an
    organisation whose orders hold it."""
    from rapport.customers.models import OrganisationContact
    from rapport.sales.choices import OrderStatus
    from rapport.sales.models import OrderLine

    lines = OrderLine.objects.filter(product_id=product_id).exclude(
        order__status=OrderStatus.CANCELLED  # a cancelled order never reached them
    )
    if batch:
        lines = lines.filter(batch=batch)
    direct = set(lines.values_list("order__customer_id", flat=True).distinct())
    orgs = set(
        lines.filter(order__organisation__isnull=False)
        .values_list("order__organisation_id", flat=True)
        .distinct()
    )
    via = set(
        OrganisationContact.objects.filter(organisation_id__in=orgs).values_list(
            "person_id", flat=True
        )
    )
    return sorted(direct | via)


def notice_send(*, by: Actor, product_id: int, batch: str, subject: str, body: str) -> int:
    """Send the notice (a service message: it concerns what they bought) to every buyer once;
    returns how many were sent or kept as not sendable. Linked to the matching complaints."""
    from rapport.communications.services import message_send
    from rapport.core.registry import notice_publisher

    if (publisher := notice_publisher()) is not None:
        # One kind of notice: where an app tracks notices (the service app's recalls: who was
        # told, acknowledgements, remedies, a public page), the notice is one of them, and its
        # step on these complaints is recorded when each buyer is told.
        told, _url = publisher.publish(
            by=by, product_id=product_id, batch=batch, subject=subject, body=body
        )
        return told
    digest = hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()[:16]
    customers = buyers(product_id, batch)
    for customer_id in customers:
        message_send(
            customer_id=customer_id,
            channel="email",
            purpose="service",
            subject=subject,
            body=body,
            idempotency_key=f"complaint-notice:{product_id}:{batch}:{digest}:{customer_id}",
            by=by,
        )
    affected = Complaint.objects.filter(product_id=product_id)
    if batch:
        affected = affected.filter(batch=batch)
    for complaint in affected.only("pk", "customer_id"):
        emit(
            ComplaintEvent,
            by=by,
            type=EventType.NOTICE,
            complaint=complaint,
            customer_id=complaint.customer_id,
            parameters={"subject": subject[:200], "count": len(customers)},
        )
    return len(customers)
