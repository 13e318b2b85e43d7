"""Writes to the customer file. Web views, the API, the importer and the CLI all call these."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.core.choices import ChangeAction
from rapport.core.exceptions import ConflictError, ValidationError
from rapport.core.models import ObjectChange
from rapport.core.names import display_name, fold, search_terms
from rapport.core.services import diff, record_change, snapshot
from rapport.customers.choices import Channel, ConsentMethod
from rapport.customers.models import (
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
from rapport.customers.validation import (
    CUSTOMER_FIELDS,
    check_lengths,
    clean_addresses,
    clean_buying_role,
    clean_customer_fields,
    clean_emails,
    clean_phones,
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
    customer.display_name = display_name(customer.family_name, customer.given_name)
    customer.sort_name = fold(customer.display_name)[:201]


def index_customer(customer: Customer) -> None:
    """Rewrite the customer's search terms (name characters, pairs and word prefixes)."""
    CustomerSearchTerm.objects.filter(customer=customer).delete()
    terms = search_terms(customer.family_name, customer.given_name)
    CustomerSearchTerm.objects.bulk_create(
        CustomerSearchTerm(term=t, customer=customer) for t in terms
    )


def _check_referrer(referred_by_id: int | None, customer_id: int | None = None) -> None:
    if referred_by_id is None:
        return
    if referred_by_id == customer_id or not Customer.objects.filter(pk=referred_by_id).exists():
        from django.utils.translation import gettext as _

        raise ValidationError({"referred_by_id": [_("No such customer.")]})


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
    objs = [tag_get_or_create(name=name) for name in {t.strip() for t in tags if t and t.strip()}]
    customer.tags.set(objs)


def tag_get_or_create(*, name: str) -> Tag:
    tag, _ = Tag.objects.get_or_create(name=name.strip()[:60])
    return tag


@transaction.atomic
def customer_create(
    *,
    by: Any,
    phones: list | None = None,
    emails: list | None = None,
    addresses: list[dict[str, Any]] | None = None,
    tags: Iterable[str] | None = None,
    **fields: Any,
) -> Customer:
    """A new customer with contact details and tags; the creation is recorded in the history."""
    clean = clean_customer_fields(fields)
    phone_rows = clean_phones(phones or [])
    email_rows = clean_emails(emails or [])
    address_rows = clean_addresses(addresses or [])
    _check_referrer(clean.get("referred_by_id"))
    clean.setdefault("customer_since", timezone.localdate())
    customer = Customer(**clean, created_by=by if getattr(by, "is_authenticated", False) else None)
    apply_names(customer)
    customer.save()
    _set_contacts(customer, phone_rows, email_rows, address_rows)
    _set_tags(customer, tags)
    customer.save(update_fields=["primary_phone", "primary_email"])
    index_customer(customer)
    after = customer_snapshot(customer)
    record_change(
        obj=customer,
        action=ChangeAction.CREATE,
        by=by,
        customer_id=customer.pk,
        changes={k: [None, v] for k, v in after.items() if v not in (None, "", [], False)},
    )
    return customer


@transaction.atomic
def customer_update(
    *,
    customer_id: int,
    by: Any,
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
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if expected_version is not None and customer.version != expected_version:
        raise _conflict(customer)
    clean = clean_customer_fields(fields, partial=True)
    phone_rows = clean_phones(phones) if phones is not None else None
    email_rows = clean_emails(emails) if emails is not None else None
    address_rows = clean_addresses(addresses) if addresses is not None else None
    if "referred_by_id" in clean:
        _check_referrer(clean["referred_by_id"], customer.pk)
    before = customer_snapshot(customer)
    for name, value in clean.items():
        setattr(customer, name, value)
    apply_names(customer)
    _set_contacts(customer, phone_rows, email_rows, address_rows)
    _set_tags(customer, tags)
    changes = diff(before, customer_snapshot(customer))
    if not changes:
        return customer
    customer.version += 1
    customer.save()
    if {"family_name", "given_name"} & changes.keys():
        index_customer(customer)
    record_change(
        obj=customer, action=ChangeAction.UPDATE, by=by, changes=changes, customer_id=customer.pk
    )
    return customer


def _conflict(obj) -> ConflictError:
    last = (
        ObjectChange.objects.filter(object_id=obj.pk, content_type__model=obj._meta.model_name)
        .order_by("-time")
        .values_list("user_name", flat=True)
        .first()
    )
    return ConflictError(current_version=obj.version, changed_by=last or "")


@transaction.atomic
def customer_delete(*, customer_id: int, by: Any, expected_version: int | None = None) -> None:
    """Delete a customer who has no orders; their history rows stay (they hold the last state)."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if expected_version is not None and customer.version != expected_version:
        raise _conflict(customer)
    if customer.orders.exists():
        from django.utils.translation import gettext as _

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


@transaction.atomic
def consent_set(
    *,
    customer: Customer,
    channel: str,
    granted: bool,
    method: str,
    by: Any,
    note: str = "",
    at=None,
) -> MarketingConsent:
    """Record a customer's yes or no for a channel, with when and how they said it."""
    from django.utils.translation import gettext as _

    for value, choices, field in ((channel, Channel, "channel"), (method, ConsentMethod, "method")):
        if value not in choices.values:
            raise ValidationError(
                {field: [_("“%(value)s” is not one of the choices.") % {"value": value}]}
            )
    at = at or timezone.now()
    current = MarketingConsent.objects.filter(customer=customer, channel=channel).first()
    before = None if current is None else current.granted
    consent, _ = MarketingConsent.objects.update_or_create(
        customer=customer,
        channel=channel,
        defaults={"granted": granted, "changed_at": at, "method": method, "note": note},
    )
    if before != granted:
        record_change(
            obj=customer,
            action=ChangeAction.UPDATE,
            by=by,
            customer_id=customer.pk,
            changes={f"consent:{channel}": [before, granted], "consent_method": [None, method]},
        )
    return consent


# Organisations -----------------------------------------------------------------------------

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


def clean_organisation_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    from django.utils.translation import gettext as _

    from rapport.core.emails import normalize_email
    from rapport.core.phones import normalize_phone

    unknown = set(data) - set(ORGANISATION_FIELDS)
    errors: dict[str, list[str]] = {k: [_("Unknown field.")] for k in sorted(unknown)}
    clean = {
        k: (v.strip() if isinstance(v, str) else v)
        for k, v in data.items()
        if k in ORGANISATION_FIELDS
    }
    if (not partial or "name" in clean) and not clean.get("name"):
        errors["name"] = [_("Enter the organisation's name.")]
    for name, fn in (("phone", normalize_phone), ("email", normalize_email)):
        if clean.get(name):
            try:
                clean[name] = fn(clean[name])
            except ValidationError as exc:
                errors[name] = exc.messages
    if "external_id" in clean:
        clean["external_id"] = clean["external_id"] or None
    if clean.get("website"):
        from django.core.validators import URLValidator

        try:
            URLValidator()(clean["website"])
        except ValidationError:
            errors["website"] = [_("Enter a valid web address, e.g. https://example.com.")]
    for name, msgs in check_lengths(Organisation, clean).items():
        errors.setdefault(name, msgs)
    if errors:
        raise ValidationError(errors)
    return {k: ("" if v is None and k != "external_id" else v) for k, v in clean.items()}


@transaction.atomic
def organisation_create(
    *, by: Any, tags: Iterable[str] | None = None, **fields: Any
) -> Organisation:
    clean = clean_organisation_fields(fields)
    org = Organisation(**clean, sort_name=fold(clean["name"])[:200])
    org.save()
    if tags is not None:
        org.tags.set([tag_get_or_create(name=t) for t in tags if t.strip()])
    record_change(
        obj=org,
        action=ChangeAction.CREATE,
        by=by,
        changes={k: [None, v] for k, v in snapshot(org).items() if v not in (None, "")},
    )
    return org


@transaction.atomic
def organisation_update(
    *, organisation_id: int, by: Any, expected_version: int | None, **fields: Any
) -> Organisation:
    org = Organisation.objects.select_for_update().get(pk=organisation_id)
    if expected_version is not None and org.version != expected_version:
        raise _conflict(org)
    clean = clean_organisation_fields(fields, partial=True)
    before = snapshot(org)
    for name, value in clean.items():
        setattr(org, name, value)
    org.sort_name = fold(org.name)[:200]
    changes = diff(before, snapshot(org))
    if changes:
        org.version += 1
        org.save()
        record_change(obj=org, action=ChangeAction.UPDATE, by=by, changes=changes)
    return org


@transaction.atomic
def organisation_delete(
    *, organisation_id: int, by: Any, expected_version: int | None = None
) -> None:
    org = Organisation.objects.select_for_update().get(pk=organisation_id)
    if expected_version is not None and org.version != expected_version:
        raise _conflict(org)
    record_change(
        obj=org,
        action=ChangeAction.DELETE,
        by=by,
        changes={k: [v, None] for k, v in snapshot(org).items() if v not in (None, "")},
    )
    org.delete()


@transaction.atomic
def contact_add(
    *,
    organisation: Organisation,
    person: Customer,
    buying_role: str,
    by: Any,
    job_title: str = "",
    is_primary: bool = False,
    notes: str = "",
) -> OrganisationContact:
    """Link a person to an organisation with their role in buying; recorded on both."""
    clean_buying_role(buying_role)
    if is_primary:
        OrganisationContact.objects.filter(organisation=organisation, is_primary=True).update(
            is_primary=False
        )
    contact, created = OrganisationContact.objects.update_or_create(
        organisation=organisation,
        person=person,
        defaults={
            "buying_role": buying_role,
            "job_title": job_title,
            "is_primary": is_primary,
            "notes": notes,
        },
    )
    record_change(
        obj=contact,
        action=ChangeAction.CREATE if created else ChangeAction.UPDATE,
        by=by,
        customer_id=person.pk,
        changes={
            "organisation": [None, organisation.name],
            "buying_role": [None, buying_role],
            "job_title": [None, job_title],
        },
    )
    return contact


@transaction.atomic
def contact_remove(*, contact_id: int, by: Any) -> None:
    contact = OrganisationContact.objects.select_related("organisation").get(pk=contact_id)
    record_change(
        obj=contact,
        action=ChangeAction.DELETE,
        by=by,
        customer_id=contact.person_id,
        changes={
            "organisation": [contact.organisation.name, None],
            "buying_role": [contact.buying_role, None],
        },
    )
    contact.delete()


# Merging duplicates ------------------------------------------------------------------------

# Free-text fields: both records' texts are kept (joined), so nothing a customer told us is lost.
MERGE_TEXT_FIELDS = ("hobbies", "personality", "family_situation", "notes")
# Fields where one value must win: the surviving record's, unless it is blank or the user picked
# the other record's value.
MERGE_CHOICE_FIELDS = (
    "family_name",
    "given_name",
    "gender",
    "birthday",
    "celebrates_lunar_birthday",
    "occupation",
    "income_band",
    "preferred_language",
    "preferred_channel",
    "source",
    "referred_by_id",
)


def _blank(value: Any) -> bool:
    return value in (None, "")


def _joined(first: str, second: str) -> str:
    parts = [p for p in (first.strip(), second.strip()) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return "\n\n".join(parts)


def _merge_relations(survivor: Customer, other: Customer) -> None:
    """Move everything that hangs off `other` to `survivor`.

    Relations with a uniqueness rule are merged row by row; every other relation to Customer —
    including those that later apps add (complaints, loyalty…) — is re-pointed in one UPDATE each.
    """
    from rapport.analytics.models import CustomerScore

    # Contact details: keep the survivor's, add the other's that it lacks.
    for model, key in ((CustomerPhone, "number"), (CustomerEmail, "address")):
        mine = model.objects.filter(customer=survivor)
        has_primary = mine.filter(is_primary=True).exists()
        theirs = model.objects.filter(customer=other)
        theirs.filter(**{f"{key}__in": mine.values_list(key, flat=True)}).delete()
        theirs.update(customer=survivor, **({"is_primary": False} if has_primary else {}))
    # Consent per channel: the most recent statement the customer made wins.
    mine = {c.channel: c for c in survivor.consents.all()}
    for consent in other.consents.all():
        current = mine.get(consent.channel)
        if current is None:
            consent.customer = survivor
            consent.save(update_fields=["customer"])
        elif consent.changed_at > current.changed_at:
            current.delete()
            consent.customer = survivor
            consent.save(update_fields=["customer"])
        else:
            consent.delete()
    # Organisation roles: one per organisation and person.
    orgs = set(survivor.organisation_roles.values_list("organisation_id", flat=True))
    OrganisationContact.objects.filter(person=other, organisation_id__in=orgs).delete()
    # A record cannot refer itself.
    if survivor.referred_by_id == other.pk:
        survivor.referred_by_id = None
    Customer.objects.filter(pk=survivor.pk, referred_by_id=other.pk).update(referred_by_id=None)
    survivor.tags.add(*other.tags.all())
    CustomerSearchTerm.objects.filter(customer=other).delete()
    # Scores are recomputed for the survivor by the next analytics refresh.
    CustomerScore.objects.filter(customer=other).delete()

    for relation in Customer._meta.related_objects:
        if (
            relation.many_to_many
            or relation.one_to_one
            or relation.related_model is CustomerSearchTerm
        ):
            continue
        field = relation.field
        relation.related_model._base_manager.filter(**{field.name: other}).update(
            **{field.name: survivor}
        )
    ObjectChange.objects.filter(customer_id=other.pk).update(customer_id=survivor.pk)


@transaction.atomic
def customer_merge(
    *,
    survivor_id: int,
    other_id: int,
    by: Any,
    survivor_version: int | None,
    other_version: int | None,
    take_from_other: Iterable[str] = (),
) -> Customer:
    """Merge the duplicate `other` into `survivor`; `other`'s row goes, nothing it held is lost.

    Orders, interactions, remembered details, phones, emails, addresses, consents, tags,
    organisation roles, referrals and the change history move to the survivor. Profile fields
    keep the survivor's value unless it is blank or the field is in `take_from_other`; free-text
    notes are joined. A `CustomerMerge` row keeps the old number, external id and last state, so old
    links and re-imports from the other source find the survivor. Versions are checked like an
    edit: if either record changed since the user compared them, ConflictError.
    """
    from django.utils.translation import gettext as _

    from rapport.customers.models import CustomerMerge

    if survivor_id == other_id:
        raise ValidationError(_("A customer cannot be merged with itself."))
    locked = {
        c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor_id, other_id])
    }
    if len(locked) != 2:
        raise Customer.DoesNotExist
    survivor, other = locked[survivor_id], locked[other_id]
    for customer, expected in ((survivor, survivor_version), (other, other_version)):
        if expected is not None and customer.version != expected:
            raise _conflict(customer)
    unknown = set(take_from_other) - set(MERGE_CHOICE_FIELDS)
    if unknown:
        raise ValidationError(
            {k: [_("This field cannot be taken from the other record.")] for k in sorted(unknown)}
        )

    before = customer_snapshot(survivor)
    other_state = customer_snapshot(other)
    for name in MERGE_CHOICE_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        if name in take_from_other or (_blank(mine) and not _blank(theirs)):
            setattr(survivor, name, theirs)
    if survivor.referred_by_id == other.pk:
        survivor.referred_by_id = None
    for name in MERGE_TEXT_FIELDS:
        setattr(survivor, name, _joined(getattr(survivor, name), getattr(other, name)))
    if other.customer_since and (
        not survivor.customer_since or other.customer_since < survivor.customer_since
    ):
        survivor.customer_since = other.customer_since
    external_id = other.external_id
    if survivor.external_id is None and external_id:
        survivor.external_id, external_id = external_id, None
    # The other row's external id must be free before the survivor (or the merge record) takes it.
    Customer.objects.filter(pk=other.pk).update(external_id=None)

    _merge_relations(survivor, other)
    CustomerMerge.objects.create(
        merged_id=other.pk,
        into=survivor,
        external_id=external_id,
        display_name=other.display_name,
        last_state=other_state,
        merged_at=timezone.now(),
        merged_by=by if getattr(by, "is_authenticated", False) else None,
    )
    number = other.number
    record_change(
        obj=other,
        action=ChangeAction.MERGE,
        by=by,
        customer_id=survivor.pk,
        changes={
            "merged_into": [number, survivor.number],
            **{k: [v, None] for k, v in other_state.items() if v not in (None, "", [], False)},
        },
    )
    other.delete()

    apply_names(survivor)
    phone = survivor.phones.order_by("-is_primary", "id").values_list("number", flat=True)
    email = survivor.emails.order_by("-is_primary", "id").values_list("address", flat=True)
    survivor.primary_phone = next(iter(phone), "")
    survivor.primary_email = next(iter(email), "")
    survivor.version += 1
    survivor.save()
    index_customer(survivor)
    changes = diff(before, customer_snapshot(survivor))
    changes["merged"] = [None, number]
    record_change(
        obj=survivor, action=ChangeAction.MERGE, by=by, changes=changes, customer_id=survivor.pk
    )
    return survivor
