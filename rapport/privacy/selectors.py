"""Reads of the privacy app: everything held about one person (the access export), the values that
identify them, erasures and the read log.

The access export follows the declarations of every relation to a customer
(`rapport.core.relations`): each relation's `Export(...)` fields under its label, then every
registered personal-data holder's rows (import files that named the person). A new app's rows
appear in the export by its own declaration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from rapport.core.relations import (
    CustomerRelation,
    Person,
    customer_relations,
    personal_data_holders,
)
from rapport.customers.models import Customer, CustomerMerge
from rapport.privacy.models import Erasure, PersonalDataRead

PROFILE_FIELDS = (
    "external_id",
    "family_name",
    "given_name",
    "display_name",
    "gender",
    "birthday",
    "celebrates_lunar_birthday",
    "hobbies",
    "personality",
    "family_situation",
    "occupation",
    "income_band",
    "preferred_language",
    "preferred_channel",
    "customer_since",
    "source",
    "referred_by",
    "notes",
    "created_at",
    "updated_at",
)


def person_of(customer: Customer) -> Person:
    """The values that identify the customer wherever they are quoted without a link."""
    family, given = customer.family_name.strip(), customer.given_name.strip()
    names = {customer.display_name.strip()}
    if family and given:
        names |= {f"{given} {family}", f"{family} {given}", f"{family}{given}"}
    phones = {p.number for p in customer.phones.all()} | {customer.primary_phone}
    emails = {e.address for e in customer.emails.all()} | {customer.primary_email}
    external_ids = {customer.external_id or ""} | set(
        CustomerMerge.objects.filter(into=customer)
        .exclude(external_id=None)
        .values_list("external_id", flat=True)
    )
    other = {a.line1 for a in customer.addresses.all()}
    return Person(
        customer_id=customer.pk,
        number=customer.number,
        names=tuple(sorted(n for n in names if n)),
        phones=tuple(sorted(p for p in phones if p)),
        emails=tuple(sorted(e for e in emails if e)),
        external_ids=tuple(sorted(x for x in external_ids if x)),
        other_values=tuple(sorted(o for o in other if o)),
    )


# The access export -------------------------------------------------------------------------------


@dataclass
class Section:
    key: str
    label: str
    columns: list[tuple[str, str]]  # (field name, translated heading)
    rows: list[dict[str, Any]] = field(default_factory=list)  # JSON-safe values
    texts: list[list[str]] = field(default_factory=list)  # the same, as the page shows them


@dataclass
class AccessExport:
    customer_id: int
    number: str
    name: str
    language: str
    generated_at: datetime
    profile: Section
    sections: list[Section]

    def as_json(self) -> dict[str, Any]:
        def section(s: Section) -> dict[str, Any]:
            return {
                "key": s.key,
                "label": s.label,
                "columns": dict(s.columns),
                "rows": s.rows,
            }

        return {
            "format": "rapport-access-export/1",
            "customer": self.number,
            "name": self.name,
            "language": self.language,
            "generated_at": self.generated_at.isoformat(),
            "profile": self.profile.rows[0] if self.profile.rows else {},
            "profile_labels": dict(self.profile.columns),
            "sections": [section(s) for s in self.sections],
        }

    def json_bytes(self) -> bytes:
        return json.dumps(self.as_json(), ensure_ascii=False, indent=2, default=str).encode()


def export_language(customer: Customer) -> str:
    """The person's language if Rapport speaks it, else the site's."""
    wanted = customer.preferred_language
    known = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in known else settings.LANGUAGE_CODE


def person_export(customer: Customer) -> AccessExport:
    """Everything Rapport holds about the customer, in their language."""
    language = export_language(customer)
    with translation.override(language):
        profile = _section("profile", _("profile"), Customer, list(PROFILE_FIELDS), [customer])
        extra = [
            ("number", _("customer number"), customer.number),
        ]
        for name, heading, value in reversed(extra):
            profile.columns.insert(0, (name, heading))
            profile.rows[0] = {name: value, **profile.rows[0]}
            profile.texts[0].insert(0, value)
        sections = [
            s
            for relation in customer_relations()
            if relation.export.exports and (s := _relation_section(relation, customer)).rows
        ]
        person = person_of(customer)
        for holder in personal_data_holders():
            rows = holder.exporter()(person)
            if rows:
                columns = sorted({k for row in rows for k in row})
                headings = holder.headings
                sections.append(
                    Section(
                        key=holder.name,
                        label=str(holder.label),
                        columns=[(c, str(headings.get(c, c))) for c in columns],
                        rows=rows,
                        texts=[
                            [_coded(holder.values, c, row.get(c, "")) for c in columns]
                            for row in rows
                        ],
                    )
                )
        return AccessExport(
            customer_id=customer.pk,
            number=customer.number,
            name=str(customer),
            language=language,
            generated_at=timezone.now(),
            profile=profile,
            sections=sections,
        )


def _relation_section(relation: CustomerRelation, customer: Customer) -> Section:
    model = relation.model
    f = model._meta.get_field(relation.field)
    fields = list(relation.export.fields)
    if f.many_to_many and model is Customer:
        target = f.related_model
        qs: QuerySet = getattr(customer, relation.field).all()
        model = target  # type: ignore[assignment]
    else:
        qs = model._base_manager.filter(**{relation.field: customer.pk})
        if model is Customer:
            qs = qs.exclude(pk=customer.pk)
    # A relation named by its column ("first_id") exports the id and needs no join.
    related = [
        n
        for n in fields
        if n != "pk" and model._meta.get_field(n).is_relation and model._meta.get_field(n).name == n
    ]
    if related:
        qs = qs.select_related(*related)
    rows = list(qs.order_by("pk"))
    label = str(relation.export.label or model._meta.verbose_name_plural)
    return _section(
        f"{model._meta.label_lower}.{relation.field}",
        label,
        model,
        fields,
        rows,
        headings=relation.export.headings,
        values=relation.export.values,
    )


def _section(
    key: str,
    label: str,
    model: type[models.Model],
    fields: list[str],
    objs: list[Any],
    headings: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
) -> Section:
    headings, values = headings or {}, values or {}
    columns = [(n, str(headings[n]) if n in headings else _heading(model, n)) for n in fields]
    section = Section(key=key, label=label, columns=columns)
    for obj in objs:
        section.rows.append({n: _raw(obj, n) for n in fields})
        section.texts.append(
            [_coded(values, n, getattr(obj, n)) if n in values else _text(obj, n) for n in fields]
        )
    return section


def _heading(model: type[models.Model], name: str) -> str:
    """The field's translated verbose name; a relation without a name of its own: its model's."""
    if name == "pk":
        return "id"
    from django.utils.text import capfirst

    from rapport.core.selectors import field_label

    f = model._meta.get_field(name)
    if not f.is_relation and f.name == name:
        return capfirst(str(f.verbose_name))
    return field_label(model, name)


def _coded(values: dict[str, Any], name: str, value: Any) -> str:
    """A stored code as its translated label, by the declaration in `values` (see
    `rapport.core.relations.Export`); anything else as the page shows a value."""
    spec = values.get(name)
    if spec is None or value in (None, ""):
        return _plain(value)
    if callable(spec) and not hasattr(spec, "choices"):
        return str(spec(value))
    labels = dict(getattr(spec, "choices", spec))
    return str(labels.get(value, value))


def _raw(obj: models.Model, name: str) -> Any:
    if name == "pk":
        return obj.pk
    f = obj._meta.get_field(name)
    if f.is_relation:
        related = getattr(obj, name)
        return None if related is None else str(related)
    return _json_value(getattr(obj, name))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _text(obj: models.Model, name: str) -> str:
    if name == "pk":
        return str(obj.pk)
    f = obj._meta.get_field(name)
    if getattr(f, "choices", None):
        return str(getattr(obj, f"get_{name}_display")())
    value = getattr(obj, name)
    if name == "type" and isinstance(sentences := getattr(obj, "SENTENCES", None), dict):
        # An event's type: the label of its app's event type (the SENTENCES keys are its choices).
        for key in sentences:
            if key == value and hasattr(key, "label"):
                return str(key.label)
        if value in sentences:  # types without labels: what happened, as its sentence says
            return obj.sentence()
    from rapport.core.registry import change_field

    entry = change_field(obj._meta.app_label, obj._meta.model_name, name)
    if entry and isinstance(entry[1], dict) and value in entry[1]:
        return str(entry[1][value])  # a value the app names for the history, named the same here
    if f.is_relation:
        return "" if value is None else str(value)
    return _plain(value)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


# Erasures and reads ------------------------------------------------------------------------------


def latest_erasure(customer_id: int) -> Erasure | None:
    return Erasure.objects.filter(customer_id=customer_id).order_by("-erased_at").first()


def read_log_queryset(*, kind: str = "", user: str = "") -> QuerySet[PersonalDataRead]:
    qs = PersonalDataRead.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if user:
        qs = qs.filter(user_name__icontains=user)
    return qs


# Consent as a list filter ------------------------------------------------------------------------

CONSENT_STATES = ("granted", "withdrawn", "unknown")


def filter_by_consent(queryset: QuerySet, channel: str, value: str) -> QuerySet:
    """Customers whose consent on `channel` is given, withdrawn, or was never asked ("unknown");
    any other value matches nobody."""
    from django.db.models import Exists, OuterRef

    from rapport.customers.models import MarketingConsent

    on_channel = MarketingConsent.objects.filter(customer=OuterRef("pk"), channel=channel)
    if value == "granted":
        return queryset.filter(Exists(on_channel.filter(granted=True)))
    if value == "withdrawn":
        return queryset.filter(Exists(on_channel.filter(granted=False)))
    if value == "unknown":
        return queryset.filter(~Exists(on_channel))
    return queryset.none()


def filter_by_consent_value(queryset: QuerySet, value: str) -> QuerySet:
    """The list filter's value "<channel>:<state>" (email:granted); anything else matches nobody."""
    from rapport.customers.choices import Channel

    channel, _sep, state = value.partition(":")
    if channel not in Channel.values:
        return queryset.none()
    return filter_by_consent(queryset, channel, state)


def consent_filter_choices() -> list[tuple[str, Any]]:
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy

    from rapport.customers.choices import Channel

    states = (
        ("granted", gettext_lazy("{channel}: consent given")),
        ("withdrawn", gettext_lazy("{channel}: consent withdrawn")),
        ("unknown", gettext_lazy("{channel}: never asked")),
    )
    return [
        (f"{channel}:{state}", format_lazy(text, channel=label))
        for channel, label in Channel.choices
        for state, text in states
    ]
