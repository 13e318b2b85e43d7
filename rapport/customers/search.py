"""One search box: customer number, email, phone in any format, or any part of the name.

Every path is an index lookup: phones are stored as E.164, emails lower-cased, and names as
terms (CJK characters and pairs, word prefixes) — see rapport.core.names.
"""

from django.db.models import Exists, OuterRef, QuerySet

from rapport.core.names import query_terms
from rapport.core.phones import looks_like_phone, try_normalize_phone
from rapport.customers.models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchTerm,
)
from rapport.customers.numbers import parse_customer_number


def search_ids_query(query: str, *, limit: int = 20, region: str | None = None) -> QuerySet | None:
    """The ids of matching customers as a query, newest first, at most `limit`; None if nothing
    can match. A query, so that the caller can read the customers in the same statement."""
    text = (query or "").strip()
    if not text:
        return None
    if (number := parse_customer_number(text)) is not None:
        return Customer.objects.filter(pk=number).values_list("pk", flat=True)
    if "@" in text:
        return (
            CustomerEmail.objects.filter(address=text.lower())
            .order_by("-customer_id")
            .values_list("customer_id", flat=True)
            .distinct()[:limit]
        )
    if looks_like_phone(text):
        e164 = try_normalize_phone(text, region)
        if e164 is None:
            return None
        return (
            CustomerPhone.objects.filter(number=e164)
            .order_by("-customer_id")
            .values_list("customer_id", flat=True)
            .distinct()[:limit]
        )
    lookups, checks = query_terms(text)
    if not lookups:
        return None
    first, *rest = lookups
    qs = CustomerSearchTerm.objects.filter(term=first)
    for term in rest:
        qs = qs.filter(
            Exists(
                CustomerSearchTerm.objects.filter(customer_id=OuterRef("customer_id"), term=term)
            )
        )
    for fragment in checks:
        qs = qs.filter(
            Exists(
                Customer.objects.filter(pk=OuterRef("customer_id"), sort_name__contains=fragment)
            )
        )
    return qs.order_by("-customer_id").values_list("customer_id", flat=True)[:limit]


def search_customer_ids(query: str, *, limit: int = 20, region: str | None = None) -> list[int]:
    """Ids of matching customers, newest first, at most `limit`."""
    qs = search_ids_query(query, limit=limit, region=region)
    return [] if qs is None else list(qs)


def search_customers(query: str, *, limit: int = 20, region: str | None = None) -> list[Customer]:
    ids = search_customer_ids(query, limit=limit, region=region)
    found = Customer.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found]
