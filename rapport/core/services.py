"""Recording changes: every service that writes business data calls `record_change`."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from rapport.core.choices import ChangeAction
from rapport.core.models import ObjectChange

Snapshot = dict[str, Any]


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
    by: Any,
    changes: dict[str, list[Any]],
    customer_id: int | None = None,
) -> ObjectChange | None:
    """Append one change row; an update that changed nothing leaves no row."""
    if action == ChangeAction.UPDATE and not changes:
        return None
    user = by if getattr(by, "is_authenticated", False) else None
    return ObjectChange.objects.create(
        time=timezone.now(),
        user=user,
        user_name=(user.get_username() if user else str(by or "")),
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
    by: Any,
    customer_ids: list[int | None],
    note: str = "",
    times: list | None = None,
) -> None:
    """Many create rows in one statement (imports, demo data).

    `times` backdates each row (demo data drawn with a history); by default they are all now.
    """
    if not objs:
        return
    user = by if getattr(by, "is_authenticated", False) else None
    ct = ContentType.objects.get_for_model(objs[0], for_concrete_model=True)
    now = timezone.now()
    times = times if times is not None else [now] * len(objs)
    rows = [
        ObjectChange(
            time=when,
            user=user,
            user_name=(user.get_username() if user else str(by or "")),
            action=ChangeAction.CREATE,
            content_type=ct,
            object_id=obj.pk,
            object_repr=str(obj)[:200],
            customer_id=cid,
            changes={"source": [None, note]} if note else {},
        )
        for obj, cid, when in zip(objs, customer_ids, times, strict=True)
    ]
    ObjectChange.objects.bulk_create(rows, batch_size=2000)
