from django.utils.translation import gettext as _

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
            title=_("%(what)s %(action)s")
            % {
                "what": c.content_type.model_class()._meta.verbose_name.capitalize()
                if c.content_type.model_class()
                else c.content_type.model,
                "action": ChangeAction(c.action).label,
            },
            actor=c.user_name,
            details={"changes": labelled_changes(c)},
        )
        for c in rows
    ]
