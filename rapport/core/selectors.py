from typing import Any

from django.utils.translation import gettext_lazy

from rapport.core.choices import ChangeAction
from rapport.core.models import ObjectChange
from rapport.core.registry import change_titles
from rapport.core.timeline import TimelineEntry


def field_label(model, name: str) -> str:
    """The field's translated verbose name, or the raw key for derived entries (phones, tags…)."""
    try:
        return str(model._meta.get_field(name.removesuffix("_id")).verbose_name)
    except Exception:  # noqa: BLE001  (FieldDoesNotExist, or no model class)
        return name.replace("_", " ")


def labelled_changes(change: ObjectChange) -> list[tuple[str, object, object]]:
    model = change.content_type.model_class()
    return [(field_label(model, k), pair[0], pair[1]) for k, pair in change.changes.items()]


def object_changes(*, content_type_id: int, object_id: int, limit: int = 100) -> list[ObjectChange]:
    return list(
        ObjectChange.objects.filter(content_type_id=content_type_id, object_id=object_id)
        .select_related("content_type")
        .order_by("-time")[:limit]
    )


# A record whose app registered no titles (rapport.core.registry.register_change_titles) gets the
# "Action: kind of record" form; registered titles are whole sentences for each kind and action, so
# that a translation can make every word agree (a separate "created" cannot agree with each noun in
# Slovak, nor go where Chinese puts it).
_OTHER_TITLES: dict[str, Any] = {
    ChangeAction.CREATE: gettext_lazy("Created: %(kind)s %(record)s"),
    ChangeAction.UPDATE: gettext_lazy("Changed: %(kind)s %(record)s"),
    ChangeAction.DELETE: gettext_lazy("Deleted: %(kind)s %(record)s"),
    ChangeAction.MERGE: gettext_lazy("Merged: %(kind)s %(record)s"),
}


def change_title(change: ObjectChange) -> str:
    """The change as one translated sentence, e.g. "Customer details changed"."""
    ct = change.content_type
    sentence = change_titles(ct.app_label, ct.model).get(change.action)
    if sentence is not None:
        return str(sentence) % {"record": change.object_repr}
    model = ct.model_class()
    sentence = _OTHER_TITLES.get(change.action, _OTHER_TITLES[ChangeAction.UPDATE])
    kind = model._meta.verbose_name if model else ct.model
    return str(sentence) % {"kind": kind, "record": change.object_repr}


def change_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    from rapport.core.timeline import covered_changes

    covered = covered_changes()
    types = ContentType.objects.get_for_models(*{model for model, _action in covered})
    hidden = Q(pk__in=[])
    for model, action in covered:
        rows_of = Q(content_type=types[model])
        hidden |= rows_of if action == "*" else rows_of & Q(action=action)
    rows = (
        ObjectChange.objects.filter(customer_id=customer_id)
        .exclude(hidden)
        .select_related("content_type")
        .order_by("-time")[:limit]
    )
    return [
        TimelineEntry(
            time=c.time,
            kind="change",
            title=change_title(c),
            actor=c.user_name,
            details={"changes": labelled_changes(c)},
        )
        for c in rows
    ]
