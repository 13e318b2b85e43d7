"""The list a provider or a print shop sends for a campaign's SMS or letters: every message
handed over (`/imports/export/campaign_messages.csv?campaign=ID&channel=sms`)."""

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from rapport.customers.numbers import customer_number
from rapport.imports.exports import chunks

COLUMNS = (
    "customer",
    "name",
    "channel",
    "to",
    "language",
    "subject",
    "text",
    "campaign",
    "occurrence",
)


def queryset(filters: dict[str, Any]) -> QuerySet:
    from rapport.outreach.models import CampaignDelivery

    qs = CampaignDelivery.objects.filter(message__isnull=False, message__state="exported")
    if str(filters.get("campaign", "")).isdigit():
        qs = qs.filter(campaign_id=int(filters["campaign"]))
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    return qs


def rows(qs: QuerySet) -> Iterator[list]:
    fields = (
        "pk",
        "customer_id",
        "customer__display_name",
        "channel",
        "message__to_address",
        "message__language",
        "message__subject",
        "message__body",
        "campaign__name",
        "occurrence",
    )
    for chunk in chunks(qs, fields):
        for r in chunk:
            yield [
                customer_number(r["customer_id"]),
                r["customer__display_name"],
                r["channel"],
                r["message__to_address"],
                r["message__language"],
                r["message__subject"],
                r["message__body"],
                r["campaign__name"],
                r["occurrence"],
            ]
