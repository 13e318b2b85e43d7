"""Reads of the customer file that are more than a filter."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from rapport.core.pagination import Page, keyset_page
from rapport.customers.models import Customer, Organisation, OrganisationContact

SORTS = {"newest": ["-id"], "name": ["sort_name", "id"]}


def customer_queryset(*, filters: dict[str, Any] | None = None) -> QuerySet[Customer]:
    """Customers matching list filters (tag, source, gender, language, organisation, since)."""
    filters = filters or {}
    qs = Customer.objects.all()
    if tag := filters.get("tag"):
        qs = qs.filter(tags__name=tag)
    for name in ("source", "gender", "preferred_language", "income_band"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if org := filters.get("organisation"):
        qs = qs.filter(organisation_roles__organisation_id=org)
    if since := filters.get("customer_since_from"):
        qs = qs.filter(customer_since__gte=since)
    if until := filters.get("customer_since_to"):
        qs = qs.filter(customer_since__lte=until)
    if segment := filters.get("segment"):
        from rapport.analytics.selectors import filter_customers_by_segment

        qs = filter_customers_by_segment(qs, segment)
    if ids := filters.get("ids"):
        qs = qs.filter(pk__in=ids)
    return qs


def customer_list(
    *,
    filters: dict[str, Any] | None = None,
    sort: str = "newest",
    cursor: str | None = None,
    size: int = 50,
) -> Page:
    qs = customer_queryset(filters=filters).prefetch_related("tags")
    return keyset_page(qs, ordering=SORTS.get(sort, SORTS["newest"]), cursor=cursor, size=size)


def customer_detail(*, customer_id: int) -> Customer:
    """A customer with everything their page shows, in a fixed number of queries."""
    return (
        Customer.objects.select_related("referred_by", "created_by")
        .prefetch_related(
            "phones",
            "emails",
            "addresses",
            "consents",
            "tags",
            Prefetch(
                "organisation_roles",
                queryset=OrganisationContact.objects.select_related("organisation"),
            ),
        )
        .get(pk=customer_id)
    )


def organisation_detail(*, organisation_id: int) -> Organisation:
    return Organisation.objects.prefetch_related(
        "tags",
        Prefetch(
            "contacts",
            queryset=OrganisationContact.objects.select_related("person").order_by(
                "-is_primary", "id"
            ),
        ),
    ).get(pk=organisation_id)


def organisation_list(*, query: str = "", cursor: str | None = None, size: int = 50) -> Page:
    from rapport.core.names import fold

    qs = Organisation.objects.all()
    if query:
        qs = qs.filter(sort_name__startswith=fold(query))
    return keyset_page(qs, ordering=["sort_name", "id"], cursor=cursor, size=size)
