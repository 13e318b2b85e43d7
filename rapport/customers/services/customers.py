"""Writes to the customer file. Web views, the API, the importer and the CLI all call these."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.actors import Actor, actor_user
from rapport.core.bulk import insert_rows
from rapport.core.choices import ChangeAction
from rapport.core.events import emit
from rapport.core.exceptions import ValidationError
from rapport.core.services import lock_versioned, record_change, snapshot, versioned_update
from rapport.customers.bulk import NewCustomer, customer_names, customers_insert
from rapport.customers.choices import Channel, ConsentMethod, CustomerEventType
from rapport.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerEvent,
    CustomerPhone,
    CustomerSearchTerm,
    MarketingConsent,
    Tag,
)
from rapport.customers.numbers import customer_number
from rapport.customers.validation import (
    CUSTOMER_FIELDS,
    clean_addresses,
    clean_customer_fields,
    clean_emails,
    clean_phones,
    clean_tags,
)


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    """Profile plus contact details and tags: what the history compares before and after."""
    data = snapshot(customer, fields=CUSTOMER_FIELDS)
    data["phones"] = sorted(p.number for p in customer.phones.all())
    data["emails"] = sorted(e.address for e in customer.emails.all())
    data["addresses"] = sorted(str(a) for a in customer.addresses.all())
    data["tags"] = sorted(t.name for t in customer.tags.all())
    return data


def apply_names(customer: Customer) -> None:
    """Set the derived name columns by the one rule (rapport.customers.bulk.customer_names)."""
    names = customer_names(customer.family_name, customer.given_name)
    customer.display_name, customer.sort_name = names.display_name, names.sort_name


def reindex_customer(customer_id: int) -> None:
    """index_customer for an id (the merge rebuilds the kept customer's terms with it)."""
    index_customer(Customer.objects.only("pk", "family_name", "given_name").get(pk=customer_id))


def index_customer(customer: Customer) -> None:
    """Rewrite the customer's search terms (name characters, pairs and word prefixes)."""
    CustomerSearchTerm.objects.filter(customer=customer).delete()
    terms = customer_names(customer.family_name, customer.given_name).terms
    insert_rows(CustomerSearchTerm, ("term", "customer_id"), [(t, customer.pk) for t in terms])


def _check_referrer(referred_by_id: int | None, customer_id: int | None = None) -> None:
    if referred_by_id is None:
        return
    if referred_by_id == customer_id:
        raise ValidationError({"referred_by_id": [_("A customer cannot refer themselves.")]})
    if not Customer.objects.filter(pk=referred_by_id).exists():
        raise ValidationError({"referred_by_id": [_("No such customer.")]})


def _check_external_id(external_id: str | None, customer_id: int | None = None) -> None:
    """Another customer's external id is refused (the column is unique)."""
    if not external_id:
        return
    others = Customer.objects.filter(external_id=external_id)
    if customer_id is not None:
        others = others.exclude(pk=customer_id)
    other = others.values_list("pk", flat=True).first()
    if other is not None:
        raise ValidationError(
            {
                "external_id": [
                    _("Customer %(number)s already has this external id.")
                    % {"number": customer_number(other)}
                ]
            }
        )


def check_new_tags(names: list[str], by: Actor) -> None:
    """Only those who may add tags create new ones; others choose among the existing tags.
    (The system — an import from the command line, the demo — may.)"""
    user = actor_user(by)
    if not names or user is None or user.has_perm("customers.add_tag"):
        return
    existing = set(Tag.objects.filter(name__in=names).values_list("name", flat=True))
    if missing := [n for n in names if n not in existing]:
        raise ValidationError(
            {
                "tags": [
                    _("You may only choose existing tags; these do not exist: %(names)s.")
                    % {"names": ", ".join(missing[:10])}
                ]
            }
        )


def _set_contacts(customer: Customer, phones, emails, addresses) -> None:
    if phones is not None:
        customer.phones.all().delete()
        CustomerPhone.objects.bulk_create(CustomerPhone(customer=customer, **p) for p in phones)
        customer.primary_phone = next((p["number"] for p in phones if p["is_primary"]), "")
    if emails is not None:
        customer.emails.all().delete()
        CustomerEmail.objects.bulk_create(CustomerEmail(customer=customer, **e) for e in emails)
        customer.primary_email = next((e["address"] for e in emails if e["is_primary"]), "")
    if addresses is not None:
        customer.addresses.all().delete()
        CustomerAddress.objects.bulk_create(
            CustomerAddress(customer=customer, **a) for a in addresses
        )


def _set_tags(customer: Customer, tags: Iterable[str] | None) -> None:
    if tags is None:
        return
    customer.tags.set([tag_get_or_create(name=name) for name in clean_tags(tags)])


def tag_get_or_create(*, name: str) -> Tag:
    tag, _ = Tag.objects.get_or_create(name=name.strip()[:60])
    return tag


@transaction.atomic
def customer_create(
    *,
    by: Actor,
    phones: list | None = None,
    emails: list | None = None,
    addresses: list[dict[str, Any]] | None = None,
    tags: Iterable[str] | None = None,
    **fields: Any,
) -> Customer:
    """A new customer with contact details and tags; the creation is recorded in the history.

    Validated here, written by the customer aggregate's one writer (rapport.customers.bulk), as
    the importer and the demo data are."""
    clean = clean_customer_fields(fields)
    phone_rows = clean_phones(phones or [])
    email_rows = clean_emails(emails or [])
    address_rows = clean_addresses(addresses or [])
    _check_referrer(clean.get("referred_by_id"))
    _check_external_id(clean.get("external_id"))
    tag_names = clean_tags(tags or [])
    check_new_tags(tag_names, by)
    (pk,) = customers_insert(
        [
            NewCustomer(
                fields=clean,
                phones=[(p["number"], p["kind"]) for p in _primary_first(phone_rows)],
                emails=[e["address"] for e in _primary_first(email_rows)],
                addresses=address_rows,
                tags=tag_names,
            )
        ],
        by=by,
    )
    return Customer.objects.get(pk=pk)


def _primary_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: not item["is_primary"])


def customer_update(
    *,
    customer_id: int,
    by: Actor,
    expected_version: int | None,
    phones: list | None = None,
    emails: list | None = None,
    addresses: list[dict[str, Any]] | None = None,
    tags: Iterable[str] | None = None,
    **fields: Any,
) -> Customer:
    """Apply changes if nobody saved since `expected_version`; otherwise raise ConflictError.

    `expected_version=None` is for system writes (imports) that must not be refused.
    """
    clean = clean_customer_fields(fields, partial=True)
    phone_rows = clean_phones(phones) if phones is not None else None
    email_rows = clean_emails(emails) if emails is not None else None
    address_rows = clean_addresses(addresses) if addresses is not None else None
    if "referred_by_id" in clean:
        _check_referrer(clean["referred_by_id"], customer_id)
    if "external_id" in clean:
        _check_external_id(clean["external_id"], customer_id)
    if tags is not None:
        tags = clean_tags(tags)
        check_new_tags(tags, by)

    def apply(customer: Customer) -> None:
        for name, value in clean.items():
            setattr(customer, name, value)
        apply_names(customer)
        _set_contacts(customer, phone_rows, email_rows, address_rows)
        _set_tags(customer, tags)

    with transaction.atomic():
        customer, changes = versioned_update(
            model=Customer,
            pk=customer_id,
            by=by,
            expected_version=expected_version,
            apply=apply,
            snapshot_of=customer_snapshot,
            customer_id=lambda c: c.pk,
        )
        if {"family_name", "given_name"} & changes.keys():
            index_customer(customer)
    return customer


@transaction.atomic
def customer_delete(*, customer_id: int, by: Actor, expected_version: int | None = None) -> None:
    """Delete a customer who has no orders; their history rows stay (they hold the last state)."""
    customer = lock_versioned(Customer, customer_id, expected_version)
    if customer.orders.exists():
        raise ValidationError(_("This customer has orders and cannot be deleted."))
    before = customer_snapshot(customer)
    record_change(
        obj=customer,
        action=ChangeAction.DELETE,
        by=by,
        customer_id=customer.pk,
        changes={k: [v, None] for k, v in before.items() if v not in (None, "", [], False)},
    )
    customer.delete()


# What an erasure leaves of the customer row: the number, dates and source (no person in them).
ERASED_FIELDS: dict[str, Any] = {
    "external_id": None,
    "family_name": "",
    "given_name": "",
    "gender": "",
    "birthday": None,
    "celebrates_lunar_birthday": False,
    "hobbies": "",
    "personality": "",
    "family_situation": "",
    "occupation": "",
    "income_band": "",
    "preferred_language": "",
    "preferred_channel": "",
    "referred_by": None,
    "notes": "",
    "primary_phone": "",
    "primary_email": "",
}


@transaction.atomic
def customer_anonymise(*, customer_id: int, by: Actor) -> Customer:
    """Replace every personal field of the customer row (the erasure in `rapport.privacy` calls
    this after the rows under the customer were deleted or redacted): the row stays, with its
    number, so orders keep their customer for the accounts. The history gets one row saying the
    record was erased — without the values it held."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    for name, value in ERASED_FIELDS.items():
        setattr(customer, name, value)
    apply_names(customer)
    customer.display_name = customer.number  # lists and links show the number, nothing else
    customer.version += 1
    customer.save()
    customer.tags.clear()
    CustomerSearchTerm.objects.filter(customer=customer).delete()
    record_change(
        obj=customer,
        action=ChangeAction.UPDATE,
        by=by,
        customer_id=customer.pk,
        changes={"erased": [False, True]},
    )
    return customer


CONSENT_EARLIEST_YEAR = 1900


def _check_consent_time(at: datetime) -> None:
    """A consent or withdrawal is stated now or in the past — never in the future (it would
    override a later withdrawal) and not before CONSENT_EARLIEST_YEAR (year 1 is a typing slip)."""
    now = timezone.now()
    if at.year < CONSENT_EARLIEST_YEAR:
        raise ValidationError(
            {
                "at": [
                    _("The date of a consent cannot be before %(year)d.")
                    % {"year": CONSENT_EARLIEST_YEAR}
                ]
            }
        )
    if at > now + timedelta(minutes=5):
        raise ValidationError({"at": [_("The date of a consent cannot be in the future.")]})


@transaction.atomic
def consent_set(
    *,
    customer: Customer,
    channel: str,
    granted: bool,
    method: str,
    by: Actor,
    note: str = "",
    at: datetime | None = None,
) -> MarketingConsent:
    """Record a customer's yes or no for a channel, with when and how they said it.

    The consent row holds the current answer; the history keeps every statement (a change row
    on the consent) and the customer's timeline says it in words (an event)."""
    for value, choices, field in ((channel, Channel, "channel"), (method, ConsentMethod, "method")):
        if value not in choices.values:
            raise ValidationError(
                {field: [_("“%(value)s” is not one of the choices.") % {"value": value}]}
            )
    at = at or timezone.now()
    _check_consent_time(at)
    current = (
        MarketingConsent.objects.select_for_update()
        .filter(customer=customer, channel=channel)
        .first()
    )
    before = None if current is None else current.granted
    consent, created = MarketingConsent.objects.update_or_create(
        customer=customer,
        channel=channel,
        defaults={"granted": granted, "changed_at": at, "method": method, "note": note},
    )
    if before != granted:
        record_change(
            obj=consent,
            action=ChangeAction.CREATE if created else ChangeAction.UPDATE,
            by=by,
            customer_id=customer.pk,
            changes={f"consent:{channel}": [before, granted], "consent_method": [None, method]},
        )
        emit(
            CustomerEvent,
            by=by,
            type=CustomerEventType.CONSENT_GIVEN
            if granted
            else CustomerEventType.CONSENT_WITHDRAWN,
            customer_id=customer.pk,
            parameters={"channel": channel, "method": method},
        )
    return consent
