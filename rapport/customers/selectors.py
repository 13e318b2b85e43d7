"""Reads of the customer file that are more than a filter."""

from collections import defaultdict
from datetime import date
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Prefetch, QuerySet

from rapport.core.pagination import Page, keyset_page
from rapport.customers.models import (
    CUSTOMER_NUMBER_PREFIX,
    Customer,
    Organisation,
    OrganisationContact,
    Tag,
)

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


_LIST_COLUMNS = (
    "id",
    "display_name",
    "family_name",
    "given_name",
    "gender",
    "birthday",
    "primary_phone",
    "primary_email",
    "preferred_language",
    "customer_since",
    "source",
    "version",
)


def _date(value: date | str | None) -> date | None:
    """A DateField read by a plain cursor: a date on PostgreSQL, ISO text on SQLite."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _age(birthday: date | None, today: date) -> int | None:
    """Customer.age, for a row that is not a model instance."""
    if birthday is None:
        return None
    return (
        today.year - birthday.year - int((today.month, today.day) < (birthday.month, birthday.day))
    )


@cache
def _list_rows_sql() -> tuple[str, str]:
    """The two statements of customer_list_rows, with `{ids}` for the placeholders."""
    qn = connection.ops.quote_name
    meta, links, tag = Customer._meta, Customer.tags.through._meta, Tag._meta
    columns = ", ".join(qn(meta.get_field(name).column) for name in _LIST_COLUMNS)
    link_customer = qn(links.get_field("customer").column)
    link_tag = qn(links.get_field("tag").column)
    return (
        f"SELECT {columns} FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} IN ({{ids}})",  # noqa: S608
        f"SELECT l.{link_customer}, t.{qn('name')} FROM {qn(links.db_table)} l "  # noqa: S608
        f"INNER JOIN {qn(tag.db_table)} t ON t.{qn(tag.pk.column)} = l.{link_tag} "
        f"WHERE l.{link_customer} IN ({{ids}}) ORDER BY t.{qn('name')}",
    )


def customer_list_rows(ids: list[int]) -> list[dict[str, Any]]:
    """The customers `ids`, in that order, as plain dicts shaped like the API's CustomerListItem.

    Two fixed statements (the rows, then their tags by name) and no model instances: the search
    API returns these as they are. Building the same with the ORM and serialising 20 `Customer`
    objects through the schema cost several times the search itself (see bench/RESULTS.md); the
    API tests check that both give the same JSON.
    """
    if not ids:
        return []
    rows_sql, tags_sql = _list_rows_sql()
    placeholders = ", ".join(["%s"] * len(ids))
    tags: dict[int, list[str]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(rows_sql.format(ids=placeholders), ids)
        found = {r[0]: r for r in cursor.fetchall()}
        cursor.execute(tags_sql.format(ids=placeholders), ids)
        for customer_id, name in cursor.fetchall():
            tags[customer_id].append(name)
    today = date.today()
    out = []
    for pk in ids:
        if (r := found.get(pk)) is None:
            continue
        (
            _,
            display,
            family,
            given,
            gender,
            birthday,
            phone,
            email,
            language,
            since,
            source,
            version,
        ) = r
        out.append(
            {
                "id": pk,
                "number": f"{CUSTOMER_NUMBER_PREFIX}{pk:07d}",
                "display_name": display,
                "family_name": family,
                "given_name": given,
                "gender": gender,
                "age": _age(_date(birthday), today),
                "primary_phone": phone,
                "primary_email": email,
                "preferred_language": language,
                "customer_since": _date(since),
                "source": source,
                "tags": tags.get(pk, []),
                "version": version,
            }
        )
    return out


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
