"""Service's part of `rapport demo` (visits with costs, kept and broken promises, one recall)
and of the exports (service visits)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet

EXPORT_COLUMNS = (
    "customer",
    "kind",
    "state",
    "technician",
    "starts_at",
    "due_on",
    "parts_cost",
    "labour_minutes",
    "labour_cost",
)


def export_queryset(filters: dict[str, Any]) -> QuerySet:
    from rapport.service.models import Visit

    qs = Visit.objects.all()
    if state := filters.get("state"):
        qs = qs.filter(state=state)
    return qs


def export_rows(queryset: QuerySet) -> Iterable[list[Any]]:
    from rapport.customers.models import CUSTOMER_NUMBER_PREFIX

    rows = queryset.order_by("pk").values_list(
        "customer_id",
        "kind",
        "state",
        "technician__username",
        "starts_at",
        "due_on",
        "parts_cost",
        "labour_minutes",
        "labour_cost",
    )
    for r in rows.iterator(chunk_size=2000):
        yield [
            f"{CUSTOMER_NUMBER_PREFIX}{r[0]:07d}",
            r[1],
            r[2],
            r[3] or "",
            r[4].isoformat() if r[4] else "",
            r[5].isoformat() if r[5] else "",
            r[6],
            r[7],
            r[8],
        ]


RECALL_TITLE = {
    "en": "Safety notice: kettle lids may loosen",
    "zh-hans": "安全通知：电水壶盖可能松动",
    "zh-hant": "安全通知：電水壺蓋可能鬆動",
    "sk": "Bezpečnostné upozornenie: veko kanvice sa môže uvoľniť",
}
RECALL_BODY = {
    "en": "Some kettles of this batch have a lid hinge that may loosen. Stop using it; we will "
    "repair or exchange it free of charge.",
    "zh-hans": "本批次部分电水壶的壶盖铰链可能松动。请停止使用，我们将免费维修或更换。",
    "zh-hant": "本批次部分電水壺的壺蓋鉸鏈可能鬆動。請停止使用，我們將免費維修或更換。",
    "sk": "Niektoré kanvice z tejto šarže majú pánt veka, ktorý sa môže uvoľniť. Prestaňte ju "
    "používať; bezplatne ju opravíme alebo vymeníme.",
}
PROMISES = [
    "Call back on Friday with the repair date",
    "Replacement part delivered within 48 hours",
    "Technician arrives before noon",
    "Refund credited by the 12th",
]


def demo_step(context: Any) -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from rapport.sales.models import OrderLine
    from rapport.service import services

    rng = random.Random(context.seed + 29)
    ids = context.customer_ids
    if not ids:
        return {}
    staff = list(get_user_model().objects.filter(is_active=True).order_by("pk")[:3])
    owner = staff[0] if staff else None
    now = timezone.now()
    visits = promises = 0
    kinds = ["delivery", "installation", "repair", "maintenance", "training", "exchange"]
    for customer_id in rng.sample(ids, min(40, len(ids))):
        kind = rng.choice(kinds)
        request = services.request_open(
            by=context.by, customer_id=customer_id, kind=kind, description="Demo: " + kind
        )
        start = now - timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 6))
        visit = services.visit_schedule(
            by=context.by,
            customer_id=customer_id,
            kind=kind,
            starts_at=start,
            technician_id=rng.choice(staff).pk if staff else None,
            request_id=request.pk,
        )
        services.visit_done(
            by=context.by,
            visit_id=visit.pk,
            parts_cost=rng.choice([0, 35, 120, 260]),
            labour_minutes=rng.choice([30, 60, 90]),
            labour_cost=rng.choice([50, 100, 150]),
        )
        visits += 1
        if owner is not None:
            commitment = services.commitment_make(
                by=context.by,
                customer_id=customer_id,
                text=rng.choice(PROMISES),
                owner_id=owner.pk,
                due_at=now + timedelta(days=rng.randint(1, 5)),
            )
            outcome = rng.random()
            if outcome < 0.6:
                services.commitment_close(by=context.by, commitment_id=commitment.pk, kept=True)
            elif outcome < 0.8:
                services.commitment_close(by=context.by, commitment_id=commitment.pk, kept=False)
            promises += 1
    line = OrderLine.objects.filter(order__customer_id__in=ids).order_by("pk").first()
    recalls = 0
    if line is not None:
        recall = services.recall_create(
            by=context.by,
            product_id=line.product_id,
            title=RECALL_TITLE,
            body=RECALL_BODY,
            ordered_from=(now - timedelta(days=400)).date(),
        )
        services.recall_notify(by=context.by, recall_id=recall.pk)
        recalls = 1
    return {"service_visits": visits, "service_promises": promises, "product_notices": recalls}
