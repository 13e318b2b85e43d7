"""Reads of membership and loyalty: the customer's card, the referral tree, the leaderboard, and
what analytics reads (switching cost, cost to serve)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from rapport.core.timeline import TimelineEntry
from rapport.loyalty.choices import EntryKind
from rapport.loyalty.models import LoyaltyAccount, LoyaltyEvent, PointsEntry, Referral, Tier


def customer_card(customer_id: int) -> dict[str, Any]:
    """Four queries: the account and tier, the balance, the newest entries, the referrals."""
    account = LoyaltyAccount.objects.select_related("tier").filter(customer_id=customer_id).first()
    total = PointsEntry.objects.filter(customer_id=customer_id).aggregate(s=Sum("points"))["s"] or 0
    entries = list(PointsEntry.objects.filter(customer_id=customer_id).order_by("-at", "-pk")[:6])
    links = list(
        Referral.objects.select_related("referrer").filter(
            Q(referred_id=customer_id) | Q(referrer_id=customer_id)
        )
    )
    referrer = next((r.referrer for r in links if r.referred_id == customer_id), None)
    return {
        "account": account,
        "tier": account.tier if account else None,
        "balance": total,
        "entries": entries,
        "referred_by": referrer,
        "referrals": sum(1 for r in links if r.referrer_id == customer_id),
    }


def referral_tree(customer_id: int, depth: int = 5) -> list[dict[str, Any]]:
    """The people the customer brought, and whom they brought, `depth` levels down."""
    level = [customer_id]
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for _ in range(depth):
        rows = list(
            Referral.objects.filter(referrer_id__in=level).select_related("referred").order_by("at")
        )
        if not rows:
            break
        for r in rows:
            node = {"customer": r.referred, "rewarded": r.rewarded_at is not None, "children": []}
            nodes[r.referred_id] = node
            (roots if r.referrer_id == customer_id else nodes[r.referrer_id]["children"]).append(
                node
            )
        level = [r.referred_id for r in rows]
    return roots


def leaderboard(limit: int = 20) -> list[dict[str, Any]]:
    """Who brought the most customers (rewarded referrals first)."""
    rows = (
        Referral.objects.values("referrer_id", "referrer__display_name")
        .annotate(referred=Count("pk"), rewarded=Count("pk", filter=Q(rewarded_at__isnull=False)))
        .order_by("-rewarded", "-referred", "referrer_id")[:limit]
    )
    return list(rows)


def filter_by_tier(queryset: QuerySet, value: str) -> QuerySet:
    tier = Tier.objects.filter(name=value).first()
    if tier is None:
        return queryset.none()
    return queryset.filter(membership__tier=tier)


def tier_choices() -> list[tuple[str, Any]]:
    return [(t.name, t.name) for t in Tier.objects.order_by("rank")]


def loyalty_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = LoyaltyEvent.objects.filter(customer_id=customer_id).order_by("-time", "-id")[:limit]
    return [
        TimelineEntry(time=e.time, kind="loyalty", title=e.sentence(), actor=e.user_name)
        for e in rows
    ]


def switching_cost(as_of: date) -> Any:
    """customer_id, points: membership and referral ties make leaving costlier — the tier's rank
    (×10), a point per 100 points held, 5 per person referred."""
    import polars as pl

    rows: dict[int, float] = {}
    for customer_id, rank in LoyaltyAccount.objects.filter(tier__isnull=False).values_list(
        "customer_id", "tier__rank"
    ):
        rows[customer_id] = rows.get(customer_id, 0) + 10 * rank
    for customer_id, held in (
        PointsEntry.objects.values("customer_id")
        .annotate(s=Sum("points"))
        .values_list("customer_id", "s")
    ):
        rows[customer_id] = rows.get(customer_id, 0) + max(0, held or 0) / 100
    for customer_id, n in (
        Referral.objects.values("referrer_id")
        .annotate(n=Count("pk"))
        .values_list("referrer_id", "n")
    ):
        rows[customer_id] = rows.get(customer_id, 0) + 5 * n
    return pl.DataFrame(
        {"customer_id": list(rows), "points": list(rows.values())},
        schema={"customer_id": pl.Int64, "points": pl.Float64},
    )


def reward_costs(end: datetime) -> Any:
    """customer_id, month, amount: the cost of points spent on rewards (a point is worth
    RAPPORT_LOYALTY_POINT_VALUE in money)."""
    import polars as pl
    from django.conf import settings
    from django.db.models.functions import TruncMonth

    value = float(getattr(settings, "RAPPORT_LOYALTY_POINT_VALUE", 0.01))
    rows = (
        PointsEntry.objects.filter(kind=EntryKind.SPEND, at__lte=end)
        .annotate(month=TruncMonth("at"))
        .values("customer_id", "month")
        .annotate(points=Sum("points"))
    )
    data = [
        (
            r["customer_id"],
            r["month"].date() if hasattr(r["month"], "date") else r["month"],
            -r["points"] * value,
        )
        for r in rows
    ]
    return pl.DataFrame(
        {
            "customer_id": [d[0] for d in data],
            "month": [d[1] for d in data],
            "amount": [d[2] for d in data],
        },
        schema={"customer_id": pl.Int64, "month": pl.Date, "amount": pl.Float64},
    )


def tier_counts() -> dict[int, int]:
    return dict(
        LoyaltyAccount.objects.filter(tier__isnull=False)
        .values_list("tier_id")
        .annotate(n=Count("pk"))
        .values_list("tier_id", "n")
    )
