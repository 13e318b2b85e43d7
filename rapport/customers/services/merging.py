"""Merging duplicate customers: one record survives and every row that hung off the other moves.

What happens to each table is not decided here: every relation to a customer declares its merge
strategy next to its model (`rapport.core.relations`), and this module carries the declarations
out, in one transaction, reporting what it did per table. Rows that have to give way (a second
loyalty account, a second answer to the same survey) are archived whole in the merge record, so
nothing is lost and an undo can put them back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.core.actors import Actor, actor_user
from rapport.core.choices import ChangeAction
from rapport.core.events import emit
from rapport.core.exceptions import ValidationError
from rapport.core.fields import concrete_field, many_to_many_field
from rapport.core.relations import (
    Custom,
    CustomerRelation,
    DedupeBy,
    KeepOne,
    Recompute,
    Repoint,
    customer_relations,
)
from rapport.core.services import conflict_for, diff, record_change
from rapport.customers.choices import CustomerEventType
from rapport.customers.models import (
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerMerge,
    CustomerPhone,
)
from rapport.customers.services.customers import apply_names, customer_snapshot

# What a merge may change on the kept record itself (and an undo puts back).
MERGE_PROFILE_FIELDS = (
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
    "hobbies",
    "personality",
    "family_situation",
    "notes",
    "customer_since",
    "external_id",
)
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


class _Exact(DjangoJSONEncoder):
    """Times with their microseconds (Django's encoder keeps milliseconds): an undo puts a row
    back exactly."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


def freeze(rows: Iterable[models.Model]) -> list[dict[str, Any]]:
    """Rows whole, as JSON-safe data (Django's serialisation, exact times)."""
    return json.loads(json.dumps(serializers.serialize("python", list(rows)), cls=_Exact))


def thaw(data: list[dict[str, Any]]) -> Iterator[Any]:
    """The rows `freeze` kept, ready to save."""
    return serializers.deserialize("python", data)


@dataclass
class MergeContext:
    """What a merge has done so far; strategies report through it."""

    survivor_id: int
    other_id: int
    by: Actor
    report: dict[str, dict[str, int]] = field(default_factory=dict)
    moved: dict[str, list[int]] = field(default_factory=dict)  # "app.model:column" -> ids
    archived: list[dict[str, Any]] = field(default_factory=list)
    remembered: list[dict[str, Any]] = field(default_factory=list)
    rebuild: list[Callable[[int], None]] = field(default_factory=list)

    def count(self, model: type[models.Model], what: str, n: int) -> None:
        if n:
            per = self.report.setdefault(model._meta.label_lower, {})
            per[what] = per.get(what, 0) + n

    def repointed(
        self, model: type[models.Model], pks: Iterable[int], column: str = "customer_id"
    ) -> None:
        """Rows whose `column` now holds the kept customer instead of the merged one."""
        pks = list(pks)
        if pks:
            self.moved.setdefault(f"{model._meta.label_lower}:{column}", []).extend(pks)
            self.count(model, "moved", len(pks))

    def remember(self, rows: Iterable[models.Model]) -> None:
        """Keep rows as they are before a strategy changes them in place (added-up balances, a
        primary flag), so that an undo can put them back."""
        rows = list(rows)
        if rows:
            self.remembered.extend(freeze(rows))

    def archive(self, rows: list[models.Model]) -> None:
        """Keep the rows whole (as Django's JSON serialiser writes them), then delete them."""
        if not rows:
            return
        model = type(rows[0])
        self.archived.extend(freeze(rows))
        model._base_manager.filter(pk__in=[r.pk for r in rows]).delete()
        self.count(model, "archived", len(rows))


@dataclass(frozen=True)
class MergeResult:
    customer: Customer
    merge: CustomerMerge

    def summary(self) -> str:
        return describe_report(self.merge.report)


def describe_report(report: dict[str, dict[str, int]]) -> str:
    """ "3 orders moved, 1 phone number kept once, …" in the active language."""
    from django.apps import apps

    parts = []
    for label, counts in sorted(report.items()):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        name = str(model._meta.verbose_name_plural)
        if moved := counts.get("moved"):
            parts.append(
                ngettext("%(n)d of %(what)s moved", "%(n)d of %(what)s moved", moved)
                % {"n": moved, "what": name}
            )
        if archived := counts.get("archived"):
            parts.append(
                ngettext(
                    "%(n)d of %(what)s set aside as a duplicate",
                    "%(n)d of %(what)s set aside as duplicates",
                    archived,
                )
                % {"n": archived, "what": name}
            )
    return "; ".join(parts) or _("nothing else to move")


# The strategies --------------------------------------------------------------------------------


def _rows(relation: CustomerRelation, customer_id: int) -> models.QuerySet:
    column = concrete_field(relation.model, relation.field).attname
    return relation.model._base_manager.filter(**{column: customer_id}).order_by("pk")


def _repoint(relation: CustomerRelation, ctx: MergeContext, qs: models.QuerySet) -> None:
    column = concrete_field(relation.model, relation.field).attname
    pks = list(qs.values_list("pk", flat=True))
    if pks:
        relation.model._base_manager.filter(pk__in=pks).update(**{column: ctx.survivor_id})
    ctx.repointed(relation.model, pks, column)


def _wins(prefer: str, mine: models.Model, theirs: models.Model) -> bool:
    """Whether the kept customer's row `mine` stays rather than the other's `theirs`."""
    if prefer == "survivor":
        return True
    if prefer == "other":
        return False
    rule, _sep, name = prefer.partition(":")
    a, b = getattr(mine, name), getattr(theirs, name)
    if rule == "newest-past":
        # a value in the future was never stated: it counts as not given (a consent dated 9999
        # never overrides a withdrawal)
        now = timezone.now()
        a, b = (None if v is not None and v > now else v for v in (a, b))
        if a is None or b is None:
            return b is None
        rule = "newest"
    if a is None or b is None or a == b:
        return b is None or a == b
    return a > b if rule == "newest" else a < b


def _keep_one(relation: CustomerRelation, ctx: MergeContext, prefer: str) -> None:
    theirs = list(_rows(relation, ctx.other_id)[:2])
    if not theirs:
        return
    mine = list(_rows(relation, ctx.survivor_id)[:1])
    if mine and _wins(prefer, mine[0], theirs[0]):
        ctx.archive(theirs)
        return
    if mine:
        ctx.archive(mine)
    _repoint(relation, ctx, _rows(relation, ctx.other_id))


def _dedupe(relation: CustomerRelation, ctx: MergeContext, strategy: DedupeBy) -> None:
    attnames = [concrete_field(relation.model, f).attname for f in strategy.fields]

    def key(row: models.Model) -> tuple:
        return tuple(getattr(row, a) for a in attnames)

    mine = {key(r): r for r in _rows(relation, ctx.survivor_id)}
    give_way: list[models.Model] = []
    move: list[int] = []
    for row in _rows(relation, ctx.other_id):
        current = mine.get(key(row))
        if current is None:
            move.append(row.pk)
        elif _wins(strategy.prefer, current, row):
            give_way.append(row)
        else:
            give_way.append(current)
            move.append(row.pk)
    ctx.archive(give_way)  # first: the survivor's clashing rows must be gone before others move in
    if move:
        _repoint(relation, ctx, relation.model._base_manager.filter(pk__in=move))


def _links(relation: CustomerRelation) -> tuple[type[models.Model], str, str]:
    """A many-to-many relation's link table, its customer column and its other column."""
    f = many_to_many_field(relation.model, relation.field)
    through = f.remote_field.through
    assert through is not None and not isinstance(through, str)
    if f.related_model is Customer and relation.model is not Customer:
        mine_col = f.m2m_reverse_field_name()  # the link table's customer column
        other_col = f.m2m_field_name()
    else:
        mine_col, other_col = f.m2m_field_name(), f.m2m_reverse_field_name()
    return (
        through,
        concrete_field(through, mine_col).attname,
        concrete_field(through, other_col).attname,
    )


def _many_to_many(relation: CustomerRelation, ctx: MergeContext) -> None:
    """Memberships of the merged record move to the kept one unless it is already a member."""
    through, mine_att, other_att = _links(relation)
    links = through._base_manager
    held = set(links.filter(**{mine_att: ctx.survivor_id}).values_list(other_att, flat=True))
    theirs = list(links.filter(**{mine_att: ctx.other_id}).values_list("pk", other_att))
    duplicate = [pk for pk, target in theirs if target in held]
    move = [pk for pk, target in theirs if target not in held]
    if duplicate:
        ctx.archive(list(links.filter(pk__in=duplicate)))
    if move:
        links.filter(pk__in=move).update(**{mine_att: ctx.survivor_id})
        ctx.repointed(through, move, mine_att)


def _apply(relation: CustomerRelation, ctx: MergeContext) -> None:
    f = relation.model._meta.get_field(relation.field)
    strategy = relation.merge
    if f.many_to_many:
        _many_to_many(relation, ctx)
    elif isinstance(strategy, Repoint):
        _repoint(relation, ctx, _rows(relation, ctx.other_id))
    elif isinstance(strategy, KeepOne):
        _keep_one(relation, ctx, strategy.prefer)
    elif isinstance(strategy, DedupeBy):
        _dedupe(relation, ctx, strategy)
    elif isinstance(strategy, Recompute):
        deleted, _per_model = _rows(relation, ctx.other_id).delete()
        ctx.count(relation.model, "deleted", deleted)
        if (rebuild := strategy.rebuilder()) is not None:
            ctx.rebuild.append(rebuild)
    elif isinstance(strategy, Custom):
        strategy.merger()(relation, ctx)
    else:
        raise TypeError(f"{relation}: unknown merge strategy {strategy!r}")


def _left_behind(relation: CustomerRelation, other_id: int) -> int:
    if relation.model._meta.get_field(relation.field).many_to_many:
        through, mine_att, _other_att = _links(relation)
        return through._base_manager.filter(**{mine_att: other_id}).count()
    return _rows(relation, other_id).count()


def merge_referrals(relation: CustomerRelation, ctx: MergeContext) -> None:
    """Customers the merged record referred now count as referred by the kept one; the kept
    customer itself cannot become its own referrer."""
    qs = _rows(relation, ctx.other_id).exclude(pk=ctx.survivor_id)
    _repoint(relation, ctx, qs)
    Customer.objects.filter(pk=ctx.survivor_id, referred_by_id=ctx.other_id).update(
        referred_by_id=None
    )


# The merge -------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value in (None, "")


def _joined(first: str, second: str) -> str:
    parts = [p for p in (first.strip(), second.strip()) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return "\n\n".join(parts)


def lock_pair(first_id: int, second_id: int) -> dict[int, Customer]:
    """Both customers, locked in id order — two merges of the same pair (even in opposite
    directions) queue up instead of each holding one row and waiting for the other."""
    return {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=[first_id, second_id])
        .order_by("pk")
    }


def _merge_profile(survivor: Customer, other: Customer, take_from_other: Iterable[str]) -> None:
    take = set(take_from_other)
    for name in MERGE_CHOICE_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        if name in take or (_blank(mine) and not _blank(theirs)):
            setattr(survivor, name, theirs)
    if survivor.referred_by_id == other.pk:
        survivor.referred_by_id = None
    for name in MERGE_TEXT_FIELDS:
        setattr(survivor, name, _joined(getattr(survivor, name), getattr(other, name)))
    if other.customer_since and (
        not survivor.customer_since or other.customer_since < survivor.customer_since
    ):
        survivor.customer_since = other.customer_since


def _one_primary(
    model: type[CustomerPhone | CustomerEmail], customer_id: int, ctx: MergeContext
) -> str:
    """Exactly one primary phone (email) after rows moved in; returns it ("" if none)."""
    rows: list[CustomerPhone | CustomerEmail] = list(
        model._default_manager.filter(customer_id=customer_id).order_by("-is_primary", "pk")
    )
    if not rows:
        return ""
    extra = [r for r in rows[1:] if r.is_primary]
    if extra:
        ctx.remember(extra)
        model._default_manager.filter(pk__in=[r.pk for r in extra]).update(is_primary=False)
    if not rows[0].is_primary:
        ctx.remember(rows[:1])
        model._default_manager.filter(pk=rows[0].pk).update(is_primary=True)
    return str(rows[0])


class _DryRun(Exception):
    def __init__(self, result: MergeResult) -> None:
        self.result = result


def customer_merge(
    *,
    survivor_id: int,
    other_id: int,
    by: Actor,
    survivor_version: int | None,
    other_version: int | None,
    take_from_other: Iterable[str] = (),
    dry_run: bool = False,
) -> MergeResult:
    """See `_merge`. With `dry_run`, the merge is carried out and rolled back: the result tells
    what would move (its records are not saved)."""
    try:
        with transaction.atomic():
            result = _merge(
                survivor_id=survivor_id,
                other_id=other_id,
                by=by,
                survivor_version=survivor_version,
                other_version=other_version,
                take_from_other=take_from_other,
            )
            if dry_run:
                raise _DryRun(result)
    except _DryRun as rolled_back:
        return rolled_back.result
    return result


def _merge(
    *,
    survivor_id: int,
    other_id: int,
    by: Actor,
    survivor_version: int | None,
    other_version: int | None,
    take_from_other: Iterable[str] = (),
) -> MergeResult:
    """Merge the duplicate `other` into `survivor`; `other`'s row goes, nothing it held is lost.

    Profile fields keep the survivor's value unless it is blank or the field is in
    `take_from_other`; free-text notes are joined. Every other table follows its declared merge
    strategy. The merge record keeps the old number, external id, last state, what moved and what
    was set aside, so old links and re-imports find the survivor. Versions are checked like an
    edit: if either record changed since the user compared them, ConflictError. All of it or
    nothing: if any row still refers to the merged record at the end, the merge is rolled back.
    """
    if survivor_id == other_id:
        raise ValidationError(_("A customer cannot be merged with itself."))
    unknown = set(take_from_other) - set(MERGE_CHOICE_FIELDS)
    if unknown:
        raise ValidationError(
            {k: [_("This field cannot be taken from the other record.")] for k in sorted(unknown)}
        )
    locked = lock_pair(survivor_id, other_id)
    if len(locked) != 2:
        raise Customer.DoesNotExist(
            _("One of the two records no longer exists: it was merged or deleted meanwhile.")
        )
    survivor, other = locked[survivor_id], locked[other_id]
    for customer, expected in ((survivor, survivor_version), (other, other_version)):
        if expected is not None and customer.version != expected:
            raise conflict_for(customer)

    before = customer_snapshot(survivor)
    other_state = customer_snapshot(other)
    other_row = freeze([other])[0]
    _merge_profile(survivor, other, take_from_other)
    external_id = other.external_id
    if survivor.external_id is None and external_id:
        survivor.external_id, external_id = external_id, None
    # The other row's external id must be free before the survivor (or the merge record) takes it.
    Customer.objects.filter(pk=other.pk).update(external_id=None)

    ctx = MergeContext(survivor_id=survivor.pk, other_id=other.pk, by=by)
    relations = customer_relations()
    for relation in relations:
        _apply(relation, ctx)
    left = {str(r): n for r in relations if (n := _left_behind(r, other.pk))}
    if left:  # a strategy that did not move everything: nothing of the merge is kept
        raise RuntimeError(f"Merge of {other.pk} into {survivor.pk} left rows behind: {left}")

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
    survivor.primary_phone = _one_primary(CustomerPhone, survivor.pk, ctx)
    survivor.primary_email = _one_primary(CustomerEmail, survivor.pk, ctx)
    survivor.version += 1
    survivor.save()
    for rebuild in ctx.rebuild:
        rebuild(survivor.pk)
    changes = diff(before, customer_snapshot(survivor))
    merge = CustomerMerge.objects.create(
        merged_id=other_id,
        into=survivor,
        external_id=external_id,
        display_name=other.display_name,
        last_state=other_state,
        merged_at=timezone.now(),
        merged_by=actor_user(by),
        report=ctx.report,
        moved=ctx.moved,
        archived=ctx.archived,
        remembered=ctx.remembered,
        merged_row=other_row,
        survivor_changes={k: v for k, v in changes.items() if k in MERGE_PROFILE_FIELDS},
    )
    changes["merged"] = [None, number]
    record_change(
        obj=survivor, action=ChangeAction.MERGE, by=by, changes=changes, customer_id=survivor.pk
    )
    emit(
        CustomerEvent,
        by=by,
        type=CustomerEventType.MERGED,
        customer_id=survivor.pk,
        parameters={
            "other": number,
            "name": other.display_name,
            "report": ctx.report,
            "merge_id": merge.pk,
        },
    )
    return MergeResult(customer=survivor, merge=merge)


# Undoing a merge --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UndoResult:
    restored: Customer
    kept: Customer
    # what could not be put back as it was: fields of the kept record changed since the merge (the
    # later value stays), rows deleted or moved on since
    kept_changes: list[str]
    skipped_rows: int


def undo_period() -> timedelta:
    return timedelta(days=settings.RAPPORT_MERGE_UNDO_DAYS)


@transaction.atomic
def customer_merge_undo(*, merge_id: int, by: Actor) -> UndoResult:
    """Put a merge back: the merged-away record returns with its own id, every row that moved
    returns to it, the rows that gave way come back, and the kept record's fields the merge changed
    return to what they were — unless someone changed them since the merge: later changes to the
    kept record are kept and reported. Possible within RAPPORT_MERGE_UNDO_DAYS of the merge."""
    from django.apps import apps

    merge = (
        CustomerMerge.objects.select_for_update()
        .filter(pk=merge_id, undone_at__isnull=True)
        .first()
    )
    if merge is None:
        raise ValidationError(_("This merge does not exist or was undone already."))
    if merge.merged_at < timezone.now() - undo_period():
        raise ValidationError(
            _("A merge can be undone for %(days)d days; this one is older.")
            % {"days": settings.RAPPORT_MERGE_UNDO_DAYS}
        )
    if not merge.merged_row:
        raise ValidationError(_("This merge was made before merges could be undone."))
    kept = Customer.objects.select_for_update().get(pk=merge.into_id)
    other_id = merge.merged_id
    if Customer.objects.filter(pk=other_id).exists():
        raise ValidationError(_("The merged record's number is in use again."))
    before = customer_snapshot(kept)

    # The kept record's own fields first, so the merged record's external id is free again.
    kept_changes = []
    for name, (was, became) in merge.survivor_changes.items():
        now = _plain_value(getattr(kept, name))
        if now == became:
            setattr(kept, name, _field_value(Customer, name, was))
        else:
            kept_changes.append(str(concrete_field(Customer, name).verbose_name))
    kept.save()

    # The merged record's row, as it was.
    (restored_row,) = thaw([merge.merged_row])
    restored_row.object.version += 1
    restored_row.save(save_m2m=False)  # its links come back below, with the rows that moved

    # Rows changed in place return to what they were (as the merge left them placed: the rows
    # that moved go back next).
    skipped = 0
    for row in thaw(merge.remembered):
        if type(row.object)._base_manager.filter(pk=row.object.pk).exists():
            row.save()
        else:
            skipped += 1

    # Rows that moved go back (unless deleted or moved on since).
    for key, pks in merge.moved.items():
        label, column = key.split(":")
        model = apps.get_model(label)
        back = model._base_manager.filter(pk__in=pks, **{column: kept.pk}).update(
            **{column: other_id}
        )
        skipped += len(pks) - back

    # Rows that gave way come back — unless a customer they name is gone since, or a row made
    # since holds their place (a unique key): those are counted as skipped.
    for row in thaw(merge.archived):
        if type(row.object)._base_manager.filter(pk=row.object.pk).exists():
            continue
        if not _customers_exist(row.object):
            skipped += 1
            continue
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            skipped += 1

    # Derived rows (search terms, scores) for both.
    for relation in customer_relations():
        if isinstance(relation.merge, Recompute) and (rebuild := relation.merge.rebuilder()):
            rebuild(kept.pk)
            rebuild(other_id)
    restored = Customer.objects.get(pk=other_id)
    apply_names(kept)
    kept.version += 1
    kept.save()

    merge.undone_at, merge.undone_by = timezone.now(), actor_user(by)
    merge.save(update_fields=["undone_at", "undone_by"])
    number = restored.number
    changes = diff(before, customer_snapshot(kept))
    changes["merge_undone"] = [number, None]
    record_change(obj=kept, action=ChangeAction.UPDATE, by=by, changes=changes, customer_id=kept.pk)
    record_change(
        obj=restored,
        action=ChangeAction.CREATE,
        by=by,
        customer_id=restored.pk,
        changes={"merge_undone": [kept.number, number]},
    )
    for customer_id, other_number in ((kept.pk, number), (restored.pk, kept.number)):
        emit(
            CustomerEvent,
            by=by,
            type=CustomerEventType.MERGE_UNDONE,
            customer_id=customer_id,
            parameters={"other": other_number, "kept_changes": kept_changes, "skipped": skipped},
        )
    return UndoResult(restored=restored, kept=kept, kept_changes=kept_changes, skipped_rows=skipped)


def _customers_exist(obj: models.Model) -> bool:
    """Every customer the row refers to exists (an archived row put back must not dangle)."""
    ids = {
        getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.is_relation and f.related_model is Customer
    } - {None}
    return not ids or Customer.objects.filter(pk__in=ids).count() == len(ids)


def _plain_value(value: Any) -> Any:
    from types import SimpleNamespace

    from rapport.core.services import snapshot as _snapshot

    return _snapshot(SimpleNamespace(v=value), fields=["v"])["v"]  # type: ignore[arg-type]


def _field_value(model: type[models.Model], name: str, plain: Any) -> Any:
    """A history value ("1980-03-05") back as the field's Python value."""
    return concrete_field(model, name).to_python(plain)
