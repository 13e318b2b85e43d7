"""Recording changes: every service that writes business data calls `record_change`."""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from rapport.core.actors import Actor, actor_name, actor_user
from rapport.core.choices import ChangeAction
from rapport.core.exceptions import ConflictError
from rapport.core.models import ObjectChange, VersionedModel

Snapshot = dict[str, Any]
# The key of a creation's history row that says where the record came from ("import
# customers.csv", "demo"), apart from the record's own fields (a customer's `source`).
ORIGIN = "origin"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> Snapshot:
    """The record's concrete field values as JSON-friendly data (foreign keys as ids)."""
    names = fields or [
        f.attname for f in obj._meta.concrete_fields if f.name not in {"created_at", "updated_at"}
    ]
    return {name: _plain(getattr(obj, name)) for name in names}


def diff(before: Snapshot, after: Snapshot) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    keys = before.keys() | after.keys()
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(keys)
        if before.get(k) != after.get(k) and k != "version"
    }


def record_change(
    *,
    obj: models.Model,
    action: ChangeAction,
    by: Actor,
    changes: dict[str, list[Any]],
    customer_id: int | None = None,
) -> ObjectChange | None:
    """Append one change row; an update that changed nothing leaves no row."""
    if action == ChangeAction.UPDATE and not changes:
        return None
    return ObjectChange.objects.create(
        time=timezone.now(),
        user=actor_user(by),
        user_name=actor_name(by)[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        customer_id=customer_id,
        changes=changes,
    )


def bulk_record_creates(
    *,
    objs: list[models.Model],
    by: Actor,
    customer_ids: list[int | None],
    note: str = "",
    times: list | None = None,
) -> None:
    """Many create rows in one statement (imports, demo data).

    `times` backdates each row (demo data drawn with a history); by default they are all now.
    """
    if not objs:
        return
    user = actor_user(by)
    ct = ContentType.objects.get_for_model(objs[0], for_concrete_model=True)
    now = timezone.now()
    times = times if times is not None else [now] * len(objs)
    rows = [
        ObjectChange(
            time=when,
            user=user,
            user_name=actor_name(by)[:150],
            action=ChangeAction.CREATE,
            content_type=ct,
            object_id=obj.pk,
            object_repr=str(obj)[:200],
            customer_id=cid,
            changes={ORIGIN: [None, note]} if note else {},
        )
        for obj, cid, when in zip(objs, customer_ids, times, strict=True)
    ]
    ObjectChange.objects.bulk_create(rows, batch_size=2000)


# Edits with a version --------------------------------------------------------------------------


def conflict_for(obj: VersionedModel) -> ConflictError:
    """The conflict for a stale edit of `obj`: who saved last, when, and what they changed."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    last = (
        ObjectChange.objects.filter(content_type=ct, object_id=obj.pk)
        .order_by("-time", "-id")
        .values("user_name", "time", "changes")
        .first()
    )
    return ConflictError(
        current_version=obj.version,
        changed_by=last["user_name"] if last else "",
        changed_at=last["time"] if last else None,
        changes=last["changes"] if last else None,
    )


def lock_versioned[V: VersionedModel](model: type[V], pk: int, expected_version: int | None) -> V:
    """The row, locked for the rest of the transaction; ConflictError if someone saved a newer
    version than `expected_version` (None: a system write that is never refused)."""
    obj = model._default_manager.select_for_update().get(pk=pk)
    if expected_version is not None and obj.version != expected_version:
        raise conflict_for(obj)
    return obj


def versioned_update[V: VersionedModel](
    *,
    model: type[V],
    pk: int,
    by: Actor,
    expected_version: int | None,
    apply: Callable[[V], None],
    snapshot_of: Callable[[V], Snapshot] = snapshot,
    customer_id: Callable[[V], int | None] | None = None,
) -> tuple[V, dict[str, list[Any]]]:
    """Lock, check the version, `apply(obj)` the changes, and — if anything changed — bump the
    version, save and record the change. Returns the object and {field: [before, after]}.

    The one skeleton every edit of a versioned record uses (HackSoft's `model_update`): `apply`
    sets attributes and may write the record's own child rows; it raises ValidationError to refuse.
    """
    with transaction.atomic():
        obj = lock_versioned(model, pk, expected_version)
        before = snapshot_of(obj)
        apply(obj)
        changes = diff(before, snapshot_of(obj))
        if changes:
            obj.version += 1
            obj.save()
            record_change(
                obj=obj,
                action=ChangeAction.UPDATE,
                by=by,
                changes=changes,
                customer_id=customer_id(obj) if customer_id else None,
            )
        return obj, changes
