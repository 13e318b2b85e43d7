"""What the customer file's exports hold: customers and organisations, a chunk at a time, with
the columns of rapport.customers.importing.columns (so an export imports again as it is)."""

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from rapport.customers.choices import Channel
from rapport.customers.importing.columns import CUSTOMER_COLUMNS, ORGANISATION_COLUMNS
from rapport.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    MarketingConsent,
    Organisation,
)
from rapport.customers.numbers import customer_number
from rapport.imports.exports import chunks, grouped, yes_no
from rapport.imports.mapping import export_columns

CUSTOMER_EXPORT = export_columns(CUSTOMER_COLUMNS)
ORGANISATION_EXPORT = export_columns(ORGANISATION_COLUMNS)
_CUSTOMER_VALUES = (
    "pk",
    "external_id",
    "family_name",
    "given_name",
    "gender",
    "birthday",
    "celebrates_lunar_birthday",
    "occupation",
    "income_band",
    "preferred_language",
    "preferred_channel",
    "customer_since",
    "source",
    "referred_by_id",
    "hobbies",
    "personality",
    "family_situation",
    "notes",
)


def customer_queryset(filters: dict[str, Any]) -> QuerySet:
    """What the customer list shows for these GET parameters (its search box included)."""
    from rapport.customers.search import search_customer_ids
    from rapport.customers.selectors import customer_queryset as listed

    filters = dict(filters)
    if query := filters.pop("q", ""):
        filters["ids"] = search_customer_ids(query, limit=10_000) or [0]
    return listed(filters=filters)


def organisation_queryset(filters: dict[str, Any]) -> QuerySet:
    from rapport.core.names import fold

    qs = Organisation.objects.all()
    return qs.filter(sort_name__startswith=fold(filters["q"])) if filters.get("q") else qs


def customer_rows(qs: QuerySet) -> Iterator[list]:
    for chunk in chunks(qs, _CUSTOMER_VALUES):
        ids = [c["pk"] for c in chunk]
        phones = grouped(
            (cid, (number, kind))
            for cid, number, kind in CustomerPhone.objects.filter(customer_id__in=ids)
            .order_by("customer_id", "-is_primary", "pk")
            .values_list("customer_id", "number", "kind")
        )
        emails = grouped(
            CustomerEmail.objects.filter(customer_id__in=ids)
            .order_by("customer_id", "-is_primary", "pk")
            .values_list("customer_id", "address")
        )
        tags = grouped(
            Customer.tags.through.objects.filter(customer_id__in=ids)
            .order_by("customer_id", "tag__name")
            .values_list("customer_id", "tag__name")
        )
        consents: dict[int, dict[str, str]] = {}
        for cid, channel, granted in MarketingConsent.objects.filter(
            customer_id__in=ids
        ).values_list("customer_id", "channel", "granted"):
            consents.setdefault(cid, {})[channel] = "granted" if granted else "withdrawn"
        addresses: dict[int, tuple] = {}
        for row in (
            CustomerAddress.objects.filter(customer_id__in=ids)
            .order_by("customer_id", "pk")
            .values_list("customer_id", "line1", "city", "region", "postal_code", "country")
        ):
            addresses.setdefault(row[0], row[1:])
        for c in chunk:
            pk = c["pk"]
            numbers = phones.get(pk, [])
            by_kind = {
                k: "; ".join(n for n, kind in numbers if kind == k) for k in ("home", "work")
            }
            mobile = "; ".join(n for n, kind in numbers if kind not in ("home", "work"))
            address = addresses.get(pk, ("", "", "", "", ""))
            yield [
                customer_number(pk),
                c["external_id"] or "",
                c["family_name"],
                c["given_name"],
                c["gender"],
                c["birthday"],
                yes_no(c["celebrates_lunar_birthday"]),
                mobile,
                by_kind["home"],
                by_kind["work"],
                "; ".join(emails.get(pk, [])),
                ", ".join(tags.get(pk, [])),
                *address,
                c["occupation"],
                c["income_band"],
                c["preferred_language"],
                c["preferred_channel"],
                c["customer_since"],
                c["source"],
                customer_number(c["referred_by_id"]) if c["referred_by_id"] else "",
                c["hobbies"],
                c["personality"],
                c["family_situation"],
                c["notes"],
                *(consents.get(pk, {}).get(channel, "") for channel in Channel.values),
            ]


def organisation_rows(qs: QuerySet) -> Iterator[list]:
    fields = ("pk", *(c for c in ORGANISATION_EXPORT if c != "tags"))
    for chunk in chunks(qs, fields):
        tags = grouped(
            Organisation.tags.through.objects.filter(organisation_id__in=[o["pk"] for o in chunk])
            .order_by("organisation_id", "tag__name")
            .values_list("organisation_id", "tag__name")
        )
        for o in chunk:
            o["external_id"] = o["external_id"] or ""
            o["tags"] = ", ".join(tags.get(o["pk"], []))
            yield [o[c] for c in ORGANISATION_EXPORT]
