from django.utils.translation import gettext as _

from rapport.core.choices import ChangeAction
from rapport.core.models import ObjectChange
from rapport.core.timeline import TimelineEntry


def object_changes(*, content_type_id: int, object_id: int, limit: int = 100) -> list[ObjectChange]:
    return list(
        ObjectChange.objects.filter(content_type_id=content_type_id, object_id=object_id)
        .order_by("-time")[:limit]
    )


def change_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = (
        ObjectChange.objects.filter(customer_id=customer_id)
        .select_related("content_type")
        .order_by("-time")[:limit]
    )
    return [
        TimelineEntry(
            time=c.time, kind="change",
            title=_("%(what)s %(action)s") % {
                "what": c.content_type.model_class()._meta.verbose_name.capitalize()
                if c.content_type.model_class() else c.content_type.model,
                "action": ChangeAction(c.action).label,
            },
            actor=c.user_name, details={"changes": c.changes},
        )
        for c in rows
    ]
