"""Writes to organisations and their contact people (everyone involved in buying)."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from rapport.core.actors import Actor
from rapport.core.choices import ChangeAction
from rapport.core.emails import normalize_email
from rapport.core.exceptions import ValidationError
from rapport.core.phones import normalize_phone
from rapport.core.services import lock_versioned, record_change, snapshot, versioned_update
from rapport.customers.bulk import (
    ORGANISATION_FIELDS,
    NewOrganisation,
    organisation_sort_name,
    organisations_insert,
)
from rapport.customers.models import Customer, Organisation, OrganisationContact
from rapport.customers.validation import check_lengths, clean_buying_role, clean_tags


def clean_organisation_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
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
    *, by: Actor, tags: Iterable[str] | None = None, **fields: Any
) -> Organisation:
    """A new organisation, written (and recorded) by the customer file's writer."""
    clean = clean_organisation_fields(fields)
    (pk,) = organisations_insert([NewOrganisation(clean, clean_tags(tags or []))], by=by)
    return Organisation.objects.get(pk=pk)


def organisation_update(
    *, organisation_id: int, by: Actor, expected_version: int | None, **fields: Any
) -> Organisation:
    """Change an organisation unless someone saved since `expected_version` (ConflictError)."""
    clean = clean_organisation_fields(fields, partial=True)

    def apply(org: Organisation) -> None:
        for name, value in clean.items():
            setattr(org, name, value)
        org.sort_name = organisation_sort_name(org.name)

    org, _changes = versioned_update(
        model=Organisation,
        pk=organisation_id,
        by=by,
        expected_version=expected_version,
        apply=apply,
    )
    return org


@transaction.atomic
def organisation_delete(
    *, organisation_id: int, by: Actor, expected_version: int | None = None
) -> None:
    org = lock_versioned(Organisation, organisation_id, expected_version)
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
    by: Actor,
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
def contact_remove(*, contact_id: int, by: Actor) -> None:
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
