from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy

from rapport.core.choices import ChangeAction
from rapport.core.models import ObjectChange
from rapport.core.registry import change_field, change_titles
from rapport.core.timeline import TimelineEntry

# Entries of a history row that are not a field of the record: its phones, tags, where it came
# from… (the keys the writers record beside the fields).
_DERIVED_LABELS: dict[str, Any] = {
    "phones": gettext_lazy("phone numbers"),
    "emails": gettext_lazy("email addresses"),
    "addresses": gettext_lazy("addresses"),
    "tags": gettext_lazy("tags"),
    "origin": gettext_lazy("origin"),
    "merged": gettext_lazy("merged record"),
    "merge_undone": gettext_lazy("merge undone"),
    "role": gettext_lazy("role"),
    "lines": gettext_lazy("lines"),
}


def field_label(model, name: str) -> str:
    """The field's translated verbose name (capitalised), or the label of a derived entry."""
    from django.utils.text import capfirst

    if model is not None and (
        entry := change_field(model._meta.app_label, model._meta.model_name, name)
    ):
        return capfirst(str(entry[0]))
    try:
        field = model._meta.get_field(name.removesuffix("_id"))
        field.verbose_name  # noqa: B018  (a reverse relation has none)
    except Exception:  # noqa: BLE001  (FieldDoesNotExist, no model class, a reverse relation)
        label = _DERIVED_LABELS.get(name)
        if label:
            return capfirst(str(label))
        # An entry named after a model ("remembered_detail"): that model's translated name.
        for candidate in apps.get_models():
            if candidate._meta.model_name == name.replace("_", ""):
                return capfirst(str(candidate._meta.verbose_name))
        return capfirst(name.replace("_", " "))
    if field.is_relation and field.related_model and field.verbose_name == name.replace("_", " "):
        # A relation without a name of its own is named by the model it points to (translated).
        return capfirst(str(field.related_model._meta.verbose_name))
    return capfirst(str(field.verbose_name))


def display_value(model, name: str, value: object) -> object:
    """A recorded value as the record's pages show it: a choice by its label, a date in the
    user's format, phone numbers as people write them; lists item by item."""
    from datetime import date, datetime

    from django.utils.formats import date_format

    from rapport.core.phones import display_phone

    if isinstance(value, list | tuple):
        return [display_value(model, name, v) for v in value]
    if value is None or value == "" or isinstance(value, bool):
        return value
    if name == "phones" and isinstance(value, str) and value.startswith("+"):
        return display_phone(value)
    if model is not None and (
        entry := change_field(model._meta.app_label, model._meta.model_name, name)
    ):
        return entry[1].get(value, value) if isinstance(value, str) else value
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001  (a derived entry, or no model class)
        return value
    if not getattr(field, "concrete", False):  # a relation seen from the other side
        return value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, str) and field.get_internal_type() == "DateField":
        try:
            return date_format(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str) and field.get_internal_type() == "DateTimeField":
        try:
            return date_format(datetime.fromisoformat(value), "SHORT_DATETIME_FORMAT")
        except ValueError:
            return value
    return value


def labelled_changes(change: ObjectChange) -> list[tuple[str, object, object]]:
    """(label, before, after) of each changed field, in words: "Gender: female → male"."""
    model = change.content_type.model_class()
    return [
        (field_label(model, k), display_value(model, k, pair[0]), display_value(model, k, pair[1]))
        for k, pair in change.changes.items()
    ]


def conflict_context(exc: Any, model: Any, reload_url: str) -> dict[str, Any]:
    """What a refused stale edit shows: who saved in between, when, what they changed (in words),
    and the link that loads their version (a GET, so the browser does not post the form again)."""
    return {
        "changed_by": exc.changed_by,
        "changed_at": exc.changed_at,
        "changes": [
            (field_label(model, k), display_value(model, k, v[0]), display_value(model, k, v[1]))
            for k, v in (exc.changes or {}).items()
            if isinstance(v, list | tuple) and len(v) == 2
        ],
        "reload_url": reload_url,
    }


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
