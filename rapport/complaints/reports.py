"""The complaints dashboard's tables: Pareto by cause, category, product or department; complaints
per 1,000 units sold; remedy costs; satisfaction; repurchase of complainants. Plus the sources the
analytics refresh reads (product complaints, cost to serve)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum

from rapport.complaints.choices import Category
from rapport.complaints.models import Complaint, Remedy, Satisfaction

PARETO_BY = ("cause", "category", "product", "department")


def pareto(by: str = "cause", limit: int = 15) -> list[dict[str, Any]]:
    """Counts, most frequent first, with each row's share and the cumulative share (%)."""
    from rapport.complaints.models import Cause
    from rapport.sales.models import Product
    from rapport.staff.models import Department

    field = {"cause": "cause_id", "category": "category", "product": "product_id"}.get(
        by, "department_id"
    )
    rows = list(
        Complaint.objects.exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(n=Count("id"))
        .order_by("-n", field)
    )
    total = sum(r["n"] for r in rows) or 1
    keys = [r[field] for r in rows[:limit]]
    if by == "cause":
        names = {c.pk: c.label for c in Cause.objects.filter(pk__in=keys)}
    elif by == "product":
        names = {p.pk: str(p) for p in Product.objects.filter(pk__in=keys)}
    elif by == "department":
        names = {d.pk: d.label for d in Department.objects.filter(pk__in=keys)}
    else:
        names = {k: str(Category(k).label) for k in keys if k in Category.values}
    out, running = [], 0
    for r in rows[:limit]:
        running += r["n"]
        out.append(
            {
                "label": names.get(r[field], str(r[field])),
                "count": r["n"],
                "share": round(100 * r["n"] / total, 1),
                "cumulative": round(100 * running / total, 1),
            }
        )
    return out


def pareto_chart(rows: list[dict[str, Any]], count_label: str, cumulative_label: str) -> dict:
    return {
        "type": "bar",
        "labels": [r["label"] for r in rows],
        "datasets": [
            {
                "type": "bar",
                "label": count_label,
                "data": [r["count"] for r in rows],
                "yAxisID": "y",
            },
            {
                "type": "line",
                "label": cumulative_label,
                "data": [r["cumulative"] for r in rows],
                "yAxisID": "y1",
            },
        ],
        "options": {
            "scales": {
                "y": {"beginAtZero": True},
                "y1": {"position": "right", "min": 0, "max": 100},
            }
        },
    }


def per_thousand_units(limit: int = 20) -> list[dict[str, Any]]:
    """Complaints per 1,000 units sold, per product (products with complaints)."""
    from rapport.sales.models import OrderLine, Product

    counts = dict(
        Complaint.objects.filter(product__isnull=False)
        .values_list("product_id")
        .annotate(n=Count("id"))
        .values_list("product_id", "n")
    )
    units = dict(
        OrderLine.objects.filter(product_id__in=list(counts))
        .values_list("product_id")
        .annotate(u=Sum("quantity"))
        .values_list("product_id", "u")
    )
    products = {p.pk: p for p in Product.objects.filter(pk__in=list(counts))}
    out = []
    for pk, n in counts.items():
        sold = units.get(pk) or Decimal(0)
        out.append(
            {
                "product": products.get(pk),
                "complaints": n,
                "units": sold,
                "rate": round(float(n) * 1000 / float(sold), 2) if sold else None,
            }
        )
    out.sort(key=lambda r: (-(r["rate"] or 0), -r["complaints"]))
    return out[:limit]


def remedy_costs() -> list[dict[str, Any]]:
    """Cost of approved and carried-out remedies, per currency and kind."""
    from rapport.complaints.choices import RemedyKind

    rows = list(
        Remedy.objects.filter(state__in=(Remedy.APPROVED, Remedy.CARRIED_OUT))
        .values("currency", "kind")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("currency", "-total")
    )
    for r in rows:
        r["label"] = RemedyKind(r["kind"]).label if r["kind"] in RemedyKind.values else r["kind"]
    return rows


def remedy_costs_by_cause(limit: int = 15) -> list[dict[str, Any]]:
    """Cost of approved and carried-out remedies per cause and currency, costliest first."""
    from rapport.complaints.models import Cause

    rows = list(
        Remedy.objects.filter(state__in=(Remedy.APPROVED, Remedy.CARRIED_OUT))
        .values("complaint__cause_id", "currency")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("-total")[:limit]
    )
    causes = {
        c.pk: c.label for c in Cause.objects.filter(pk__in=[r["complaint__cause_id"] for r in rows])
    }
    for r in rows:
        r["cause"] = causes.get(r["complaint__cause_id"], "—")
    return rows


def satisfaction() -> dict[str, Any]:
    agg = Satisfaction.objects.aggregate(
        n=Count("id"),
        solved=Count("id", filter=Q(solved=True)),
        again=Count("id", filter=Q(buy_again=True)),
    )
    from django.db.models import Avg

    agg["score"] = Satisfaction.objects.aggregate(s=Avg("score"))["s"]
    return agg


def repurchase() -> list[dict[str, Any]]:
    """Who bought again: complainants whose complaint was solved (carried out and, where they
    answered, "solved"), complainants not solved (not upheld, disputed, or answered "not
    solved"), and customers who never complained. A complainant bought again when they placed
    an order after their first complaint; a customer who never complained, when they placed more
    than one order."""
    from rapport.customers.models import Customer
    from rapport.sales.models import Order

    first = dict(
        Complaint.objects.values_list("customer_id")
        .annotate(t=Min("received_at"))
        .values_list("customer_id", "t")
    )
    solved_ids = set(
        Complaint.objects.filter(state__in=("carried_out", "closed"))
        .exclude(satisfaction__solved=False)
        .values_list("customer_id", flat=True)
    )
    last_order = dict(
        Order.objects.filter(customer_id__in=list(first))
        .values_list("customer_id")
        .annotate(t=Max("ordered_at"))
        .values_list("customer_id", "t")
    )
    groups = {"solved": [0, 0], "not_solved": [0, 0]}
    for customer_id, t in first.items():
        key = "solved" if customer_id in solved_ids else "not_solved"
        groups[key][0] += 1
        groups[key][1] += bool(last_order.get(customer_id) and last_order[customer_id] > t)
    never = Customer.objects.exclude(Exists(Complaint.objects.filter(customer=OuterRef("pk"))))
    never_total = never.count()
    never_again = never.annotate(n=Count("orders")).filter(n__gt=1).count() if never_total else 0
    groups["never"] = [never_total, never_again]
    return [
        {"group": k, "customers": v[0], "rate": round(100 * v[1] / v[0], 1) if v[0] else None}
        for k, v in groups.items()
    ]


# Analytics sources -----------------------------------------------------------------------------


def product_complaints_source(end: datetime) -> Any:
    """product_id, month, complaints, customer_id — for the analytics products page."""
    import polars as pl

    rows = list(
        Complaint.objects.filter(product__isnull=False, received_at__lt=end).values_list(
            "product_id", "received_at", "customer_id"
        )
    )
    if not rows:
        return pl.DataFrame(
            schema={
                "product_id": pl.Int64,
                "month": pl.Date,
                "complaints": pl.Int64,
                "customer_id": pl.Int64,
            }
        )
    frame = pl.DataFrame(
        {
            "product_id": [r[0] for r in rows],
            "month": [r[1].date().replace(day=1) for r in rows],
            "customer_id": [r[2] for r in rows],
        },
        schema={"product_id": pl.Int64, "month": pl.Date, "customer_id": pl.Int64},
    )
    return frame.group_by("product_id", "month", "customer_id").agg(
        pl.len().cast(pl.Int64).alias("complaints")
    )


def cost_to_serve_source(end: datetime) -> Any:
    """customer_id, month, amount: the remedies approved or carried out (their cost to serve)."""
    import polars as pl

    rows = list(
        Remedy.objects.filter(
            state__in=(Remedy.APPROVED, Remedy.CARRIED_OUT), created_at__lt=end
        ).values_list("complaint__customer_id", "created_at", "amount")
    )
    if not rows:
        return pl.DataFrame(
            schema={"customer_id": pl.Int64, "month": pl.Date, "amount": pl.Float64}
        )
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "month": [r[1].date().replace(day=1) for r in rows],
            "amount": [float(r[2]) for r in rows],
        },
        schema={"customer_id": pl.Int64, "month": pl.Date, "amount": pl.Float64},
    )
