"""The customer aggregate's writer: rows in, ids out.

Every customer in the database was written here — by the page and the API (through
`services.customer_create`, one row), the importer, the demo generator and the benchmark loader
(thousands of rows at a time). So the derived columns (display and sort name, search terms, primary
phone and email), the defaults (customer since today) and the history row (every field the record
was created with, and where it came from) are computed in one place.

Values must be clean already (`rapport.customers.validation`); the writer does not check them.
Rows go in with multi-row INSERT or COPY (rapport.core.bulk): a million customers bring ten million
search terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from rapport.core.actors import Actor, actor_user
from rapport.core.bulk import (
    FieldUpdates,
    History,
    delete_where_in,
    insert_rows,
    lock_for_update,
    update_rows,
)
from rapport.core.names import display_name, fold, search_terms
from rapport.core.services import ORIGIN, diff, snapshot
from rapport.customers.models import (
    CUSTOMER_NUMBER_PREFIX,
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchTerm,
    MarketingConsent,
    Organisation,
    OrganisationContact,
    Tag,
)
from rapport.customers.validation import CUSTOMER_FIELDS

ADDRESS_PARTS = ("kind", "line1", "line2", "city", "region", "postal_code", "country")


@dataclass(frozen=True, slots=True)
class Names:
    """What a name is shown, sorted and found by (see rapport.core.names)."""

    display_name: str
    sort_name: str
    terms: frozenset[str]


def customer_names(family_name: str, given_name: str) -> Names:
    """The one rule for a customer's derived name columns (the importer runs it in its worker
    processes, so it may come precomputed with a row)."""
    shown = display_name(family_name, given_name)
    return Names(shown, fold(shown)[:201], frozenset(search_terms(family_name, given_name)))


def address_text(parts: dict[str, str]) -> str:
    """An address as the history and the page show it."""
    return str(CustomerAddress(**{k: parts.get(k, "") for k in ADDRESS_PARTS}))


def customer_number(pk: int) -> str:
    return f"{CUSTOMER_NUMBER_PREFIX}{pk:07d}"


@dataclass(slots=True)
class NewCustomer:
    """One customer to create. `fields` are clean profile fields (CUSTOMER_FIELDS); phones are
    (E.164, kind) and emails lower-cased, the first of each is the primary one."""

    fields: dict[str, Any]
    phones: Sequence[tuple[str, str]] = ()
    emails: Sequence[str] = ()
    addresses: Sequence[dict[str, str]] = ()
    tags: Sequence[str] = ()
    created_at: datetime | None = None  # backdated creation (demo, benchmark); default now
    referrer_row: int | None = None  # the referrer is the row at this index of the same call
    names: Names | None = None  # precomputed with customer_names(), or computed here
    pk: int | None = None  # an id chosen by the caller (the benchmark loader)


def tags_ensure(
    names: Iterable[str],
    known: dict[str, int] | None = None,
    *,
    colours: dict[str, str] | None = None,
) -> dict[str, int]:
    """{name: id} for the tags, creating those that do not exist yet (in `colours`' colour, or
    grey); `known` is a cache the caller keeps between calls."""
    known = {} if known is None else known
    missing = {n for n in names if n} - known.keys()
    if missing:
        known.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
        if new := missing - known.keys():
            Tag.objects.bulk_create(
                [Tag(name=n, color=(colours or {}).get(n, "#6c757d")) for n in sorted(new)],
                ignore_conflicts=True,
            )
            known.update(Tag.objects.filter(name__in=new).values_list("name", "pk"))
    return known


_CUSTOMER_COLUMNS = (
    *(f for f in CUSTOMER_FIELDS),
    "display_name",
    "sort_name",
    "primary_phone",
    "primary_email",
    "created_by_id",
    "created_at",
    "updated_at",
    "version",
)
_ADDRESS_COLUMNS = ("customer_id", *ADDRESS_PARTS)
_DEFAULTS: dict[str, Any] = {
    "external_id": None,
    "birthday": None,
    "celebrates_lunar_birthday": False,
    "referred_by_id": None,
    "customer_since": None,
}


def creation_snapshot(row: NewCustomer, profile: dict[str, Any]) -> dict[str, Any]:
    """The record as `services.customer_snapshot` sees it, from the values being written."""
    data = snapshot_values(profile)
    data["phones"] = sorted(number for number, _kind in row.phones)
    data["emails"] = sorted(row.emails)
    data["addresses"] = sorted(address_text(a) for a in row.addresses)
    data["tags"] = sorted(set(row.tags))
    return data


def snapshot_values(profile: dict[str, Any]) -> dict[str, Any]:
    from types import SimpleNamespace

    return snapshot(SimpleNamespace(**profile), fields=CUSTOMER_FIELDS)  # type: ignore[arg-type]


def customers_insert(
    rows: Sequence[NewCustomer],
    *,
    by: Actor,
    note: str = "",
    tag_ids: dict[str, int] | None = None,
    history_times: bool = False,
) -> list[int]:
    """Create the customers with their phones, emails, addresses, tags and search terms, and one
    history row each with every field they were created with (and `note`: where they came from,
    e.g. "import customers.csv"). Returns their ids, in order. Runs inside the caller's
    transaction. `history_times`: date each history row with its customer's `created_at`."""
    if not rows:
        return []
    now = timezone.now()
    user = actor_user(by)
    user_id = user.pk if user is not None else None
    tag_ids = tags_ensure({t for r in rows for t in r.tags}, tag_ids)
    profiles, values = [], []
    for row in rows:
        profile = {**_DEFAULTS, **{n: "" for n in CUSTOMER_FIELDS if n not in _DEFAULTS}}
        profile.update(row.fields)
        created = row.created_at or now
        if profile["customer_since"] is None:
            profile["customer_since"] = timezone.localdate(created)
        names = row.names or customer_names(profile["family_name"], profile["given_name"])
        row.names = names
        profiles.append(profile)
        values.append(
            (
                *(profile[f] for f in CUSTOMER_FIELDS),
                names.display_name,
                names.sort_name,
                row.phones[0][0] if row.phones else "",
                row.emails[0] if row.emails else "",
                user_id,
                created,
                created,
                1,
            )
        )
    explicit = [r.pk for r in rows]
    if all(pk is not None for pk in explicit):
        insert_rows(
            Customer,
            ("id", *_CUSTOMER_COLUMNS),
            [(pk, *v) for pk, v in zip(explicit, values, strict=True)],
        )
        ids = [int(pk) for pk in explicit]  # type: ignore[arg-type]
    else:
        ids = insert_rows(Customer, _CUSTOMER_COLUMNS, values, returning=True)
    referrals = [
        (ids[r.referrer_row], pk)
        for pk, r in zip(ids, rows, strict=True)
        if r.referrer_row is not None
    ]
    if referrals:  # referrers among the rows themselves: their ids exist only now
        update_rows(Customer, ("referred_by_id",), referrals)
        position = {pk: i for i, pk in enumerate(ids)}
        for pk_referrer, pk in referrals:
            profiles[position[pk]]["referred_by_id"] = pk_referrer
    phones: list[tuple] = []
    emails: list[tuple] = []
    terms: list[tuple[str, int]] = []
    tags: list[tuple[int, int]] = []
    addresses: list[tuple] = []
    history = History(Customer, by)
    for pk, row, profile in zip(ids, rows, profiles, strict=True):
        for i, (number, kind) in enumerate(row.phones):
            phones.append((pk, number, str(kind), i == 0))
        for i, address in enumerate(row.emails):
            emails.append((pk, address, i == 0))
        for a in row.addresses:
            addresses.append((pk, *(str(a.get(k, "")) for k in ADDRESS_PARTS)))
        tags.extend((pk, tag_ids[t]) for t in dict.fromkeys(row.tags) if t)
        assert row.names is not None
        terms.extend((term, pk) for term in row.names.terms)
        changes = {
            k: [None, v]
            for k, v in creation_snapshot(row, profile).items()
            if v not in (None, "", [], False)
        }
        if note:
            changes[ORIGIN] = [None, note]
        history.add_create(
            pk,
            row.names.display_name or customer_number(pk),
            pk,
            changes,
            time=(row.created_at or now) if history_times else None,
        )
    insert_rows(CustomerPhone, ("customer_id", "number", "kind", "is_primary"), phones)
    insert_rows(CustomerEmail, ("customer_id", "address", "is_primary"), emails)
    insert_rows(CustomerAddress, _ADDRESS_COLUMNS, addresses)
    insert_rows(Customer.tags.through, ("customer_id", "tag_id"), tags)
    insert_rows(CustomerSearchTerm, ("term", "customer_id"), terms)
    history.flush()
    return ids


@dataclass(slots=True)
class CustomerAdditions:
    """What an import adds to an existing customer: the file's non-empty fields, and phones,
    emails, tags and an address the customer does not have yet (nothing is removed)."""

    customer_id: int
    fields: dict[str, Any]
    phones: Sequence[tuple[str, str]] = ()
    emails: Sequence[str] = ()
    tags: Sequence[str] = ()
    address: dict[str, str] | None = None
    more_addresses: Sequence[dict[str, str]] = ()  # a contact file's further addresses


# Read for every matched customer: names (display name, search terms), primaries, the version.
_KEPT = (
    "family_name",
    "given_name",
    "display_name",
    "sort_name",
    "primary_phone",
    "primary_email",
    "version",
)


def customers_add_to(
    updates: Sequence[CustomerAdditions],
    *,
    by: Actor,
    tag_ids: dict[str, int] | None = None,
    lock: bool = True,
) -> int:
    """Apply imported values to existing customers; returns how many changed. Read as values,
    not model instances: a re-imported file mostly changes nothing, and finding that out must be
    cheap. The history has `services.customer_snapshot`'s shape: {field: [before, after]}."""
    from types import SimpleNamespace

    if not updates:
        return 0
    tag_ids = tags_ensure({t for u in updates for t in u.tags}, tag_ids)
    ids = [u.customer_id for u in updates]
    fields = sorted({n for u in updates for n in u.fields} | set(_KEPT))
    rows = (lock_for_update(Customer, ids) if lock else Customer.objects.filter(pk__in=ids)).values(
        "pk", *fields
    )
    current = {row["pk"]: SimpleNamespace(**row) for row in rows}
    held = _contacts(ids)
    now = timezone.now()
    history = History(Customer, by)
    groups: dict[tuple[str, ...], list[tuple]] = {}
    phones: list[tuple] = []
    emails: list[tuple] = []
    tags: list[tuple[int, int]] = []
    addresses: list[tuple] = []
    renamed: list[int] = []
    terms: list[tuple[str, int]] = []
    changed = 0
    for u in updates:
        c, (had_phones, had_emails, had_tags, had_addresses) = (
            current[u.customer_id],
            held[u.customer_id],
        )
        before = snapshot(c, fields=list(u.fields))  # type: ignore[arg-type]
        for name, value in u.fields.items():
            setattr(c, name, value)
        changes = diff(before, snapshot(c, fields=list(u.fields)))  # type: ignore[arg-type]
        changed_columns = [n for n in u.fields if n in changes]
        if {"family_name", "given_name"} & changes.keys():
            names = customer_names(c.family_name, c.given_name)
            c.display_name, c.sort_name = names.display_name, names.sort_name
            changed_columns += ["display_name", "sort_name"]
            renamed.append(c.pk)
            terms.extend((t, c.pk) for t in names.terms)
        new_phones = [(n, k) for n, k in u.phones if n not in had_phones]
        new_emails = [a for a in u.emails if a not in had_emails]
        new_tags = [t for t in dict.fromkeys(u.tags) if t and t not in had_tags]
        new_addresses: list[dict[str, str]] = []
        for a in [u.address, *u.more_addresses] if u.address else []:
            if address_text(a) not in had_addresses + [address_text(b) for b in new_addresses]:
                new_addresses.append(a)
        for key, had, new in (
            ("phones", had_phones, [n for n, _k in new_phones]),
            ("emails", had_emails, new_emails),
            ("tags", had_tags, new_tags),
            ("addresses", had_addresses, [address_text(a) for a in new_addresses]),
        ):
            if new:
                changes[key] = [sorted(had), sorted(had + new)]
        if not changes:
            continue
        first_phone = not c.primary_phone and bool(new_phones)
        first_email = not c.primary_email and bool(new_emails)
        if first_phone:
            c.primary_phone = new_phones[0][0]
            changed_columns.append("primary_phone")
        if first_email:
            c.primary_email = new_emails[0]
            changed_columns.append("primary_email")
        changed += 1
        c.version += 1
        group = tuple(changed_columns)
        groups.setdefault(group, []).append((*(getattr(c, n) for n in group), c.version, now, c.pk))
        phones.extend(
            (c.pk, n, str(k), first_phone and i == 0) for i, (n, k) in enumerate(new_phones)
        )
        emails.extend((c.pk, a, first_email and i == 0) for i, a in enumerate(new_emails))
        tags.extend((c.pk, tag_ids[t]) for t in new_tags)
        for address in new_addresses:
            addresses.append((c.pk, *(str(address.get(k, "")) for k in ADDRESS_PARTS)))
        history.updated(c.pk, c.display_name or customer_number(c.pk), c.pk, changes)
    for columns, values in groups.items():
        update_rows(Customer, (*columns, "version", "updated_at"), values)
    delete_where_in(CustomerSearchTerm, "customer_id", renamed)
    insert_rows(CustomerSearchTerm, ("term", "customer_id"), terms)
    insert_rows(CustomerPhone, ("customer_id", "number", "kind", "is_primary"), phones)
    insert_rows(CustomerEmail, ("customer_id", "address", "is_primary"), emails)
    insert_rows(Customer.tags.through, ("customer_id", "tag_id"), tags)
    insert_rows(CustomerAddress, _ADDRESS_COLUMNS, addresses)
    history.flush()
    return changed


def _contacts(ids: list[int]) -> dict[int, tuple[list[str], list[str], list[str], list[str]]]:
    """The customers' phones, emails, tag names and addresses (as the history shows them)."""
    held: dict[int, tuple[list[str], list[str], list[str], list[str]]] = {
        pk: ([], [], [], []) for pk in ids
    }
    for pk, number in CustomerPhone.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "number"
    ):
        held[pk][0].append(number)
    for pk, email in CustomerEmail.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "address"
    ):
        held[pk][1].append(email)
    through = Customer.tags.through.objects.filter(customer_id__in=ids)
    for pk, name in through.values_list("customer_id", "tag__name"):
        held[pk][2].append(name)
    for row in CustomerAddress.objects.filter(customer_id__in=ids):
        held[row.customer_id][3].append(str(row))
    return held


@dataclass(slots=True)
class NewConsent:
    customer_id: int
    channel: str
    granted: bool
    changed_at: datetime
    method: str
    note: str = ""


def consents_insert(rows: Sequence[NewConsent], *, by: Actor, note: str = "") -> list[int]:
    """Customers' first statement per channel (demo data, imports), recorded as `consent_set`
    records one: a history row on the consent and an event on the customer, dated when the
    customer said it."""
    from rapport.customers.choices import CustomerEventType
    from rapport.customers.models import CustomerEvent

    if not rows:
        return []
    ids = insert_rows(
        MarketingConsent,
        ("customer_id", "channel", "granted", "changed_at", "method", "note"),
        [(r.customer_id, r.channel, r.granted, r.changed_at, r.method, r.note) for r in rows],
        returning=True,
    )
    history = History(MarketingConsent, by)
    user = actor_user(by)
    events = []
    for pk, r in zip(ids, rows, strict=True):
        changes: dict[str, list[Any]] = {
            f"consent:{r.channel}": [None, r.granted],
            "consent_method": [None, r.method],
        }
        if note:
            changes[ORIGIN] = [None, note]
        history.add_create(
            pk, f"{r.channel}: {r.granted}", r.customer_id, changes, time=r.changed_at
        )
        events.append(
            (
                r.changed_at,
                user.pk if user is not None else None,
                history.user_name,
                CustomerEventType.CONSENT_GIVEN.value
                if r.granted
                else CustomerEventType.CONSENT_WITHDRAWN.value,
                {"channel": r.channel, "method": r.method},
                r.customer_id,
            )
        )
    history.flush()
    insert_rows(
        CustomerEvent,
        ("time", "user_id", "user_name", "type", "parameters", "customer_id"),
        events,
    )
    return ids


# Organisations ---------------------------------------------------------------------------------

ORGANISATION_FIELDS = (
    "external_id",
    "name",
    "industry",
    "website",
    "phone",
    "email",
    "tax_id",
    "address",
    "city",
    "country",
    "notes",
)


def organisation_sort_name(name: str) -> str:
    return fold(name)[:200]


@dataclass(slots=True)
class NewOrganisation:
    fields: dict[str, Any]  # clean (services.clean_organisation_fields)
    tags: Sequence[str] = ()
    created_at: datetime | None = None


def organisations_insert(
    rows: Sequence[NewOrganisation],
    *,
    by: Actor,
    note: str = "",
    tag_ids: dict[str, int] | None = None,
) -> list[int]:
    """Create organisations with their tags, each recorded with what it was created with."""
    if not rows:
        return []
    now = timezone.now()
    tag_ids = tags_ensure({t for r in rows for t in r.tags}, tag_ids)
    values = []
    for r in rows:
        f = {name: r.fields.get(name, "") for name in ORGANISATION_FIELDS}
        f["external_id"] = r.fields.get("external_id") or None
        created = r.created_at or now
        values.append(
            (
                *(f[n] for n in ORGANISATION_FIELDS),
                organisation_sort_name(f["name"]),
                created,
                created,
                1,
            )
        )
    ids = insert_rows(
        Organisation,
        (*ORGANISATION_FIELDS, "sort_name", "created_at", "updated_at", "version"),
        values,
        returning=True,
    )
    insert_rows(
        Organisation.tags.through,
        ("organisation_id", "tag_id"),
        [(pk, tag_ids[t]) for pk, r in zip(ids, rows, strict=True) for t in dict.fromkeys(r.tags)],
    )
    history = History(Organisation, by)
    for pk, r, row in zip(ids, rows, values, strict=True):
        changes = {
            name: [None, value]
            for name, value in zip(ORGANISATION_FIELDS, row, strict=False)
            if value not in (None, "")
        }
        if r.tags:
            changes["tags"] = [None, sorted(set(r.tags))]
        if note:
            changes[ORIGIN] = [None, note]
        history.add_create(pk, row[1], None, changes)
    history.flush()
    return ids


@dataclass(slots=True)
class OrganisationChanges:
    match_id: int
    fields: dict[str, Any]
    tags: Sequence[str] = ()


def organisations_update(
    rows: Sequence[OrganisationChanges], *, by: Actor, tag_ids: dict[str, int] | None = None
) -> int:
    """Set the given fields (and add the tags) on existing organisations; returns how many
    changed, each recorded."""
    tag_ids = tags_ensure({t for r in rows for t in r.tags}, tag_ids)
    history = History(Organisation, by)
    changed = FieldUpdates(Organisation, history, tag_ids).apply(
        list(rows), prepare=lambda o: setattr(o, "sort_name", organisation_sort_name(o.name))
    )
    history.flush()
    return changed


@dataclass(slots=True)
class NewContact:
    organisation_id: int
    person_id: int
    buying_role: str
    job_title: str = ""
    is_primary: bool = False
    created_at: datetime | None = None


def organisation_contacts_insert(
    rows: Sequence[NewContact], *, by: Actor, note: str = ""
) -> list[int]:
    """Record contact people of organisations with their role in buying (one per organisation
    and person; at most one main contact per organisation — the caller's rows must keep both)."""
    if not rows:
        return []
    now = timezone.now()
    ids = insert_rows(
        OrganisationContact,
        (
            "organisation_id",
            "person_id",
            "buying_role",
            "job_title",
            "is_primary",
            "notes",
            "created_at",
            "updated_at",
        ),
        [
            (
                r.organisation_id,
                r.person_id,
                r.buying_role,
                r.job_title,
                r.is_primary,
                "",
                r.created_at or now,
                r.created_at or now,
            )
            for r in rows
        ],
        returning=True,
    )
    names = dict(
        Organisation.objects.filter(pk__in={r.organisation_id for r in rows}).values_list(
            "pk", "name"
        )
    )
    history = History(OrganisationContact, by)
    for pk, r in zip(ids, rows, strict=True):
        changes: dict[str, list[Any]] = {
            "organisation": [None, names.get(r.organisation_id, "")],
            "buying_role": [None, r.buying_role],
            "job_title": [None, r.job_title],
        }
        if note:
            changes[ORIGIN] = [None, note]
        history.add_create(pk, names.get(r.organisation_id, ""), r.person_id, changes)
    history.flush()
    return ids
