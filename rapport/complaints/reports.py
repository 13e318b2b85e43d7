"""The complaints dashboard's tables: Pareto by cause, category, product or department; complaints
per 1,000 units sold; remedy costs; satisfaction; repurchase of complainants. Plus the sources the
analytics refresh reads (product complaints, cost to serve)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from rapport.complaints.choices import Category
from rapport.complaints.models import Complaint, Remedy, Satisfaction

PARETO_BY = ("cause", "category", "product", "department")


def pareto(by: str = "cause", limit: int = 15) -> list[dict[str, Any]]:
    """Counts, most frequent first, with each row's share and the cumulative share (%), computed
    now (the dashboard shows the summary's, `rapport.complaints.summary`)."""
    return pareto_labelled(by, pareto_rows(by, limit))


def pareto_rows(by: str = "cause", limit: int = 15) -> list[dict[str, Any]]:
    """The Pareto rows by key (cause, product or department id; category code): one GROUP BY
    with two window sums (the running count and the total), cut at `limit` rows."""
    field = _PARETO_FIELDS.get(by, "department_id")
    grouped = (
        Complaint.objects.exclude(**{f"{field}__isnull": True})
        .order_by()
        .values(field)
        .annotate(n=Count("id"))
    )
    sql, params = grouped.query.sql_with_params()
    key = connection.ops.quote_name(field)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT g.{key}, g.n, SUM(g.n) OVER (ORDER BY g.n DESC, g.{key}), SUM(g.n) OVER () "  # noqa: S608 (the ORM's SQL, a quoted column name)
            f"FROM ({sql}) g ORDER BY g.n DESC, g.{key} LIMIT %s",
            (*params, limit),
        )
        return [
            {"key": key, "n": n, "running": int(running), "total": int(total)}  # PG: numeric
            for key, n, running, total in cursor.fetchall()
        ]


_PARETO_FIELDS = {"cause": "cause_id", "category": "category", "product": "product_id"}


def pareto_labelled(by: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`pareto_rows` with each key's label (in the reader's language) and the shares."""
    from rapport.complaints.models import Cause
    from rapport.sales.models import Product
    from rapport.staff.models import Department

    keys = [r["key"] for r in rows]
    if by == "cause":
        names = {c.pk: c.label for c in Cause.objects.filter(pk__in=keys)}
    elif by == "product":
        names = {p.pk: str(p) for p in Product.objects.filter(pk__in=keys)}
    elif by == "department":
        names = {d.pk: d.label for d in Department.objects.filter(pk__in=keys)}
    else:
        names = {k: str(Category(k).label) for k in keys if k in Category.values}
    return [
        {
            "label": names.get(r["key"], str(r["key"])),
            "count": r["n"],
            "share": round(100 * r["n"] / (r["total"] or 1), 1),
            "cumulative": round(100 * r["running"] / (r["total"] or 1), 1),
        }
        for r in rows
    ]


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
    """Complaints per 1,000 units sold, per product (products with complaints), highest rate
    first, with each row's product."""
    return per_thousand_with_products(per_thousand_rows(limit))


def per_thousand_rows(limit: int = 20) -> list[dict[str, Any]]:
    """`per_thousand_units` by product id (what the dashboard summary keeps): counted, summed
    and divided in the database."""
    from rapport.sales.models import OrderLine

    units = (
        OrderLine.objects.filter(product_id=OuterRef("product_id"))
        .order_by()
        .values("product_id")
        .annotate(u=Sum("quantity"))
        .values("u")
    )
    rows = (
        Complaint.objects.filter(product__isnull=False)
        .values("product_id")
        .annotate(complaints=Count("id"))
        .annotate(units=Coalesce(Subquery(units), Value(Decimal(0))))
        .annotate(
            rate=Case(
                When(
                    units__gt=0,
                    then=Cast(F("complaints"), FloatField())
                    * 1000
                    / Cast(F("units"), FloatField()),
                ),
                default=None,
                output_field=FloatField(),
            )
        )
        .order_by(F("rate").desc(nulls_last=True), "-complaints", "product_id")[:limit]
    )
    return [
        {
            "product_id": r["product_id"],
            "complaints": r["complaints"],
            "units": Decimal(r["units"]),
            "rate": None if r["rate"] is None else round(r["rate"], 2),
        }
        for r in rows
    ]


def per_thousand_with_products(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from rapport.sales.models import Product

    products = Product.objects.in_bulk([r["product_id"] for r in rows])
    return [dict(r, product=products.get(r["product_id"])) for r in rows]


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
    than one order. Three aggregate queries."""
    from rapport.customers.models import Customer
    from rapport.sales.models import Order

    solved = Q(state__in=("carried_out", "closed")) & ~Q(satisfaction__solved=False)
    complainants = (
        Complaint.objects.order_by()
        .values("customer_id")
        .annotate(
            first=Min("received_at"),
            solved=Max(Case(When(solved, then=Value(1)), default=Value(0))),
        )
    )
    sql, params = complainants.query.sql_with_params()
    orders = connection.ops.quote_name(Order._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.solved, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM "  # noqa: S608 (the ORM's SQL, a quoted table name)
            f"{orders} o WHERE o.customer_id = c.customer_id AND o.ordered_at > c.first) "
            f"THEN 1 ELSE 0 END) FROM ({sql}) c GROUP BY c.solved",
            params,
        )
        by_solved = {bool(solved): (n, again or 0) for solved, n, again in cursor.fetchall()}
    never = Customer.objects.exclude(Exists(Complaint.objects.filter(customer=OuterRef("pk"))))
    never_agg = never.aggregate(
        customers=Count("pk"),
        again=Count(
            "pk",
            filter=Q(
                pk__in=Order.objects.order_by()
                .values("customer_id")
                .annotate(n=Count("pk"))
                .filter(n__gt=1)
                .values("customer_id")
            ),
        ),
    )
    groups = {
        "solved": by_solved.get(True, (0, 0)),
        "not_solved": by_solved.get(False, (0, 0)),
        "never": (never_agg["customers"], never_agg["again"]),
    }
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
            "month": [timezone.localdate(r[1]).replace(day=1) for r in rows],
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
            "month": [timezone.localdate(r[1]).replace(day=1) for r in rows],
            "amount": [float(r[2]) for r in rows],
        },
        schema={"customer_id": pl.Int64, "month": pl.Date, "amount": pl.Float64},
    )
