"""Surveys' part of `rapport demo` and of the exports: a delivery survey in the four languages,
answered by demo customers with realistic gaps (delivery often below expectation, staff above)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

EXPORT_COLUMNS = (
    "survey",
    "customer",
    "question",
    "kind",
    "attribute",
    "value",
    "expectation",
    "experience",
    "gap",
    "label",
    "text",
    "answered_at",
)


def export_rows(queryset: QuerySet) -> Iterable[list[Any]]:
    from rapport.customers.models import CUSTOMER_NUMBER_PREFIX

    rows = queryset.order_by("pk").values_list(
        "survey_id",
        "customer_id",
        "question_id",
        "kind",
        "attribute",
        "value",
        "expectation",
        "experience",
        "gap",
        "label",
        "text",
        "answered_at",
    )
    for r in rows.iterator(chunk_size=2000):
        yield [r[0], f"{CUSTOMER_NUMBER_PREFIX}{r[1]:07d}", *r[2:11], r[11].isoformat()]


DELIVERY_SURVEY = {
    "name": "After delivery",
    "title": {
        "en": "How was your order?",
        "zh-hans": "您对这次订单满意吗？",
        "zh-hant": "您對這次訂單滿意嗎？",
        "sk": "Ako ste boli spokojní s objednávkou?",
    },
    "intro": {
        "en": "Thank you for your purchase.",
        "zh-hans": "感谢您的惠顾。",
        "zh-hant": "感謝您的惠顧。",
        "sk": "Ďakujeme za váš nákup.",
    },
}

QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "paired",
        "attribute": "quality",
        "text": {
            "en": "The quality of the product",
            "zh-hans": "产品质量",
            "zh-hant": "產品品質",
            "sk": "Kvalita výrobku",
        },
    },
    {
        "kind": "paired",
        "attribute": "delivery",
        "text": {
            "en": "Delivery: time and care",
            "zh-hans": "送货：时间与细心程度",
            "zh-hant": "送貨：時間與細心程度",
            "sk": "Doručenie: čas a starostlivosť",
        },
    },
    {
        "kind": "paired",
        "attribute": "staff",
        "text": {
            "en": "Our staff",
            "zh-hans": "我们的员工",
            "zh-hant": "我們的員工",
            "sk": "Naši zamestnanci",
        },
    },
    {
        "kind": "scale_5",
        "measure": "csat",
        "text": {
            "en": "Overall, how satisfied are you?",
            "zh-hans": "总体而言，您有多满意？",
            "zh-hant": "整體而言，您有多滿意？",
            "sk": "Ako ste celkovo spokojní?",
        },
    },
    {
        "kind": "nps",
        "text": {
            "en": "How likely are you to recommend us to a friend?",
            "zh-hans": "您有多大可能向朋友推荐我们？",
            "zh-hant": "您有多大可能向朋友推薦我們？",
            "sk": "Aká je pravdepodobnosť, že nás odporučíte priateľovi?",
        },
    },
    {
        "kind": "scale_7",
        "measure": "effort",
        "text": {
            "en": "How easy was it to get what you needed? (1 very easy, 7 very hard)",
            "zh-hans": "您办成所需的事有多容易？（1 非常容易，7 非常困难）",
            "zh-hant": "您辦成所需的事有多容易？（1 非常容易，7 非常困難）",
            "sk": "Ako ľahko ste vybavili, čo ste potrebovali? (1 veľmi ľahko, 7 veľmi ťažko)",
        },
    },
    {
        "kind": "text",
        "attribute": "delivery",
        "required": False,
        "text": {
            "en": "What could we do better?",
            "zh-hans": "我们还能在哪些方面做得更好？",
            "zh-hant": "我們還能在哪些方面做得更好？",
            "sk": "Čo by sme mohli robiť lepšie?",
        },
    },
]

COMMENTS = {
    "en": ["Please call before delivering.", "The box was dented.", "Friendly driver."],
    "zh-hans": ["送货前请先打电话。", "包装盒被压坏了。", "司机很友好。"],
    "zh-hant": ["送貨前請先打電話。", "包裝盒被壓壞了。", "司機很友善。"],
    "sk": ["Prosím, zavolajte pred doručením.", "Krabica bola pokrčená.", "Milý vodič."],
}
# Mean experience minus expectation per attribute, for realistic gaps.
BIAS = {"quality": 0.2, "delivery": -1.2, "staff": 0.8}


def demo_step(context: Any) -> dict[str, int]:
    from rapport.customers.models import MarketingConsent
    from rapport.surveys import services
    from rapport.surveys.choices import InvitationState, Trigger

    rng = random.Random(context.seed + 13)
    survey = services.survey_create(
        by=context.by,
        trigger=Trigger.ORDER_DELIVERED,
        questions=[dict(q) for q in QUESTIONS],
        **DELIVERY_SURVEY,
    )
    consenting = list(
        MarketingConsent.objects.filter(
            customer_id__in=context.customer_ids, channel="email", granted=True
        )
        .order_by("customer_id")
        .values_list("customer_id", flat=True)[:60]
    )
    questions = list(survey.questions.all())
    answered = 0
    for customer_id in consenting:
        invitation = services.invite(by=context.by, survey=survey, customer_id=customer_id)
        if invitation.state != InvitationState.SENT or rng.random() < 0.25:
            continue
        answers: dict[int, dict[str, Any]] = {}
        mood = rng.gauss(0, 0.8)
        for q in questions:
            if q.kind == "paired":
                expectation = rng.randint(4, 7)
                experience = round(expectation + BIAS.get(q.attribute, 0) + mood + rng.gauss(0, 1))
                answers[q.pk] = {
                    "expectation": expectation,
                    "experience": min(7, max(1, experience)),
                }
            elif q.kind == "scale_5":
                answers[q.pk] = {"value": min(5, max(1, round(3.8 + mood + rng.gauss(0, 0.7))))}
            elif q.kind == "nps":
                answers[q.pk] = {
                    "value": min(10, max(0, round(7.5 + 2 * mood + rng.gauss(0, 1.5))))
                }
            elif q.kind == "scale_7":
                answers[q.pk] = {"value": min(7, max(1, round(3 - mood + rng.gauss(0, 1))))}
            elif q.kind == "text" and rng.random() < 0.4:
                answers[q.pk] = {
                    "text": rng.choice(COMMENTS.get(invitation.language, COMMENTS["en"]))
                }
        services.response_submit(
            invitation_id=invitation.pk,
            answers=answers,
            language=invitation.language,
            by=context.by,
        )
        answered += 1
    # The complaints' demo answered satisfaction checks before this step: copy them in, as the
    # migration does for a database that had them.
    from django.apps import apps

    from rapport.surveys.checks import copy_complaint_checks

    checks = copy_complaint_checks(apps)
    if checks:  # written with the historical models' bulk writes: count them in
        from rapport.surveys.summary import summary_rebuild

        summary_rebuild()
    return {
        "survey_invitations": len(consenting),
        "survey_responses": answered,
        "complaint_checks": checks,
    }
