from typing import Any

from django.utils.translation import gettext_lazy as _lazy

from rapport.core.choices import ChangeAction
from rapport.core.models import ObjectChange
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


# The timeline's title of a change: a whole sentence for each kind of record and action, so that
# a translation can make every word agree (a separate "created" cannot agree with each noun in
# Slovak, nor go where Chinese puts it). Records not listed get the "Action: kind of record" form.
_TITLES: dict[tuple[str, str], dict[str, Any]] = {
    ("customers", "customer"): {
        ChangeAction.CREATE: _lazy("Customer created"),
        ChangeAction.UPDATE: _lazy("Customer details changed"),
        ChangeAction.DELETE: _lazy("Customer deleted"),
        ChangeAction.MERGE: _lazy("Customer records merged"),
    },
    ("customers", "organisationcontact"): {
        ChangeAction.CREATE: _lazy("Added as a contact person of an organisation"),
        ChangeAction.UPDATE: _lazy("Role at an organisation changed"),
        ChangeAction.DELETE: _lazy("Removed as a contact person of an organisation"),
    },
    ("communications", "remembereddetail"): {
        ChangeAction.CREATE: _lazy("Remembered detail added"),
        ChangeAction.UPDATE: _lazy("Remembered detail changed"),
        ChangeAction.DELETE: _lazy("Remembered detail deleted"),
    },
    ("sales", "order"): {
        ChangeAction.CREATE: _lazy("Order %(record)s placed"),
        ChangeAction.UPDATE: _lazy("Order %(record)s changed"),
        ChangeAction.DELETE: _lazy("Order %(record)s deleted"),
    },
}
_OTHER_TITLES: dict[str, Any] = {
    ChangeAction.CREATE: _lazy("Created: %(kind)s %(record)s"),
    ChangeAction.UPDATE: _lazy("Changed: %(kind)s %(record)s"),
    ChangeAction.DELETE: _lazy("Deleted: %(kind)s %(record)s"),
    ChangeAction.MERGE: _lazy("Merged: %(kind)s %(record)s"),
}


def change_title(change: ObjectChange) -> str:
    """The change as one translated sentence, e.g. "Customer details changed"."""
    ct = change.content_type
    sentence = _TITLES.get((ct.app_label, ct.model), {}).get(change.action)
    if sentence is not None:
        return str(sentence) % {"record": change.object_repr}
    model = ct.model_class()
    sentence = _OTHER_TITLES.get(change.action, _OTHER_TITLES[ChangeAction.UPDATE])
    kind = model._meta.verbose_name if model else ct.model
    return str(sentence) % {"kind": kind, "record": change.object_repr}


def change_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    from django.contrib.contenttypes.models import ContentType

    from rapport.core.timeline import covered_models

    covered = (
        ContentType.objects.get_for_models(*covered_models()).values() if covered_models() else []
    )
    rows = (
        ObjectChange.objects.filter(customer_id=customer_id)
        .exclude(action=ChangeAction.CREATE, content_type__in=list(covered))
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
