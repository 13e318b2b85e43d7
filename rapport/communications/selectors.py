from django.db.models import QuerySet
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


def interaction_title(kind: str, direction: str) -> str:
    """A whole sentence for each kind and direction (translators get the full phrase)."""
    inbound = direction == "inbound"
    titles = {
        "call": (_("Call from the customer"), _("Call to the customer")),
        "visit": (_("Visit by the customer"), _("Visit to the customer")),
        "email": (_("Email from the customer"), _("Email to the customer")),
        "letter": (_("Letter from the customer"), _("Letter to the customer")),
        "chat": (_("Chat started by the customer"), _("Chat started by us")),
        "social": (
            _("Social media message from the customer"),
            _("Social media message to the customer"),
        ),
        "event": (_("Event the customer asked about"), _("Event we invited the customer to")),
    }
    pair = titles.get(kind)
    if pair is None:
        return kind
    return pair[0] if inbound else pair[1]


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
            title=interaction_title(i.kind, i.direction),
            body=(f"{i.subject}: " if i.subject else "") + i.summary,
            actor=i.staff.get_username() if i.staff else "",
        )
        for i in rows
    ]


def message_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    """Messages sent (or held back) to the customer, with their state."""
    from rapport.communications.models import OutboundMessage
    from rapport.customers.choices import Channel

    labels = dict(Channel.choices)
    rows = OutboundMessage.objects.filter(customer_id=customer_id).order_by("-created_at")[:limit]
    return [
        TimelineEntry(
            time=m.created_at,
            kind="message",
            title=_("Message to the customer (%(channel)s): %(subject)s")
            % {"channel": labels.get(m.channel, m.channel), "subject": m.subject or "—"},
            body="" if m.state == "sent" else str(m.get_state_display()),
            details={"state": m.state, "reason": m.reason},
        )
        for m in rows
    ]


def interaction_log(*, kind: str = "", mine_only_for: int | None = None) -> QuerySet:
    """Every logged contact, newest first, with customer and staff member (for the log page)."""
    from rapport.communications.models import Interaction

    qs = Interaction.objects.select_related("customer", "staff")
    if kind:
        qs = qs.filter(kind=kind)
    if mine_only_for is not None:
        qs = qs.filter(staff_id=mine_only_for)
    return qs
