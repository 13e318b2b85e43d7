"""Organisations: matched on external id, then on the name (case and accents ignored)."""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.actors import Actor
from rapport.customers.bulk import (
    NewOrganisation,
    OrganisationChanges,
    organisation_sort_name,
    organisations_insert,
    organisations_update,
)
from rapport.customers.models import Organisation
from rapport.customers.numbers import organisation_number
from rapport.customers.services import clean_organisation_fields
from rapport.imports.kinds.base import (
    KindImporter,
    Progress,
    RowError,
    WriteCounts,
    tag_names,
)
from rapport.imports.values import country

TEXT_FIELDS = (
    "external_id",
    "name",
    "industry",
    "website",
    "phone",
    "email",
    "tax_id",
    "address",
    "city",
    "notes",
)


@dataclass(slots=True)
class OrganisationRecord:
    row: int
    fields: dict[str, Any]
    tags: list[str] = field(default_factory=list)
    match_id: int | None = None


_label = organisation_number
_sort_name = organisation_sort_name


class OrganisationImporter(KindImporter):
    kind = "organisations"
    duplicate_messages = {
        "external_id": gettext_lazy("Same external id as row %(row)d: “%(value)s”."),
        "name": gettext_lazy("Same organisation name as row %(row)d: “%(value)s”."),
    }
    model = Organisation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tag_ids: dict[str, int] = {}

    def clean(self, row: int, cells: list[Any]) -> tuple[OrganisationRecord | None, list[RowError]]:
        errors: list[RowError] = []
        data = {n: v for n in TEXT_FIELDS if n in self.index and (v := self.text(cells, n))}
        if "country" in self.index:
            try:
                if code := country(self.cell(cells, "country")):
                    data["country"] = code
            except ValueError:
                errors.append(
                    RowError(
                        row,
                        self.column("country"),
                        _("“%(value)s” is not a country.") % {"value": self.text(cells, "country")},
                    )
                )
        try:
            clean = clean_organisation_fields(data, partial=True)
        except ValidationError as exc:
            errors.extend(self.errors_from(row, exc))
            clean = {}
        if errors:
            return None, errors
        return OrganisationRecord(
            row=row, fields=clean, tags=tag_names(self.cell(cells, "tags"))
        ), []

    def keys(self, record: OrganisationRecord) -> Iterable[tuple[str, Hashable]]:
        if ext := record.fields.get("external_id"):
            yield "external_id", ext
        if name := record.fields.get("name"):
            yield "name", _sort_name(name)

    def resolve(self, records: list[OrganisationRecord]) -> list[RowError]:
        ext = {r.fields["external_id"] for r in records if r.fields.get("external_id")}
        by_ext = (
            dict(Organisation.objects.filter(external_id__in=ext).values_list("external_id", "pk"))
            if ext
            else {}
        )
        names = {_sort_name(r.fields["name"]) for r in records if r.fields.get("name")}
        by_name: dict[str, tuple[int, str | None]] = {}
        if names:
            rows = Organisation.objects.filter(sort_name__in=names).order_by("pk")
            for sort_name, pk, external_id in rows.values_list("sort_name", "pk", "external_id"):
                by_name.setdefault(sort_name, (pk, external_id))
        errors: list[RowError] = []
        for r in records:
            ext_id, name = r.fields.get("external_id"), r.fields.get("name")
            match = by_ext.get(ext_id) if ext_id else None
            if match is None and name and (found := by_name.get(_sort_name(name))):
                if ext_id and found[1] not in (None, ext_id):
                    errors.append(
                        RowError(
                            r.row,
                            self.column("external_id"),
                            _(
                                "This row matches organisation %(number)s by name, but that organisation's "
                                "external id is “%(value)s”."
                            )
                            % {"number": _label(found[0]), "value": found[1]},
                        )
                    )
                    continue
                match = found[0]
            if match is not None:
                if problems := self.matched_once(r, match, _label(match)):
                    errors.extend(problems)
                    continue
            elif not name:
                try:
                    clean_organisation_fields({})
                except ValidationError as exc:
                    errors.extend(self.errors_from(r.row, exc))
                continue
            r.match_id = match
        return errors

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        """Creates and updates through the customer file's writer (rapport.customers.bulk)."""
        counts = WriteCounts()
        for batch in self.batches():
            if creates := [r for r in batch if r.match_id is None]:
                organisations_insert(
                    [NewOrganisation(fields=r.fields, tags=r.tags) for r in creates],
                    by=by,
                    note=note,
                    tag_ids=self._tag_ids,
                )
                counts.created += len(creates)
            if matched := [r for r in batch if r.match_id is not None]:
                changed = organisations_update(
                    [OrganisationChanges(r.match_id, r.fields, r.tags) for r in matched],
                    by=by,
                    tag_ids=self._tag_ids,
                )
                counts.updated += changed
                counts.unchanged += len(matched) - changed
            progress(len(batch))
        return counts
