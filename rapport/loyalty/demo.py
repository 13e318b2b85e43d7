"""Demo data for membership and loyalty: four tiers whose thresholds split the demo customers'
spend so that every tier has members, points for every paid order, referral chains."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum


def run(ctx) -> dict[str, int]:
    from rapport.loyalty import services
    from rapport.sales.models import Order

    if not ctx.customer_ids:
        return {}
    since = ctx.today - timedelta(days=365)
    spend = sorted(
        (s or Decimal(0))
        for s in Order.objects.filter(
            customer_id__in=ctx.customer_ids, status__in=services.PAID, ordered_at__date__gt=since
        )
        .values("customer_id")
        .annotate(s=Sum("total"))
        .values_list("s", flat=True)
    )

    def quantile(q: float) -> Decimal:
        return (
            spend[min(len(spend) - 1, int(len(spend) * q))].quantize(Decimal(1))
            if spend
            else Decimal(q * 1000)
        )

    tiers = [
        ("Member", 1, Decimal(0), "", ""),
        ("Silver", 2, max(Decimal(1), quantile(0.5)), "", ""),
        ("Gold", 3, max(Decimal(2), quantile(0.8)), "Gift wrapping", ""),
        ("VIP", 4, max(Decimal(3), quantile(0.95)), "Birthday gift", "Free delivery and repairs"),
    ]
    discounts = {"Member": Decimal(0), "Silver": Decimal(3), "Gold": Decimal(5), "VIP": Decimal(10)}
    from rapport.loyalty.models import Referral, Tier

    for name, rank, min_spend, items, service in tiers if not Tier.objects.exists() else ():
        services.tier_create(
            by=ctx.by,
            name=name,
            rank=rank,
            min_spend=min_spend,
            discount_percent=discounts[name],
            free_items=items,
            free_services=service,
        )
    ids = ctx.customer_ids
    chains = 0
    for start in range(0, min(len(ids) - 4, 40), 10):  # a → b → c, a → d, b → e
        a, b, c, d, e = ids[start : start + 5]
        for referred, referrer in ((b, a), (c, b), (d, a), (e, b)):
            code = services.account_ensure(referrer).referral_code
            if not Referral.objects.filter(referred_id=referred).exists():
                services.referral_record(referred_id=referred, code=code, by=ctx.by)
        chains += 1
    earned = services.points_sync(by=ctx.by, since_days=(ctx.today - since).days + 400)
    members = 0
    for customer_id in ids:
        if services.tier_evaluate(customer_id=customer_id, by=ctx.by) is not None:
            members += 1
    return {"orders earning points": earned, "members": members, "referral chains": chains}
