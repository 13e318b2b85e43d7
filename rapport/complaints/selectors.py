"""Reads about complaints: the scoped querysets every page and endpoint starts from, queues,
timelines. Department staff see only their own departments' complaints: every read goes through
`visible_complaints(user)`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.complaints import rules
from rapport.complaints.choices import (
    CLOSED_STATES,
    Category,
    Channel,
    EventType,
    State,
)
from rapport.complaints.models import Complaint, ComplaintEvent, Remedy
from rapport.core.pagination import Page, encode_cursor, keyset_page
from rapport.core.timeline import TimelineEntry

ORDERING = ["due_at", "id"]  # the most urgent deadline first
TABS = ("mine", "department", "approval", "overdue", "all")
FILTERS = ("state", "category", "channel", "department", "product", "cause", "age", "customer")


def tab_labels() -> list[tuple[str, str]]:
    return [
        ("mine", _("Mine")),
        ("department", _("My department")),
        ("approval", _("Awaiting my approval")),
        ("overdue", _("Overdue")),
        ("all", _("All")),
    ]


def visible_complaints(user: Any) -> QuerySet[Complaint]:
    """The complaints `user` may see (row-level scoping)."""
    qs = Complaint.objects.all()
    if rules.department_scoped(user):
        qs = qs.filter(department_id__in=rules.user_department_ids(user))
    return qs


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def queue(user: Any, tab: str = "all", filters: dict[str, Any] | None = None) -> QuerySet:
    """One queue, filtered, for keyset paging by (due_at, id): the most urgent first."""
    filters = filters or {}
    qs = visible_complaints(user).select_related("customer", "department", "cause", "product")
    open_only = Q(active=True)  # not closed: one index range (active, due_at, id)
    if tab == "mine":  # for export; a page of it is `queue_page`'s two index ranges
        qs = qs.filter(open_only, assignee=user) | qs.filter(
            open_only, assignee__isnull=True, created_by=user
        )
    elif tab == "department":
        qs = qs.filter(open_only, department_id__in=rules.user_department_ids(user))
    elif tab == "approval":
        roles = rules.user_roles(user)
        states = []
        if roles & {"manager", "administrator"}:
            states.append(State.REMEDY_PROPOSED)
        if "administrator" in roles:
            states.append(State.SECOND_APPROVAL)
        qs = qs.filter(state__in=states).exclude(
            remedies__state=Remedy.PROPOSED, remedies__proposed_by=user
        )
    elif tab == "overdue":
        qs = qs.filter(open_only, waiting_since__isnull=True, due_at__lt=timezone.now())
    state = filters.get("state") or ""
    if state in State.values:
        qs = qs.filter(state=state)
    elif state == "open":
        qs = qs.filter(open_only)
    if (filters.get("category") or "") in Category.values:
        qs = qs.filter(category=filters["category"])
    if (filters.get("channel") or "") in Channel.values:
        qs = qs.filter(channel=filters["channel"])
    for name in ("department", "product", "cause", "customer"):
        value = _int(filters.get(name))
        if value is not None:
            qs = qs.filter(**{f"{name}_id": value})
    age = _int(filters.get("age"))
    if age is not None and age >= 0:
        qs = qs.filter(received_at__lte=timezone.now() - timedelta(days=age))
    return qs


def queue_page(
    user: Any,
    tab: str = "all",
    filters: dict[str, Any] | None = None,
    *,
    cursor: str | None = None,
    size: int = 50,
) -> Page:
    """One keyset page of a queue by (due_at, id). The "mine" tab is two index ranges — open and
    assigned to me; open, unassigned and recorded by me — each paged on its own and the two pages
    merged: an OR of the two is a scan of every open complaint on SQLite."""
    if tab != "mine":
        return keyset_page(queue(user, tab, filters), ordering=ORDERING, cursor=cursor, size=size)
    mine = queue(user, "all", filters).filter(active=True)
    # Each range gives its first keys only (its index), the page's rows are read once after.
    pages = [
        keyset_page(branch.values("id", "due_at"), ordering=ORDERING, cursor=cursor, size=size)
        for branch in (
            mine.filter(assignee=user),
            mine.filter(assignee__isnull=True, created_by=user),
        )
    ]
    keys = sorted((r["due_at"], r["id"]) for p in pages for r in p.items)
    more = len(keys) > size or any(p.next_cursor for p in pages)
    keys = keys[:size]
    rows = list(mine.filter(pk__in=[pk for _due, pk in keys]).order_by(*ORDERING)) if keys else []
    return Page(items=rows, next_cursor=encode_cursor(list(keys[-1])) if more and keys else None)


def complaint_for(user: Any, pk: int) -> Complaint:
    """One complaint the user may see (DoesNotExist otherwise: a 404, not a hint it exists)."""
    return (
        visible_complaints(user)
        .select_related(
            "customer", "department", "cause", "product", "order", "assignee", "staff_member"
        )
        .get(pk=pk)
    )


def complaint_events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("time", "pk"))


def latest_remedy(complaint: Complaint) -> Remedy | None:
    return (
        Remedy.objects.filter(complaint=complaint)
        .prefetch_related("approvals")
        .order_by("-pk")
        .first()
    )


def complaint_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    """The customer timeline's complaint entries: each step of each complaint."""
    from django.urls import reverse

    rows = (
        ComplaintEvent.objects.filter(customer_id=customer_id)
        .select_related("complaint")
        .only(
            "time",
            "type",
            "parameters",
            "action",
            "from_state",
            "to_state",
            "user_name",
            "complaint__reference",
        )
        .order_by("-time", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            time=e.time,
            kind="complaint",
            title=_("Complaint %(reference)s") % {"reference": e.complaint.reference},
            body=e.sentence(),
            url=reverse("complaints:detail", args=[e.complaint_id]),
            actor=e.user_name,
        )
        for e in rows
    ]


def customer_complaints(customer_id: int, user: Any, limit: int = 10) -> list[Complaint]:
    return list(
        visible_complaints(user)
        .filter(customer_id=customer_id)
        .select_related("department")
        .order_by("-received_at")[:limit]
    )


def filter_customers_by_complaint_state(queryset: QuerySet, value: str) -> QuerySet:
    """Customers with a complaint in this state ("open": any not closed)."""
    if value == "open":
        ids = Complaint.objects.exclude(state__in=CLOSED_STATES).values("customer_id")
    elif value in State.values:
        ids = Complaint.objects.filter(state=value).values("customer_id")
    else:
        return queryset.none()
    return queryset.filter(pk__in=ids)


def escalation_events(complaint: Complaint) -> QuerySet:
    return ComplaintEvent.objects.filter(complaint=complaint, type=EventType.ESCALATED)
