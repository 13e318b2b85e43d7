"""Every write of the duplicate finder: the search that fills the review queue, the "not the same
person" decision, and the merge from the queue (through customers' merge service)."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.actors import Actor, actor_user
from rapport.core.events import emit
from rapport.dedupe import engine
from rapport.dedupe.choices import DedupeEventType
from rapport.dedupe.evidence import as_json
from rapport.dedupe.models import DedupeEvent, DuplicatePair, NotSamePerson


def load_people(customer_ids: list[int] | None = None) -> list[engine.Person]:
    """Every customer (or those given) as the matcher sees them: five queries in all."""
    from rapport.customers.models import (
        Customer,
        CustomerAddress,
        CustomerEmail,
        CustomerPhone,
        OrganisationContact,
    )

    def scoped(qs, column: str = "customer_id"):  # noqa: ANN001, ANN202
        return qs if customer_ids is None else qs.filter(**{f"{column}__in": customer_ids})

    phones: dict[int, set[str]] = defaultdict(set)
    for cid, number in (
        scoped(CustomerPhone.objects.all()).values_list("customer_id", "number").iterator()
    ):
        phones[cid].add(number)
    emails: dict[int, set[str]] = defaultdict(set)
    for cid, address in (
        scoped(CustomerEmail.objects.all()).values_list("customer_id", "address").iterator()
    ):
        emails[cid].add(address.lower())
    addresses: dict[int, set[str]] = defaultdict(set)
    for cid, line1, line2, city, postal in (
        scoped(CustomerAddress.objects.all())
        .values_list("customer_id", "line1", "line2", "city", "postal_code")
        .iterator()
    ):
        key = engine.matching.address_key(line1, line2, city, postal)
        if key:
            addresses[cid].add(key)
    organisations: dict[int, set[int]] = defaultdict(set)
    for cid, org in (
        scoped(OrganisationContact.objects.all(), "person_id")
        .values_list("person_id", "organisation_id")
        .iterator()
    ):
        organisations[cid].add(org)
    customers = (
        Customer.objects.all()
        if customer_ids is None
        else Customer.objects.filter(pk__in=customer_ids)
    )
    return [
        engine.Person(
            id=pk,
            family_name=family,
            given_name=given,
            birthday=birthday,
            gender=gender or "",
            phones=frozenset(phones.get(pk, ())),
            emails=frozenset(emails.get(pk, ())),
            addresses=frozenset(addresses.get(pk, ())),
            organisations=frozenset(organisations.get(pk, ())),
        )
        for pk, family, given, birthday, gender in customers.values_list(
            "pk", "family_name", "given_name", "birthday", "gender"
        ).iterator()
    ]


def decided_pairs() -> set[tuple[int, int]]:
    return {
        (min(a, b), max(a, b))
        for a, b in NotSamePerson.objects.values_list("first_id", "second_id").iterator()
    }


def duplicates_find(*, by: Actor, threshold: float = engine.matching.THRESHOLD) -> dict[str, Any]:
    """Compare every customer and replace the review queue with the proposed pairs (never those
    decided as different people)."""
    started = time.monotonic()
    people = load_people()
    loaded = time.monotonic()
    stats: dict[str, int] = {}
    matches = engine.bulk.find_pairs(people, threshold, decided_pairs(), stats=stats)
    searched = time.monotonic()
    now = timezone.now()
    from rapport.customers.models import Customer

    with transaction.atomic():
        # customers merged or deleted while the search ran are left out
        ids = {m.first for m in matches} | {m.second for m in matches}
        # (a long list of ids would exceed SQLite's bound parameters: then read all the ids)
        alive_qs = (
            Customer.objects.all() if len(ids) > 10_000 else Customer.objects.filter(pk__in=ids)
        )
        alive = set(alive_qs.values_list("pk", flat=True).iterator()) if ids else set()
        matches = [m for m in matches if m.first in alive and m.second in alive]
        DuplicatePair.objects.all().delete()
        DuplicatePair.objects.bulk_create(
            [
                DuplicatePair(
                    first_id=m.first,
                    second_id=m.second,
                    score=m.score,
                    evidence=as_json(m.evidence),
                    found_at=now,
                )
                for m in matches
            ],
            batch_size=2000,
        )
        emit(
            DedupeEvent,
            by=by,
            type=DedupeEventType.SEARCHED,
            parameters={"customers": len(people), "pairs": len(matches)},
        )
    done = time.monotonic()
    return {
        "customers": len(people),
        "pairs": len(matches),
        "seconds": round(done - started, 3),
        "stages": {
            "load": round(loaded - started, 3),
            "search": round(searched - loaded, 3),
            "write": round(done - searched, 3),
        },
        **stats,
    }


def _pair(first_id: int, second_id: int) -> tuple[int, int]:
    if first_id == second_id:
        raise ValidationError({"second": [_("A customer cannot be a duplicate of themselves.")]})
    return min(first_id, second_id), max(first_id, second_id)


@transaction.atomic
def not_same_person(*, first_id: int, second_id: int, by: Actor, note: str = "") -> NotSamePerson:
    """Remember that the two are different people: the pair leaves the queue and is never
    proposed again (a second decision about the same pair returns the first)."""
    from rapport.customers.models import Customer

    a, b = _pair(first_id, second_id)
    found = Customer.objects.filter(pk__in=(a, b)).in_bulk()
    if len(found) != 2:
        raise ValidationError({"second": [_("Both customers must exist.")]})
    existing = NotSamePerson.objects.filter(
        Q(first_id=a, second_id=b) | Q(first_id=b, second_id=a)
    ).first()
    DuplicatePair.objects.filter(first_id=a, second_id=b).delete()
    if existing is not None:
        return existing
    decision = NotSamePerson.objects.create(
        first_id=a,
        second_id=b,
        decided_at=timezone.now(),
        decided_by=actor_user(by),
        note=note[:300],
    )
    emit(
        DedupeEvent,
        by=by,
        type=DedupeEventType.NOT_SAME,
        parameters={"first": found[a].number, "second": found[b].number},
    )
    return decision


@transaction.atomic
def decision_withdraw(*, decision_id: int, by: Actor) -> None:
    """Forget a decision (it was wrong): the pair may be proposed again by the next search."""
    NotSamePerson.objects.filter(pk=decision_id).delete()


def merge(*, keep_id: int, drop_id: int, by: Actor, dry_run: bool = False) -> Any:
    """Merge `drop` into `keep` with customers' merge service (every declared relation moves,
    the merge can be undone); the pair leaves the queue."""
    from rapport.customers.models import Customer
    from rapport.customers.services import customer_merge

    _pair(keep_id, drop_id)
    versions = dict(Customer.objects.filter(pk__in=(keep_id, drop_id)).values_list("pk", "version"))
    if len(versions) != 2:
        raise ValidationError({"drop": [_("Both customers must exist.")]})
    kept_number = Customer(pk=keep_id).number
    dropped_number = Customer(pk=drop_id).number
    with transaction.atomic():
        result = customer_merge(
            survivor_id=keep_id,
            other_id=drop_id,
            by=by,
            survivor_version=versions[keep_id],
            other_version=versions[drop_id],
            dry_run=dry_run,
        )
        if not dry_run:
            emit(
                DedupeEvent,
                by=by,
                type=DedupeEventType.MERGED,
                parameters={"kept": kept_number, "dropped": dropped_number},
            )
    return result


def forget_pairs(customer_id: int) -> None:
    """After a merge: the kept customer's proposals are stale (the next search finds them again)."""
    DuplicatePair.objects.filter(Q(first_id=customer_id) | Q(second_id=customer_id)).delete()


def import_matches(
    rows: list[dict[str, Any]], *, threshold: float = engine.matching.THRESHOLD
) -> list[list[dict[str, Any]]]:
    """The public bulk scoring for imports: for each row (family_name, given_name, birthday,
    phone(s), email(s), address fields), the existing customers it probably is, best first:
    {"customer_id", "score", "evidence" (stored form), "words"}. Uses the same matcher as the
    queue; decided "not the same person" pairs do not apply (a row is nobody yet)."""
    from rapport.dedupe.evidence import describe

    new = [_row_person(i, r) for i, r in enumerate(rows)]
    candidates = _existing_for(new)
    from rapport.customers.models import Customer

    population = Customer.objects.count()
    out = []
    for found in engine.score_against(new, candidates, threshold=threshold, population=population):
        out.append(
            [
                {
                    "customer_id": m.second,
                    "score": m.score,
                    "evidence": as_json(m.evidence),
                    "words": describe(as_json(m.evidence)),
                }
                for m in found
            ]
        )
    return out


def _row_person(i: int, row: dict[str, Any]) -> engine.Person:
    from rapport.core.emails import normalize_email
    from rapport.core.phones import try_normalize_phone

    def many(*keys: str) -> list[str]:
        values: list[str] = []
        for key in keys:
            value = row.get(key)
            if isinstance(value, list | tuple | set):
                values.extend(str(v) for v in value if v)
            elif value:
                values.append(str(value))
        return values

    phones = {
        p for p in (try_normalize_phone(v) for v in many("phone", "phones", "primary_phone")) if p
    }
    emails = set()
    for v in many("email", "emails", "primary_email"):
        try:
            emails.add(normalize_email(v))
        except ValidationError:
            continue
    address = engine.matching.address_key(
        str(row.get("line1") or row.get("address") or ""),
        str(row.get("line2") or ""),
        str(row.get("city") or ""),
        str(row.get("postal_code") or ""),
    )
    return engine.Person(
        id=i,
        family_name=str(row.get("family_name") or ""),
        given_name=str(row.get("given_name") or ""),
        birthday=row.get("birthday") or None,
        gender=str(row.get("gender") or ""),
        phones=frozenset(phones),
        emails=frozenset(emails),
        addresses=frozenset({address} if len(address) >= 6 else ()),
    )


def _existing_for(rows: list[engine.Person]) -> list[engine.Person]:
    """The existing customers who could match any of the rows: those sharing a phone, an email,
    or a search term of the name (the customers' own index); then loaded whole."""
    from rapport.core.names import search_terms
    from rapport.customers.models import (
        Customer,
        CustomerEmail,
        CustomerPhone,
        CustomerSearchTerm,
    )

    phones = {p for r in rows for p in r.phones}
    emails = {e for r in rows for e in r.emails}
    ids: set[int] = set()
    if phones:
        ids.update(
            CustomerPhone.objects.filter(number__in=phones).values_list("customer_id", flat=True)
        )
    if emails:
        ids.update(
            CustomerEmail.objects.filter(address__in=emails).values_list("customer_id", flat=True)
        )
    birthdays = {r.birthday for r in rows if r.birthday}
    if birthdays:  # names written with other characters read the same: 王小明 / 王曉明
        ids.update(
            Customer.objects.filter(birthday__in=birthdays).values_list("pk", flat=True)[:20000]
        )
    terms: set[str] = set()
    for r in rows:
        forms = engine.name_forms(r.family_name, r.given_name)
        for word in forms.words:
            terms.update(t for t in search_terms(word) if len(t) >= min(len(word), 3))
        if forms.chars:  # the name's characters as written, simplified and traditional
            for variant in {forms.chars, engine.matching.traditional(forms.chars)}:
                terms.update(t for t in search_terms(variant) if len(t) == 2)
        terms.update(t for t in search_terms(r.family_name, r.given_name) if len(t) == 2)
    if terms:
        ids.update(
            CustomerSearchTerm.objects.filter(term__in=list(terms)[:5000])
            .values_list("customer_id", flat=True)
            .distinct()[:20000]
        )
    # at most 20,000 candidates per chunk of rows (bound parameters stay under SQLite's limit)
    return load_people(sorted(ids)[:20_000]) if ids else []
