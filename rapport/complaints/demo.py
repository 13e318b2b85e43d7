"""Demo complaints (`rapport demo`): a realistic spread in every state, in the four languages,
with causes skewed so the Pareto chart shows the few causes behind most complaints."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from rapport.complaints.choices import Action, Category, Channel, State
from rapport.core.actors import DEMO

TEXTS: dict[str, dict[str, list[str]]] = {
    Category.TRANSPORT: {
        "zh-hans": ["包裹在运输中被压坏了", "快递把箱子摔破了，里面的杯子碎了", "货物在路上丢失了"],
        "zh-hant": ["包裹在運送途中損壞", "箱子被壓扁，商品破損"],
        "sk": ["Balík prišiel poškodený", "Krabica bola rozbitá, tovar je zničený"],
        "en": ["The parcel arrived crushed", "The box was torn and the glass broke in transit"],
    },
    Category.PRODUCT_QUALITY: {
        "zh-hans": ["水壶用了一周就漏水", "产品有明显的质量缺陷", "开关失灵，无法使用"],
        "zh-hant": ["產品用了幾天就壞了", "品質有瑕疵，表面有裂痕"],
        "sk": ["Výrobok prestal fungovať po týždni", "Kanvica tečie, zlá kvalita"],
        "en": ["The kettle leaks after a week", "The handle broke off on first use"],
    },
    Category.SALES_CONTRACT: {
        "zh-hans": ["到货数量比合同少", "交货时间比约定晚了两周", "发票金额不对"],
        "zh-hant": ["交貨時間比合約晚", "數量和訂單不符"],
        "sk": ["Dodávka meškala dva týždne", "Faktúra nesedí so zmluvou"],
        "en": ["Two items fewer than ordered", "Delivered two weeks later than agreed"],
    },
    Category.SERVICE: {
        "zh-hans": ["店员态度很差", "客服不回复我的问题"],
        "zh-hant": ["服務人員態度不好"],
        "sk": ["Predavač bol nepríjemný", "Nikto mi neodpovedal na otázku"],
        "en": ["The staff were rude", "Nobody answered my question for days"],
    },
}
# cause -> (category, weight): a few causes behind most complaints.
CAUSES = {
    "poor_packing": (Category.TRANSPORT, 34),
    "material_defect": (Category.PRODUCT_QUALITY, 24),
    "late_delivery": (Category.SALES_CONTRACT, 12),
    "carrier_handling": (Category.TRANSPORT, 8),
    "staff_attitude": (Category.SERVICE, 6),
    "assembly_error": (Category.PRODUCT_QUALITY, 5),
    "wrong_item_shipped": (Category.SALES_CONTRACT, 4),
    "billing_error": (Category.SALES_CONTRACT, 3),
    "staff_training": (Category.SERVICE, 2),
    "misunderstanding": (Category.SERVICE, 2),
}
# how far each demo complaint gets
STOPS = [
    (State.NEW, 4),
    (State.ACCEPTED, 3),
    (State.NOT_UPHELD, 6),
    (State.ASSIGNED, 5),
    (State.CAUSE_FOUND, 4),
    (State.REMEDY_PROPOSED, 4),
    (State.SECOND_APPROVAL, 1),
    (State.APPROVED, 3),
    (State.CARRIED_OUT, 8),
    (State.DISPUTED, 2),
    (State.CLOSED, 60),
]
PATH = [
    Action.ACCEPT,
    Action.ASSIGN,
    Action.RECORD_CAUSE,
    Action.PROPOSE_REMEDY,
    Action.APPROVE,
    Action.CARRY_OUT,
    Action.CLOSE,
]
AFTER = {
    State.NEW: 0,
    State.SECOND_APPROVAL: 5,
    State.DISPUTED: 6,
    State.ACCEPTED: 1,
    State.ASSIGNED: 2,
    State.CAUSE_FOUND: 3,
    State.REMEDY_PROPOSED: 4,
    State.APPROVED: 5,
    State.CARRIED_OUT: 6,
    State.CLOSED: 7,
}


def run(ctx: Any) -> dict[str, int]:
    from rapport.complaints.models import Cause, Complaint, Satisfaction
    from rapport.complaints.services import complaint_act, complaint_record
    from rapport.customers.models import Customer
    from rapport.sales.models import OrderLine
    from rapport.staff.models import Department

    rng = random.Random(ctx.seed * 7 + 12)
    ids = ctx.customer_ids
    if not ids:
        return {"complaints": 0}
    n = max(12, min(400, len(ids) // 5))
    chosen = sorted(rng.sample(ids, min(n, len(ids))))
    language = dict(Customer.objects.filter(pk__in=chosen).values_list("pk", "preferred_language"))
    bought = {}
    for line in (
        OrderLine.objects.filter(order__customer_id__in=chosen)
        .values("order__customer_id", "product_id", "batch", "order__ordered_at")
        .order_by("order__customer_id", "pk")
    ):
        bought.setdefault(line["order__customer_id"], line)
    causes = {c.code: c for c in Cause.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    cause_codes = list(CAUSES)
    weights = [CAUSES[c][1] for c in cause_codes]
    stops = [s for s, _w in STOPS]
    stop_weights = [w for _s, w in STOPS]
    today = ctx.today
    made = satisfied = 0
    tz = timezone.get_current_timezone()
    for customer_id in chosen:
        code = rng.choices(cause_codes, weights)[0]
        category = CAUSES[code][0]
        lang = language.get(customer_id) or rng.choice(["zh-hans", "zh-hant", "sk", "en"])
        lang = lang if lang in ("zh-hans", "zh-hant", "sk", "en") else "en"
        line = bought.get(customer_id)
        day = today - timedelta(days=rng.randint(1, 360))
        if line is not None:
            day = max(day, line["order__ordered_at"].date() + timedelta(days=rng.randint(1, 20)))
            day = min(day, today - timedelta(days=1))
        received = datetime.combine(day, time(rng.randint(9, 16), rng.randint(0, 59)), tz)
        complaint = complaint_record(
            by=ctx.by,
            customer_id=customer_id,
            channel=rng.choice(Channel.values[:6]),
            category=category,
            description=rng.choice(TEXTS[category][lang]),
            received_at=received,
            product_id=line["product_id"] if line and category != Category.SERVICE else None,
            batch=(line["batch"] or "") if line and category != Category.SERVICE else "",
            acknowledge=False,
        )
        made += 1
        stop = rng.choices(stops, stop_weights)[0]
        if received > timezone.now() - timedelta(days=3):
            stop = State.NEW if stop not in (State.NEW, State.ACCEPTED) else stop
        step_time = received
        if stop == State.NOT_UPHELD:
            complaint_act(
                by=ctx.by,
                complaint_id=complaint.pk,
                action=Action.REJECT,
                reason="—",
                now=step_time + timedelta(hours=rng.randint(1, 30)),
                notify=False,
            )
            continue
        steps = PATH[: AFTER[stop]]
        for action in steps:
            step_time += timedelta(hours=rng.choice([1, 2, 4, 20, 30, 50]))
            if step_time > timezone.now():
                break
            data: dict[str, Any] = {}
            if action == Action.ASSIGN:
                data["department_id"] = departments[_department(category)].pk
            elif action == Action.RECORD_CAUSE:
                data["cause_id"] = causes[code].pk
                data["responsible"] = ""
            elif action == Action.PROPOSE_REMEDY:
                kind = rng.choice(["return", "exchange", "repair", "discount", "apology", "gift"])
                amount = Decimal(rng.choice([0, 20, 50, 80, 150, 300]))
                if stop == State.SECOND_APPROVAL:
                    amount = Decimal(8000)
                data.update(kind=kind, amount=amount)
            elif action == Action.CLOSE:
                data.update(summary="—", lesson="")
            complaint_act(
                # Nobody approves their own proposal: when the demo is written by a person, the
                # approvals are the demo's own.
                by=DEMO if action == Action.APPROVE else ctx.by,
                complaint_id=complaint.pk,
                action=action,
                now=step_time,
                notify=False,
                **data,
            )
        if stop == State.DISPUTED:
            complaint_act(
                by=ctx.by,
                complaint_id=complaint.pk,
                action=Action.CUSTOMER_REJECTS,
                now=step_time + timedelta(hours=5),
                notify=False,
            )
        current = Complaint.objects.get(pk=complaint.pk)
        if current.state in (State.CARRIED_OUT, State.CLOSED) and rng.random() < 0.6:
            solved = rng.random() < 0.8
            Satisfaction.objects.create(
                complaint=current,
                solved=solved,
                score=rng.randint(4, 5) if solved else rng.randint(1, 3),
                buy_again=rng.random() < (0.85 if solved else 0.3),
                answered_at=step_time + timedelta(days=1),
            )
            satisfied += 1
    return {"complaints": made, "complaint_satisfaction_answers": satisfied}


def _department(category: str) -> str:
    from rapport.complaints.choices import DEFAULT_ROUTING

    return DEFAULT_ROUTING[category]  # type: ignore[index]
