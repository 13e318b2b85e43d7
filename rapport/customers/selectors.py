"""Reads of the customer file that are more than a filter."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from rapport.core.pagination import Page, keyset_page
from rapport.core.params import date_param, id_param
from rapport.core.registry import customer_filters
from rapport.core.timeline import TimelineEntry
from rapport.customers.models import (
    CUSTOMER_NUMBER_PREFIX,
    Customer,
    CustomerEvent,
    MarketingConsent,
    Organisation,
    OrganisationContact,
    Tag,
)

# "newest" follows "customer since", the date the list shows; "added" is the order of entry.
SORTS = {
    "newest": ["-customer_since", "-id"],
    "added": ["-id"],
    "name": ["sort_name", "id"],
}


def customer_queryset(*, filters: dict[str, Any] | None = None) -> QuerySet[Customer]:
    """Customers matching list filters: the customer file's own (tag, source, gender, language,
    income band, organisation, customer since) and those other apps registered (the caller drops
    those the user may not use: rapport.core.registry.customer_filters(user))."""
    filters = filters or {}
    qs = Customer.objects.all()
    if tag := filters.get("tag"):
        qs = qs.filter(tags__name=tag)
    for name in ("source", "gender", "preferred_language", "income_band"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if org := filters.get("organisation"):
        org = id_param(org, "organisation")
        qs = qs.filter(organisation_roles__organisation_id=org)
    if since := filters.get("customer_since_from"):
        qs = qs.filter(customer_since__gte=date_param(since, "customer_since_from"))
    if until := filters.get("customer_since_to"):
        qs = qs.filter(customer_since__lte=date_param(until, "customer_since_to"))
    for registered in customer_filters():
        if value := filters.get(registered.name):
            qs = registered.apply(qs, str(value))
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
    qs = customer_queryset(filters=filters).prefetch_related("tags", "consents")
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
    from rapport.core.calendar import year_known

    if not year_known(birthday):
        return None
    return (
        today.year - birthday.year - int((today.month, today.day) < (birthday.month, birthday.day))
    )


@cache
def _list_rows_sql() -> str:
    """customer_list_rows' statement, `{ids}` standing for a list of ids or a subquery of them."""
    qn = connection.ops.quote_name
    meta, links, tag = Customer._meta, Customer.tags.through._meta, Tag._meta
    columns = ", ".join(f"c.{qn(meta.get_field(name).column)}" for name in _LIST_COLUMNS)
    pk = f"c.{qn(meta.pk.column)}"
    link_customer, link_tag = (qn(links.get_field(f).column) for f in ("customer", "tag"))
    return (
        f"SELECT {columns}, t.{qn('name')} FROM {qn(meta.db_table)} c "  # noqa: S608
        f"LEFT JOIN {qn(links.db_table)} l ON l.{link_customer} = {pk} "
        f"LEFT JOIN {qn(tag.db_table)} t ON t.{qn(tag.pk.column)} = l.{link_tag} "
        f"WHERE {pk} IN ({{ids}}) ORDER BY {pk} DESC, t.{qn('name')}"
    )


def customer_list_rows(ids: list[int] | QuerySet) -> list[dict[str, Any]]:
    """Customers as plain dicts shaped like the API's CustomerListItem, tags by name.

    `ids` is a list (the rows come in its order) or a query of ids such as the search's (newest
    first). One statement with the tags joined, no model instances: the search API returns these as
    they are, in one round trip after authentication. Building the same with the ORM and passing 20
    `Customer` objects through the schema cost several times the search itself (bench/RESULTS.md);
    the API tests check that both give the same JSON.
    """
    if isinstance(ids, list):
        if not ids:
            return []
        subquery, params = ", ".join(["%s"] * len(ids)), list(ids)
    else:
        subquery, params = ids.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_list_rows_sql().format(ids=subquery), params)
        fetched = cursor.fetchall()
    today = timezone.localdate()
    found: dict[int, dict[str, Any]] = {}
    for r in fetched:
        if (row := found.get(r[0])) is None:
            pk, display, family, given, gender, birthday, phone, email, language, since, source = r[
                :11
            ]
            row = found[pk] = {
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
                "tags": [],
                "consents": {},
                "version": r[11],
            }
        if r[12] is not None:
            row["tags"].append(r[12])
    for pk, channel, granted in MarketingConsent.objects.filter(
        customer_id__in=list(found)
    ).values_list("customer_id", "channel", "granted"):
        found[pk]["consents"][channel] = granted
    if isinstance(ids, list):
        return [found[pk] for pk in ids if pk in found]
    return list(found.values())


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


def event_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    """The customer's events (merges, consents) as sentences, newest first."""
    rows = CustomerEvent.objects.filter(customer_id=customer_id).order_by("-time", "-id")[:limit]
    return [
        TimelineEntry(time=e.time, kind="event", title=e.sentence(), actor=e.user_name, details={})
        for e in rows
    ]


@dataclass(frozen=True)
class ContactVerdict:
    """Whether a customer may be contacted on a channel for a purpose, where, and if not, why."""

    allowed: bool
    address: str = ""
    reason: str = ""


def contact_permission(customer: Customer, *, channel: str, purpose: str) -> ContactVerdict:
    """The one rule for contacting a customer (rapport.communications.services.message_send
    applies it to every message); see contact_permissions."""
    return contact_permissions([customer], channel=channel, purpose=purpose)[customer.pk]


def contact_permissions(
    customers: Sequence[Customer], *, channel: str, purpose: str
) -> dict[int, ContactVerdict]:
    """The one rule for contacting customers, for many at once (a campaign sends in chunks), by
    customer id — one query per kind of fact, not one per customer:

    - a service message (about their own order, complaint, survey link they asked for, a safety
      notice) needs only an address on the channel;
    - a survey or marketing message also needs the customer's consent on that channel, given and
      not withdrawn since (MarketingConsent).
    """
    from django.utils.translation import gettext as _

    from rapport.customers.choices import Channel
    from rapport.customers.models import CustomerAddress, MarketingConsent

    ids = [c.pk for c in customers]
    if channel == Channel.EMAIL:
        addresses = {c.pk: c.primary_email for c in customers}
    elif channel in (Channel.SMS, Channel.PHONE, Channel.WECHAT):
        addresses = {c.pk: c.primary_phone for c in customers}
    elif channel == Channel.POST:
        addresses = {}
        for found in CustomerAddress.objects.filter(customer_id__in=ids).order_by("-pk"):
            addresses[found.customer_id] = str(found)  # the first address (lowest id) wins
    else:
        addresses = {}
    consents: dict[int, bool] = {}
    if purpose != "service":
        consents = dict(
            MarketingConsent.objects.filter(
                customer_id__in=[pk for pk in ids if addresses.get(pk)], channel=channel
            ).values_list("customer_id", "granted")
        )
    verdicts = {}
    for pk in ids:
        address = addresses.get(pk, "")
        if not address:
            verdict = ContactVerdict(
                False, reason=_("The customer has no address for this channel.")
            )
        elif purpose == "service" or consents.get(pk):
            verdict = ContactVerdict(True, address=address)
        elif pk not in consents:
            verdict = ContactVerdict(
                False, address=address, reason=_("The customer has not consented to this channel.")
            )
        else:
            verdict = ContactVerdict(
                False, address=address, reason=_("The customer withdrew consent for this channel.")
            )
        verdicts[pk] = verdict
    return verdicts
