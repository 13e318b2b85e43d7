"""Reads of after-sales service: who a recall affects, the technicians' week, the promise
report, the customer panel, the timeline and the cost-to-serve source."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from rapport.core.timeline import TimelineEntry
from rapport.service.choices import CommitmentState, VisitState
from rapport.service.models import (
    Commitment,
    Recall,
    RecallNotice,
    ServiceEvent,
    ServiceRequest,
    Visit,
)


def affected_customer_ids(recall: Recall) -> list[int]:
    """Exactly the customers who bought the product (of the batch, in the order-date range):
    the customer on each order that was not cancelled, and — for orders placed by an
    organisation — every contact person of that organisation. Each customer once (a merged
    customer's orders point at the kept record)."""
    from django.db import connection, transaction

    from rapport.customers.models import OrganisationContact

    # The lines of the product (and batch) from their index, in order-id order, then each
    # line's order from the orders' covering index (id with customer, organisation, status and
    # time): probed in id order, consecutive lines land on the same index pages — 2.5× less work
    # than hashing every order, or than probing in the lines' own order, for the 446,000 lines
    # of the most bought product. PostgreSQL would otherwise hash all the orders.
    where = ["product_id = %s"]
    params: list[Any] = [recall.product_id]
    if recall.batch:
        where.append("batch = %s")
        params.append(recall.batch)
    order_where = ["o.status <> 'cancelled'"]
    zone = timezone.get_current_timezone()
    adapt = connection.ops.adapt_datetimefield_value
    if recall.ordered_from:
        order_where.append("o.ordered_at >= %s")
        params.append(adapt(datetime.combine(recall.ordered_from, time.min, zone)))
    if recall.ordered_to:
        order_where.append("o.ordered_at < %s")
        params.append(
            adapt(datetime.combine(recall.ordered_to + timedelta(days=1), time.min, zone))
        )
    pg = connection.vendor == "postgresql"
    lines = (  # the conditions are the fixed texts above; every value is a parameter
        f"FROM (SELECT order_id FROM sales_orderline WHERE {' AND '.join(where)} "  # noqa: S608
        f"ORDER BY order_id{' OFFSET 0' if pg else ''}) AS l "
        f"JOIN sales_order o ON o.id = l.order_id WHERE {' AND '.join(order_where)}"
    )
    settings = {  # for this statement only (a caller's transaction goes on without them)
        "jit": "off",
        "enable_hashjoin": "off",
        "enable_mergejoin": "off",
        # No cache of the orders read: nearly every line has an order of its own, so it missed
        # 96 % of the time and keeping it cost more than the reads (1.7 s → 1.0 s).
        "enable_memoize": "off",
        "max_parallel_workers_per_gather": "0",
        "work_mem": "64MB",
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:
            # The customers sorted and each once, and the organisations, as two arrays: a
            # third of a million rows would cost more to send and to gather in Python.
            cursor.execute("; ".join(f"SET LOCAL {k} = '{v}'" for k, v in settings.items()))
            cursor.execute(
                "SELECT array_agg(DISTINCT o.customer_id ORDER BY o.customer_id), "
                "array_agg(DISTINCT o.organisation_id) "
                f"FILTER (WHERE o.organisation_id IS NOT NULL) {lines}",
                params,
            )
            customers, organisations = cursor.fetchone()
            cursor.execute("; ".join(f"RESET {name}" for name in settings))
        else:
            cursor.execute(f"SELECT DISTINCT o.customer_id, o.organisation_id {lines}", params)
            pairs = cursor.fetchall()
            customers = sorted({customer for customer, _org in pairs})
            organisations = {org for _customer, org in pairs if org is not None}
    customers, organisations = customers or [], organisations or []
    if not organisations:
        return list(customers)
    through = OrganisationContact.objects.filter(organisation_id__in=organisations).values_list(
        "person_id", flat=True
    )
    return sorted(set(customers) | set(through))


def week_calendar(technician_id: int | None, monday: date) -> dict[str, Any]:
    """A technician's (or everyone's) visits in the week starting `monday`, by day."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(monday, time.min, zone)
    end = start + timedelta(days=7)
    visits = (
        Visit.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .exclude(state=VisitState.CANCELLED)
        .select_related("customer", "technician", "product")
        .order_by("starts_at", "pk")
    )
    if technician_id:
        visits = visits.filter(technician_id=technician_id)
    days: list[tuple[date, list[Visit]]] = [(monday + timedelta(days=i), []) for i in range(7)]
    for v in visits:
        index = (timezone.localtime(v.starts_at, zone).date() - monday).days
        if 0 <= index < 7:
            days[index][1].append(v)
    return {"days": days, "monday": monday}


def due_maintenance(limit: int = 100) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(state=VisitState.DUE)
        .select_related("customer", "product")
        .order_by("due_on", "pk")[:limit]
    )


def promise_report(*, since: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Kept and broken promises per person and per department (closed since `since`), and each
    person's open and overdue ones."""
    from django.contrib.auth import get_user_model

    from rapport.staff.models import Department

    qs = Commitment.objects.all()
    if since is not None:
        qs = qs.filter(Q(closed_at__gte=since) | Q(state=CommitmentState.OPEN))
    now = timezone.now()
    counts = {
        "kept": Count("pk", filter=Q(state=CommitmentState.KEPT)),
        "broken": Count("pk", filter=Q(state=CommitmentState.BROKEN)),
        "open": Count("pk", filter=Q(state=CommitmentState.OPEN)),
        "overdue": Count("pk", filter=Q(state=CommitmentState.OPEN, due_at__lt=now)),
    }
    by_owner = list(qs.values("owner_id").annotate(**counts).order_by("-broken", "owner_id"))
    users = {
        u.pk: u.get_username()
        for u in get_user_model().objects.filter(pk__in=[r["owner_id"] for r in by_owner])
    }
    by_department = list(
        qs.values("department_id").annotate(**counts).order_by("-broken", "department_id")
    )
    departments = {
        d.pk: str(d)
        for d in Department.objects.filter(pk__in=[r["department_id"] for r in by_department])
    }
    for r in by_owner:
        r["name"] = users.get(r["owner_id"], "—")
    for r in by_department:
        r["name"] = departments.get(r["department_id"], "—")
    return {"by_owner": by_owner, "by_department": by_department}


def commitment_queue(*, owner_id: int | None = None, state: str = CommitmentState.OPEN) -> QuerySet:
    qs = Commitment.objects.select_related("customer", "owner", "department")
    if state:
        qs = qs.filter(state=state)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs


def customer_service(customer_id: int) -> dict[str, Any]:
    """Two queries: the promises (open first) and the latest requests. Visits, maintenance and
    notices are on the timeline."""
    return {
        "commitments": list(
            Commitment.objects.filter(customer_id=customer_id)
            .select_related("owner")
            .order_by("-state", "-due_at")[:10]
        ),
        "requests": list(
            ServiceRequest.objects.filter(customer_id=customer_id).order_by("-created_at")[:5]
        ),
    }


def customer_commitments(customer_id: int) -> list[Commitment]:
    return list(
        Commitment.objects.filter(customer_id=customer_id).order_by("-state", "-due_at")[:20]
    )


def service_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = ServiceEvent.objects.filter(customer_id=customer_id).order_by("-time", "-pk")[:limit]
    return [
        TimelineEntry(time=e.time, kind="service", title=e.sentence(), actor=e.user_name)
        for e in rows
    ]


def cost_to_serve_source(end: datetime) -> Any:
    """customer_id, month, amount: parts and labour of the service visits done before `end`."""
    import polars as pl
    from django.db.models import F, Sum
    from django.db.models.functions import TruncMonth

    rows = (
        Visit.objects.filter(state=VisitState.DONE, done_at__lt=end)
        .annotate(month=TruncMonth("done_at"))
        .values("customer_id", "month")
        .annotate(amount=Sum(F("parts_cost") + F("labour_cost")))
        .order_by()
    )
    data = [
        (
            r["customer_id"],
            r["month"].date() if hasattr(r["month"], "date") else r["month"],
            float(r["amount"] or 0),
        )
        for r in rows
    ]
    return pl.DataFrame(
        {
            "customer_id": [d[0] for d in data],
            "month": [d[1] for d in data],
            "amount": [d[2] for d in data],
        },
        schema={"customer_id": pl.Int64, "month": pl.Date, "amount": pl.Float64},
    )


def filter_customers_by_promise(queryset: QuerySet, value: str) -> QuerySet:
    """Customers with an open promise ("open"), an overdue one ("overdue") or a broken one."""
    now = timezone.now()
    conditions = {
        "open": Q(state=CommitmentState.OPEN),
        "overdue": Q(state=CommitmentState.OPEN, due_at__lt=now),
        "broken": Q(state=CommitmentState.BROKEN),
    }
    if value not in conditions:
        return queryset.none()
    return queryset.filter(
        pk__in=Commitment.objects.filter(conditions[value]).values("customer_id")
    )


def recall_counts(recall: Recall) -> dict[str, int]:
    return RecallNotice.objects.filter(recall=recall).aggregate(
        notified=Count("pk", filter=Q(notified_at__isnull=False)),
        acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        repair=Count("pk", filter=Q(remedy="repair")),
        exchange=Count("pk", filter=Q(remedy="exchange")),
        refund=Count("pk", filter=Q(remedy="refund")),
    )


def article_search(
    query: str, *, language: str = "", public_only: bool = True, limit: int = 50
) -> list[Any]:
    """Articles whose title or text contains the query (any language; Chinese too: a plain
    substring match needs no word splitting), the reader's language first."""
    from rapport.service.models import ArticleText

    qs = ArticleText.objects.select_related("article", "article__product")
    if public_only:
        qs = qs.filter(article__public=True)
    query = (query or "").strip().casefold()
    if query:
        qs = qs.filter(search_text__contains=query)
    rows = list(qs.order_by("-article__resolved_count", "article_id")[: limit * 4])
    best: dict[int, Any] = {}
    for row in rows:
        current = best.get(row.article_id)
        if current is None or (row.language == language and current.language != language):
            best[row.article_id] = row
    return list(best.values())[:limit]


def visit_link(pk: int, customer_id: int) -> tuple[str, str] | None:
    """(label, url) of the customer's service visit, for records that point at it (a complaint
    against a visit, through rapport.core.registry's linkable records)."""
    from django.urls import reverse

    visit = Visit.objects.filter(pk=pk, customer_id=customer_id).first()
    if visit is None:
        return None
    url = reverse("service:request_detail", args=[visit.request_id]) if visit.request_id else ""
    return _visit_label(visit), url


def visit_choices(customer_id: int) -> list[tuple[int, str]]:
    visits = Visit.objects.filter(customer_id=customer_id).order_by("-starts_at", "-pk")[:20]
    return [(v.pk, _visit_label(v)) for v in visits]


def _visit_label(visit: Visit) -> str:
    when = visit.starts_at or visit.due_on
    if isinstance(when, datetime):
        when = timezone.localdate(when)  # the local day of the visit, not the UTC one
    day = when.isoformat() if when else ""
    return f"{visit.get_kind_display()} {day}".strip()
