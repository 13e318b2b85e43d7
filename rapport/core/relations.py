"""How each table that refers to a customer behaves in a merge, an access request and an erasure.

Every relation to a customer — a foreign key, a one-to-one, a many-to-many, or a plain
`customer_id` column — is declared next to the model that owns it, with the decorator::

    @customer_relation(
        "customer",
        merge=Repoint(),
        export=Export("number", "kind", label=_("phone numbers")),
        erase=Erase.delete(),
    )
    class CustomerPhone(models.Model): ...

The merge (`rapport.customers.merging`), the access export and the erasure (`rapport.privacy`)
read these declarations; they never guess. Data that names a person without pointing to their
record (an uploaded import file) is registered with `register_personal_data_holder`. A test fails for any relation to a customer that has none, so a new
app cannot forget to say what happens to its rows.

Merge strategies:
- `Repoint()`: every row of the merged-away customer moves to the kept one.
- `KeepOne(prefer=…)`: at most one row per customer (a one-to-one, a unique customer column). If
  both customers have one, `prefer` picks the row that stays; the other is archived in the merge
  record (every field, so an undo can put it back) and deleted.
- `DedupeBy(*fields, prefer=…)`: rows are unique per customer and `fields` (one consent per
  channel, one answer per survey). Rows of the merged-away customer that clash are archived and
  deleted as for KeepOne (or the kept customer's, if `prefer` chooses the other); the rest move.
- `Recompute(fn)`: derived rows (search terms, scores): the merged-away customer's are deleted and
  `fn(survivor_id)` rebuilds the kept customer's after the merge.
- `Custom(fn)`: `fn(relation, ctx)` does it itself (adding up two loyalty balances, say) and
  reports through `ctx`.
For a many-to-many, memberships move unless the kept customer is already a member (then the
duplicate link goes; links hold nothing else).

`prefer` is "survivor" (the kept customer's row wins), "other", or "newest:<field>" / "oldest:
<field>" (the row with the later / earlier value of that field wins; ties keep the survivor's), or
"newest-past:<field>" (as newest, but a value in the future counts as none: consents).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db import models


# Merging ---------------------------------------------------------------------------------------


class MergeStrategy:
    """Base of the merge strategies (see the module docstring)."""

    describe: str = ""


@dataclass(frozen=True)
class Repoint(MergeStrategy):
    describe: str = "re-point"


@dataclass(frozen=True)
class KeepOne(MergeStrategy):
    prefer: str = "survivor"
    describe: str = "keep one"


@dataclass(frozen=True, init=False)
class DedupeBy(MergeStrategy):
    fields: tuple[str, ...]
    prefer: str
    describe: str

    def __init__(self, *fields: str, prefer: str = "survivor") -> None:
        if not fields:
            raise ValueError("DedupeBy needs the fields that make a row unique per customer")
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "prefer", prefer)
        object.__setattr__(self, "describe", "de-duplicate by " + ", ".join(fields))


@dataclass(frozen=True)
class Recompute(MergeStrategy):
    """`rebuild` is a function of the kept customer's id, or its dotted path ("pkg.module:name",
    resolved when first used, so a models module need not import services)."""

    rebuild: Callable[[int], None] | str | None = None
    describe: str = "recompute"

    def rebuilder(self) -> Callable[[int], None] | None:
        return _resolve(self.rebuild)


@dataclass(frozen=True)
class Custom(MergeStrategy):
    """`merge(relation, ctx)` — a function or its dotted path — moves the rows itself."""

    merge: Callable[[CustomerRelation, Any], None] | str
    describe: str = "custom"

    def merger(self) -> Callable[[CustomerRelation, Any], None]:
        fn = _resolve(self.merge)
        assert fn is not None
        return fn


def _resolve(target: Any) -> Any:
    if isinstance(target, str):
        from django.utils.module_loading import import_string

        return import_string(target.replace(":", "."))
    return target


# Access requests and erasure -------------------------------------------------------------------


@dataclass(frozen=True, init=False)
class Export:
    """What an access request lists of these rows: `fields` (model field names; `pk` allowed),
    under `label` (the rows' translated name). `Export.nothing(reason)` for rows that hold nothing
    about the person beyond the link (search terms rebuilt from the name, say)."""

    fields: tuple[str, ...]
    label: Any
    reason: str
    # For the readable page: a field's heading where its verbose name will not do (`headings`),
    # and the labels of codes a field stores without `choices=` (`values`: field -> a TextChoices
    # class, (code, label) pairs, a dict, or a function of the value).
    headings: dict[str, Any]
    values: dict[str, Any]

    def __init__(
        self,
        *fields: str,
        label: Any = "",
        reason: str = "",
        headings: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "headings", dict(headings or {}))
        object.__setattr__(self, "values", dict(values or {}))

    @classmethod
    def nothing(cls, reason: str) -> Export:
        return cls(reason=reason)

    @property
    def exports(self) -> bool:
        return bool(self.fields)


@dataclass(frozen=True)
class Erase:
    """What erasing the person does to these rows: delete them, overwrite personal fields
    (`redact`: field -> the value it gets), or keep them as they are for a stated reason (an
    order's amounts for the accounts: the customer row itself is made anonymous)."""

    action: str  # "delete", "redact" or "keep"
    redact: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def delete(cls) -> Erase:
        return cls("delete")

    @classmethod
    def redacting(cls, **values: Any) -> Erase:
        return cls("redact", redact=values)

    @classmethod
    def keep(cls, reason: str) -> Erase:
        return cls("keep", reason=reason)


# The declarations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRelation:
    model: type[models.Model]
    field: str  # a foreign key / one-to-one / many-to-many field name, or a plain column's attname
    merge: MergeStrategy
    export: Export
    erase: Erase

    @property
    def key(self) -> tuple[str, str]:
        return (self.model._meta.label_lower, self.field)

    def __str__(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


_relations: dict[tuple[str, str], CustomerRelation] = {}


def customer_relation(
    field: str, *, merge: MergeStrategy, export: Export, erase: Erase
) -> Callable[[type[models.Model]], type[models.Model]]:
    """Class decorator: declare how the model's relation `field` to a customer merges, is
    exported and is erased. A model with several such fields gets one decorator per field."""

    def declare(model: type[models.Model]) -> type[models.Model]:
        relation = CustomerRelation(model, field, merge, export, erase)
        _relations[relation.key] = relation
        return model

    return declare


def declare_customer_relation(
    model: type[models.Model],
    field: str,
    *,
    merge: MergeStrategy,
    export: Export,
    erase: Erase,
) -> None:
    """The same as the decorator, for a model the declaring app does not define (Django's own,
    or an auto-created many-to-many table)."""
    customer_relation(field, merge=merge, export=export, erase=erase)(model)


def customer_relations() -> list[CustomerRelation]:
    """Every declaration, in a fixed order (app, model, field): merges lock and write tables in
    this order, so two merges never wait for each other in a cycle."""
    return sorted(_relations.values(), key=lambda r: r.key)


def relation_for(model: type[models.Model], field: str) -> CustomerRelation | None:
    return _relations.get((model._meta.label_lower, field))


def relations_to(customer_model: type[models.Model]) -> list[tuple[type[models.Model], str]]:
    """Every (model, field) that refers to a customer, found by looking at all installed models:
    foreign keys, one-to-ones and many-to-manys to the customer model, the customer model's own
    many-to-manys, and plain integer columns named `customer_id` or ending in `_customer_id`."""
    from django.apps import apps
    from django.db import models as m

    found: list[tuple[type[m.Model], str]] = []
    for model in apps.get_models(include_auto_created=False):
        for f in model._meta.get_fields(include_hidden=False):
            if not getattr(f, "concrete", False) and not f.many_to_many:
                continue
            if f.auto_created and not f.concrete:
                continue
            if (
                f.is_relation
                and f.related_model is customer_model
                or model is customer_model
                and f.many_to_many
                or (
                    not f.is_relation
                    and isinstance(f, m.IntegerField)
                    and (f.name == "customer_id" or f.name.endswith("_customer_id"))
                )
            ):
                found.append((model, f.name))
    return found


def undeclared(customer_model: type[models.Model]) -> list[str]:
    """ "app.Model.field" of each relation to a customer that has no declaration."""
    return [
        f"{model._meta.label}.{name}"
        for model, name in relations_to(customer_model)
        if relation_for(model, name) is None
    ]


def declared_for(models_: Iterable[type[models.Model]]) -> list[CustomerRelation]:
    wanted = {m._meta.label_lower for m in models_}
    return [r for r in customer_relations() if r.key[0] in wanted]


# Personal data found by value -------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """What identifies one person in data that names them without a link to their record (an
    uploaded import file, an error message quoting a row): the values an access request looks for
    and an erasure removes. Built by `rapport.privacy` from the customer record."""

    customer_id: int
    number: str
    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()
    # Further values to purge wherever they are quoted (address lines, notes): never used to decide
    # that a row names the person, only to redact it.
    other_values: tuple[str, ...] = ()

    def identifying(self) -> set[str]:
        """Values that on their own say a row is about this person (folded, see `fold`)."""
        values = {*self.names, *self.phones, *self.emails, *self.external_ids}
        return {fold(v) for v in values if v and len(fold(v)) >= 3}

    def all_values(self) -> set[str]:
        return {v for v in (*self.identifying(), *map(fold, self.other_values)) if len(v) >= 3}


def fold(value: Any) -> str:
    """A value as compared when looking for a person: trimmed, lower-cased, inner spaces single."""
    return " ".join(str(value).split()).casefold()


@dataclass(frozen=True)
class PersonalDataHolder:
    """Data about people that no relation points to: found by the person's values.

    `export(person)` lists what is held (a list of {column: value} rows, JSON-safe); `erase(person)`
    removes it and returns how many items it removed or redacted. Both may be dotted paths
    ("pkg.module:name"). The access export and the erasure call every holder."""

    name: str
    label: Any
    export: Callable[[Person], list[dict[str, Any]]] | str
    erase: Callable[[Person], int] | str
    # The readable page's column headings and code labels (as `Export.headings` / `values`).
    headings: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def exporter(self) -> Callable[[Person], list[dict[str, Any]]]:
        return _resolve(self.export)

    def eraser(self) -> Callable[[Person], int]:
        return _resolve(self.erase)


_holders: dict[str, PersonalDataHolder] = {}


def register_personal_data_holder(holder: PersonalDataHolder) -> None:
    _holders[holder.name] = holder


def personal_data_holders() -> list[PersonalDataHolder]:
    return sorted(_holders.values(), key=lambda h: h.name)
