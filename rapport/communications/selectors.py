from django.utils.translation import gettext as _

from rapport.communications.models import Interaction, RememberedDetail
from rapport.core.timeline import TimelineEntry


def remembered_details(*, customer_id: int, limit: int = 20) -> list[RememberedDetail]:
    """Active details, pinned and then newest first: what the next person should know."""
    return list(
        RememberedDetail.objects.filter(customer_id=customer_id, archived=False)
        .select_related("created_by")
        .order_by("-pinned", "-created_at")[:limit]
    )


def interaction_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = (
        Interaction.objects.filter(customer_id=customer_id)
        .select_related("staff")
        .order_by("-occurred_at")[:limit]
    )
    return [
        TimelineEntry(
            time=i.occurred_at,
            kind="interaction",
            title=_("%(kind)s, %(direction)s")
            % {"kind": i.get_kind_display(), "direction": i.get_direction_display()},
            body=(f"{i.subject}: " if i.subject else "") + i.summary,
            actor=i.staff.get_username() if i.staff else "",
        )
        for i in rows
    ]
