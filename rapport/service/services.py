"""Every write of after-sales service: requests, visits, routine maintenance, commitments and
recalls. Customers are contacted only through communications.message_send."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.core.actors import Actor
from rapport.core.choices import ChangeAction
from rapport.core.events import emit
from rapport.core.exceptions import ValidationError
from rapport.core.services import record_change, versioned_update
from rapport.core.worktime import WorkCalendar, WorkClock
from rapport.sales.selectors import require_product
from rapport.service.choices import (
    CommitmentState,
    RecallState,
    Remedy,
    RequestState,
    ServiceKind,
    VisitState,
)
from rapport.service.models import (
    Article,
    ArticleText,
    Attendance,
    Commitment,
    Recall,
    RecallNotice,
    ServiceEvent,
    ServiceInterval,
    ServiceRequest,
    TrainingSession,
    Visit,
)


def _check_choice(value: str, choices: Any, field: str) -> None:
    if value not in choices.values:
        raise ValidationError(
            {field: [_("“%(value)s” is not one of the choices.") % {"value": value}]}
        )


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise ValidationError({field: [_("Enter an amount.")]}) from None
    if amount < 0:
        raise ValidationError({field: [_("Enter an amount of zero or more.")]})
    return amount.quantize(Decimal("0.01"))


# Requests and visits -------------------------------------------------------------------------


@transaction.atomic
def request_open(
    *,
    by: Actor,
    customer_id: int,
    kind: str,
    description: str,
    product_id: int | None = None,
    order_id: int | None = None,
    department_id: int | None = None,
    recall_notice_id: int | None = None,
) -> ServiceRequest:
    require_product(product_id)
    _check_choice(kind, ServiceKind, "kind")
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": [_("Say what the customer needs.")]})
    request = ServiceRequest.objects.create(
        customer_id=customer_id,
        kind=kind,
        description=description,
        product_id=product_id,
        order_id=order_id,
        department_id=department_id,
        recall_notice_id=recall_notice_id,
    )
    record_change(
        obj=request,
        action=ChangeAction.CREATE,
        by=by,
        customer_id=customer_id,
        changes={"kind": [None, kind], "description": [None, description]},
    )
    emit(
        ServiceEvent,
        by=by,
        type="request_opened",
        customer_id=customer_id,
        parameters={"kind": str(ServiceKind(kind).label), "request": request.pk},
    )
    return request


@transaction.atomic
def visit_schedule(
    *,
    by: Actor,
    customer_id: int,
    kind: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    technician_id: int | None = None,
    request_id: int | None = None,
    product_id: int | None = None,
    visit_id: int | None = None,
) -> Visit:
    """Book a visit (or schedule a due routine one, `visit_id`). A technician cannot be in two
    places at once."""
    require_product(product_id)
    _check_choice(kind, ServiceKind, "kind")
    ends_at = ends_at or starts_at + timedelta(hours=1)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("The visit must end after it starts.")]})
    if technician_id:
        clash = Visit.objects.filter(
            technician_id=technician_id,
            state=VisitState.SCHEDULED,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        if visit_id:
            clash = clash.exclude(pk=visit_id)
        if clash.exists():
            raise ValidationError(
                {"technician_id": [_("The technician has another visit at that time.")]}
            )
    if visit_id:
        visit = Visit.objects.select_for_update().get(pk=visit_id)
        visit.starts_at, visit.ends_at, visit.technician_id = starts_at, ends_at, technician_id
        visit.state = VisitState.SCHEDULED
        visit.version += 1
        visit.save()
    else:
        visit = Visit.objects.create(
            customer_id=customer_id,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            technician_id=technician_id,
            request_id=request_id,
            product_id=product_id,
            state=VisitState.SCHEDULED,
        )
    record_change(
        obj=visit,
        action=ChangeAction.CREATE if not visit_id else ChangeAction.UPDATE,
        by=by,
        customer_id=customer_id,
        changes={
            "starts_at": [None, starts_at.isoformat()],
            "technician_id": [None, technician_id],
        },
    )
    emit(
        ServiceEvent,
        by=by,
        type="visit_scheduled",
        customer_id=customer_id,
        parameters={
            "kind": str(ServiceKind(kind).label),
            "when": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M"),
            "visit": visit.pk,
        },
    )
    return visit


def visit_done(
    *,
    by: Actor,
    visit_id: int,
    parts_cost: Any = 0,
    labour_minutes: int = 0,
    labour_cost: Any = 0,
    notes: str = "",
    expected_version: int | None = None,
) -> Visit:
    """Record a visit as done with its parts and labour (they count as cost to serve). The
    "visit_done" event lets the surveys app ask the customer how it went."""
    parts, labour = _money(parts_cost, "parts_cost"), _money(labour_cost, "labour_cost")
    if int(labour_minutes) < 0:
        raise ValidationError({"labour_minutes": [_("Enter zero or more minutes.")]})

    def apply(visit: Visit) -> None:
        if visit.state == VisitState.DONE:
            raise ValidationError({"state": [_("This visit is done already.")]})
        if visit.state == VisitState.CANCELLED:
            raise ValidationError({"state": [_("This visit was cancelled.")]})
        visit.state, visit.done_at = VisitState.DONE, timezone.now()
        visit.parts_cost, visit.labour_cost, visit.labour_minutes = (
            parts,
            labour,
            int(labour_minutes),
        )
        visit.notes = (notes or "").strip()

    with transaction.atomic():
        visit, _changes = versioned_update(
            model=Visit,
            pk=visit_id,
            by=by,
            expected_version=expected_version,
            apply=apply,
            customer_id=lambda v: v.customer_id,
        )
        if (
            visit.request_id
            and not Visit.objects.filter(
                request_id=visit.request_id, state__in=(VisitState.DUE, VisitState.SCHEDULED)
            ).exists()
        ):
            ServiceRequest.objects.filter(pk=visit.request_id, state=RequestState.OPEN).update(
                state=RequestState.DONE, updated_at=timezone.now()
            )
        department_id = (
            ServiceRequest.objects.filter(pk=visit.request_id)
            .values_list("department_id", flat=True)
            .first()
            if visit.request_id
            else None
        )
        emit(
            ServiceEvent,
            by=by,
            type="visit_done",
            customer_id=visit.customer_id,
            parameters={
                "kind": str(ServiceKind(visit.kind).label),
                "visit": visit.pk,
                "product": visit.product_id,
                "department": department_id,
            },
        )
    return visit


# Routine maintenance -------------------------------------------------------------------------


@transaction.atomic
def interval_set(*, by: Actor, product_id: int, months: int | None) -> ServiceInterval | None:
    """Set (or with None, clear) how often a product needs maintenance."""
    require_product(product_id)
    if months is None:
        ServiceInterval.objects.filter(product_id=product_id).delete()
        return None
    if not 1 <= int(months) <= 240:
        raise ValidationError({"months": [_("Between 1 and 240 months.")]})
    interval, _created = ServiceInterval.objects.update_or_create(
        product_id=product_id, defaults={"months": int(months)}
    )
    return interval


# Routine maintenance, written by the database: for each paid or delivered order line of a product
# with a service interval, the purchase day (the order's local day) + k × interval months for the
# few k that can fall in the window, kept on the same day of the month or the month's last day
# (as rapport.service.schedule.add_months), one visit per line and due day (the routine key).
# On PostgreSQL the local day and month come from the session's time zone, set to the business's
# for the statement (a quarter of the cost of `AT TIME ZONE` with its name, per line); k runs only
# over the multiples of the interval that land in the window's months (%(first)s to %(last)s,
# months counted as year × 12 + month), as a set-returning function in the select list: no
# lateral join, so the lines join their orders by one hash table shared by parallel workers.
PG_ROUTINE_DUE = (
    "CREATE TEMPORARY TABLE service_routine_due ON COMMIT DROP AS "
    "SELECT line, product, customer, due_on FROM ("
    "SELECT line, product, customer, (bought + make_interval(months => k * months))::date "
    "AS due_on FROM ("
    "SELECT l.id AS line, l.product_id AS product, o.customer_id AS customer, "
    "o.ordered_at::date AS bought, si.months AS months, generate_series("
    "(GREATEST(%(first)s - (date_part('year', o.ordered_at) * 12 "
    "+ date_part('month', o.ordered_at))::int, si.months) + si.months - 1) / si.months, "
    "(%(last)s - (date_part('year', o.ordered_at) * 12 "
    "+ date_part('month', o.ordered_at))::int) / si.months) AS k "
    "FROM sales_orderline l JOIN service_serviceinterval si ON si.product_id = l.product_id "
    "JOIN sales_order o ON o.id = l.order_id "
    "WHERE l.product_id = ANY(%(products)s) AND si.months >= 1 "
    "AND o.status IN ('paid', 'delivered')) AS ks) AS due "
    "WHERE due_on BETWEEN %(start)s AND %(end)s"
)
PG_ROUTINE_INSERT = (
    "WITH written AS (INSERT INTO service_visit (customer_id, product_id, due_on, routine_key, "
    "kind, state, version, created_at, updated_at, parts_cost, labour_minutes, labour_cost, "
    "notes) SELECT customer, product, due_on, line || ':' || to_char(due_on, 'YYYY-MM-DD'), "
    "%(kind)s, %(state)s, 1, %(now)s, %(now)s, 0, 0, 0, '' FROM service_routine_due"
    " ON CONFLICT (routine_key) DO NOTHING RETURNING 1) "
    "SELECT count(*) FROM written"
)

# SQLite: the same from the ISO text of the local purchase day (Django's own function for it, as
# TruncDate uses), the month's length by arithmetic, and k over a short series.
SQLITE_ROUTINE_INSERT = (
    "WITH RECURSIVE steps(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM steps WHERE n < %(steps)s), "
    "owned AS MATERIALIZED (SELECT l.id AS line, l.product_id AS product, "
    "o.customer_id AS customer, django_datetime_cast_date(o.ordered_at, %(zone)s, %(db_zone)s) "
    "AS bought, si.months AS months "
    "FROM service_serviceinterval si JOIN sales_orderline l ON l.product_id = si.product_id "
    "JOIN sales_order o ON o.id = l.order_id "
    "WHERE si.months >= 1 AND o.status IN ('paid', 'delivered')), "
    "parts AS (SELECT line, product, customer, months, "
    "CAST(substr(bought, 1, 4) AS INTEGER) AS y, CAST(substr(bought, 6, 2) AS INTEGER) AS m, "
    "CAST(substr(bought, 9, 2) AS INTEGER) AS d FROM owned), "
    "span AS (SELECT parts.*, (%(start_y)s - y) * 12 + %(start_m)s - m AS to_start, "
    "(%(end_y)s - y) * 12 + %(end_m)s - m AS to_end FROM parts), "
    "ks AS (SELECT line, product, customer, y, d, m - 1 + k * months AS total FROM ("
    "SELECT span.*, max(1, to_start / months) + n AS k FROM span JOIN steps "
    "WHERE to_end >= months) WHERE k <= to_end / months), "
    "ym AS (SELECT line, product, customer, d, y + total / 12 AS ty, total %% 12 + 1 AS tm "
    "FROM ks), "
    "due AS (SELECT line, product, customer, printf('%%04d-%%02d-%%02d', ty, tm, min(d, "
    "CASE WHEN tm = 2 THEN CASE WHEN ty %% 4 = 0 AND (ty %% 100 != 0 OR ty %% 400 = 0) "
    "THEN 29 ELSE 28 END WHEN tm IN (4, 6, 9, 11) THEN 30 ELSE 31 END)) AS due_on FROM ym) "
    "INSERT INTO service_visit (customer_id, product_id, due_on, routine_key, kind, state, "
    "version, created_at, updated_at, parts_cost, labour_minutes, labour_cost, notes) "
    "SELECT customer, product, due_on, line || ':' || due_on, %(kind)s, %(state)s, 1, "
    "%(now)s, %(now)s, 0, 0, 0, '' FROM due WHERE due_on BETWEEN %(start)s AND %(end)s"
    " ON CONFLICT (routine_key) DO NOTHING"
)


def maintenance_generate(*, by: Actor, today: date | None = None, horizon_days: int = 30) -> int:
    """Create the routine-maintenance visits due from today to `horizon_days` ahead, from what
    customers own (paid or delivered order lines of products with a service interval, from the
    purchase day). Safe to run again: each line and due date gets one visit. One statement in
    the database, whatever the number of owned products (no row passes through Python)."""
    from rapport.sales.choices import COUNTED_STATUSES

    # The statements name the counted statuses: they must stay the same.
    assert set(COUNTED_STATUSES) == {"paid", "delivered"}  # noqa: S101
    today = today or timezone.localdate()
    end = today + timedelta(days=horizon_days)
    shortest = ServiceInterval.objects.filter(months__gte=1).order_by("months").first()
    if shortest is None:
        return 0
    ops = connection.ops
    params: dict[str, Any] = {
        "zone": timezone.get_current_timezone_name(),
        "start": ops.adapt_datefield_value(today),
        "end": ops.adapt_datefield_value(end),
        "kind": ServiceKind.MAINTENANCE.value,
        "state": VisitState.DUE.value,
        "now": ops.adapt_datetimefield_value(timezone.now()),
    }
    if connection.vendor == "postgresql":
        sql = PG_ROUTINE_INSERT
        params.update(
            first=today.year * 12 + today.month,
            last=end.year * 12 + end.month,
            products=list(
                ServiceInterval.objects.filter(months__gte=1).values_list("product_id", flat=True)
            ),
        )
    else:
        sql = SQLITE_ROUTINE_INSERT
        params.update(
            db_zone=connection.timezone_name,
            start_y=today.year,
            start_m=today.month,
            end_y=end.year,
            end_m=end.month,
            # k runs from to_start // months to to_end // months: at most this many more.
            steps=((end.year - today.year) * 12 + end.month - today.month) // shortest.months + 1,
        )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One pass over a million owned lines: compiling it (JIT) cost more than running it,
            # and the join's hash table spilled to disk at the default 4 MB. The due visits are
            # selected first on their own — a statement that only reads may run in parallel
            # workers, an INSERT … SELECT may not — then written. The planner, which cannot
            # know how many lines the products with an interval have, otherwise reads each
            # line's order by the index, one random read per line (3× slower at a million).
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute("SELECT current_setting('TimeZone')")
            session_zone = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('TimeZone', %s, true)", [params["zone"]])
            cursor.execute("DROP TABLE IF EXISTS pg_temp.service_routine_due")  # run twice
            cursor.execute(PG_ROUTINE_DUE, params)
            cursor.execute("SELECT set_config('TimeZone', %s, true)", [session_zone])
            cursor.execute("SET LOCAL enable_nestloop = on")
        cursor.execute(sql, params)
        if connection.vendor != "postgresql":  # the rows the INSERT wrote (not every driver
            cursor.execute("SELECT changes()")  # counts a statement that starts with WITH)
        return cursor.fetchone()[0]


def maintenance_reminders_send(*, by: Actor, today: date | None = None, days_ahead: int = 7) -> int:
    """Remind customers, once per visit, of routine maintenance due within `days_ahead`."""
    from rapport.communications.services import message_send

    today = today or timezone.localdate()
    due = Visit.objects.filter(
        state__in=(VisitState.DUE, VisitState.SCHEDULED),
        routine_key__isnull=False,
        reminded_at__isnull=True,
        due_on__gte=today,
        due_on__lte=today + timedelta(days=days_ahead),
    ).select_related("customer", "product")
    count = 0
    for visit in due.iterator(chunk_size=500):
        language = _customer_language(visit.customer)
        with translation.override(language):
            subject = _("Routine maintenance is due")
            body = _(
                "Your %(product)s is due for routine maintenance on %(due)s. Reply or call us "
                "to book a time that suits you."
            ) % {"product": visit.product.name if visit.product else "", "due": visit.due_on}
        with transaction.atomic():
            message_send(
                customer_id=visit.customer_id,
                channel=visit.customer.preferred_channel or "email",
                purpose="service",
                subject=subject,
                body=body,
                idempotency_key=f"maintenance-reminder-{visit.pk}",
                by=by,
                language=language,
                source=("service.visit", visit.pk),
            )
            Visit.objects.filter(pk=visit.pk).update(reminded_at=timezone.now())
            emit(
                ServiceEvent,
                by=by,
                type="maintenance_due",
                customer_id=visit.customer_id,
                parameters={"due": visit.due_on.isoformat() if visit.due_on else ""},
            )
        count += 1
    return count


def _customer_language(customer: Any) -> str:
    codes = {code for code, _label in settings.LANGUAGES}
    language = (customer.preferred_language or "").lower()
    return language if language in codes else settings.LANGUAGE_CODE


# Commitments ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _standard_clock() -> WorkClock:
    return WorkClock(WorkCalendar.standard())


def commitment_clock(department_id: int | None) -> WorkClock:
    from rapport.staff.models import Department
    from rapport.staff.selectors import department_clock

    department = Department.objects.filter(pk=department_id).first() if department_id else None
    return department_clock(department) if department else _standard_clock()


@transaction.atomic
def commitment_make(
    *,
    by: Actor,
    customer_id: int,
    text: str,
    owner_id: int,
    due_at: datetime | None = None,
    within_working_hours: float | None = None,
    department_id: int | None = None,
    request_id: int | None = None,
    now: datetime | None = None,
) -> Commitment:
    """Record a promise. Its due time is either given ("by the 12th") or counted on the
    working-time clock of the department ("within 48 working hours")."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write what was promised.")]})
    now = now or timezone.now()
    if due_at is None:
        if not within_working_hours or within_working_hours <= 0:
            raise ValidationError({"due_at": [_("Say when the promise is due.")]})
        due_at = commitment_clock(department_id).deadline(
            now, timedelta(hours=float(within_working_hours))
        )
    if due_at <= now:
        raise ValidationError({"due_at": [_("A promise is due in the future.")]})
    commitment = Commitment.objects.create(
        customer_id=customer_id,
        text=text[:300],
        due_at=due_at,
        owner_id=owner_id,
        department_id=department_id,
        request_id=request_id,
    )
    record_change(
        obj=commitment,
        action=ChangeAction.CREATE,
        by=by,
        customer_id=customer_id,
        changes={"text": [None, text], "due_at": [None, due_at.isoformat()]},
    )
    emit(
        ServiceEvent,
        by=by,
        type="commitment_made",
        customer_id=customer_id,
        parameters={
            "text": text[:200],
            "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return commitment


def commitment_close(
    *, by: Actor, commitment_id: int, kept: bool, expected_version: int | None = None
) -> Commitment:
    """Mark a promise kept or broken. One kept after its due time counts as broken."""

    def apply(c: Commitment) -> None:
        if c.state != CommitmentState.OPEN:
            raise ValidationError({"state": [_("This promise is closed already.")]})
        now = timezone.now()
        c.state = CommitmentState.KEPT if kept and now <= c.due_at else CommitmentState.BROKEN
        c.closed_at = now

    with transaction.atomic():
        commitment, _changes = versioned_update(
            model=Commitment,
            pk=commitment_id,
            by=by,
            expected_version=expected_version,
            apply=apply,
            customer_id=lambda c: c.customer_id,
        )
        emit(
            ServiceEvent,
            by=by,
            type="commitment_kept"
            if commitment.state == CommitmentState.KEPT
            else "commitment_broken",
            customer_id=commitment.customer_id,
            parameters={"text": commitment.text[:200]},
        )
    return commitment


def commitments_break_overdue(*, by: Actor, now: datetime | None = None) -> int:
    """Open promises past their due time are broken (run by the scheduler)."""
    now = now or timezone.now()
    count = 0
    for pk in Commitment.objects.filter(state=CommitmentState.OPEN, due_at__lt=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            c = Commitment.objects.select_for_update().get(pk=pk)
            if c.state != CommitmentState.OPEN:
                continue
            c.state, c.closed_at = CommitmentState.BROKEN, now
            c.version += 1
            c.save(update_fields=["state", "closed_at", "version", "updated_at"])
            record_change(
                obj=c,
                action=ChangeAction.UPDATE,
                by=by,
                customer_id=c.customer_id,
                changes={"state": [CommitmentState.OPEN.value, CommitmentState.BROKEN.value]},
            )
            emit(
                ServiceEvent,
                by=by,
                type="commitment_broken",
                customer_id=c.customer_id,
                parameters={"text": c.text[:200]},
            )
            count += 1
    return count


RECALL_LINK_PURPOSE = "recall"


# Recalls -------------------------------------------------------------------------------------


def _texts(value: Any, field: str) -> dict[str, str]:
    if isinstance(value, str):
        value = {"en": value}
    texts = {str(k).lower(): str(v).strip() for k, v in (value or {}).items() if str(v).strip()}
    if not texts:
        raise ValidationError({field: [_("Write the text in at least one language.")]})
    return texts


@transaction.atomic
def recall_create(
    *,
    by: Actor,
    product_id: int,
    title: Any,
    body: Any,
    batch: str = "",
    ordered_from: date | None = None,
    ordered_to: date | None = None,
    public: bool = True,
) -> Recall:
    require_product(product_id)
    if ordered_from and ordered_to and ordered_to < ordered_from:
        raise ValidationError({"ordered_to": [_("The end date is before the start date.")]})
    recall = Recall.objects.create(
        product_id=product_id,
        batch=(batch or "").strip()[:40],
        ordered_from=ordered_from,
        ordered_to=ordered_to,
        title=_texts(title, "title"),
        body=_texts(body, "body"),
        public=bool(public),
    )
    record_change(
        obj=recall, action=ChangeAction.CREATE, by=by, changes={"product_id": [None, product_id]}
    )
    return recall


def recall_notify(*, by: Actor, recall_id: int) -> int:
    """Tell every affected customer, in their language, exactly once — a second run (or a run
    after a crash part-way) tells only those not yet told. Returns how many were told now."""
    from rapport.communications.services import message_send
    from rapport.customers.models import Customer
    from rapport.service.selectors import affected_customer_ids

    recall = Recall.objects.get(pk=recall_id)
    if recall.state == RecallState.CLOSED:
        raise ValidationError({"state": [_("This notice is closed.")]})
    ids = affected_customer_ids(recall)
    done = set(
        RecallNotice.objects.filter(recall=recall, notified_at__isnull=False).values_list(
            "customer_id", flat=True
        )
    )
    told = 0
    for customer_id in sorted(set(ids) - done):
        with transaction.atomic():
            notice, _created = RecallNotice.objects.get_or_create(
                recall=recall, customer_id=customer_id
            )
            notice = RecallNotice.objects.select_for_update().get(pk=notice.pk)
            if notice.notified_at is not None:
                continue
            customer = Customer.objects.get(pk=customer_id)
            language = _customer_language(customer)
            from rapport.portal.services import link_issue, link_url

            _link, raw = link_issue(
                customer_id=customer_id,
                purpose=RECALL_LINK_PURPOSE,
                by=by,
                target=("service.recallnotice", notice.pk),
                lifetime=timedelta(days=365),
            )
            with translation.override(language):
                title = recall.text_in("title", language)
                body = (
                    recall.text_in("body", language)
                    + "\n\n"
                    + _(
                        "Please tell us whether you would like a repair, an exchange or a "
                        "refund, here:\n\n%(url)s"
                    )
                    % {"url": link_url(raw)}
                )
            message = message_send(
                customer_id=customer_id,
                channel=customer.preferred_channel or "email",
                purpose="service",  # a safety notice needs no marketing consent
                subject=title,
                body=body,
                idempotency_key=f"recall-{recall.pk}-customer-{customer_id}",
                by=by,
                language=language,
                source=("service.recall", recall.pk),
            )
            notice.language, notice.message_id = language, message.pk
            notice.notified_at = timezone.now()
            notice.save(update_fields=["language", "message_id", "notified_at"])
            emit(
                ServiceEvent,
                by=by,
                type="recall_notified",
                customer_id=customer_id,
                parameters={
                    "title": title,
                    "recall": recall.pk,
                    # For the complaints app: the step on this customer's complaints about it.
                    "product": recall.product_id,
                    "batch": recall.batch,
                    "count": len(ids),
                },
            )
            told += 1
    if recall.state == RecallState.DRAFT:
        Recall.objects.filter(pk=recall.pk).update(
            state=RecallState.SENT, sent_at=timezone.now(), version=recall.version + 1
        )
    return told


@transaction.atomic
def recall_answer(
    *, by: Actor, notice_id: int, remedy: str = "", open_request: bool = True
) -> RecallNotice:
    """The customer acknowledged the notice (and chose a remedy): a service request follows."""
    if remedy:
        _check_choice(remedy, Remedy, "remedy")
    notice = RecallNotice.objects.select_for_update().select_related("recall").get(pk=notice_id)
    notice.acknowledged_at = notice.acknowledged_at or timezone.now()
    if remedy:
        notice.remedy = remedy
    notice.save(update_fields=["acknowledged_at", "remedy"])
    if remedy and open_request and not notice.service_requests.exists():
        kind = {"repair": ServiceKind.REPAIR, "exchange": ServiceKind.EXCHANGE}.get(
            remedy, ServiceKind.RETURN
        )
        request_open(
            by=by,
            customer_id=notice.customer_id,
            kind=kind,
            description=_("Product notice: %(title)s") % {"title": str(notice.recall)},
            product_id=notice.recall.product_id,
            recall_notice_id=notice.pk,
        )
    emit(
        ServiceEvent,
        by=by,
        type="recall_answered",
        customer_id=notice.customer_id,
        parameters={
            "title": str(notice.recall),
            "remedy": str(Remedy(remedy).label) if remedy else "—",
        },
    )
    return notice


# Knowledge and training ----------------------------------------------------------------------


@transaction.atomic
def article_create(
    *,
    by: Actor,
    kind: str,
    texts: dict[str, dict[str, str]],
    product_id: int | None = None,
    public: bool = True,
) -> Article:
    """An article with its title and text per language: {"zh-hans": {"title": …, "body": …}}."""
    from rapport.service.choices import ArticleKind

    _check_choice(kind, ArticleKind, "kind")
    rows = {
        lang.lower(): (str(t.get("title", "")).strip(), str(t.get("body", "")).strip())
        for lang, t in (texts or {}).items()
    }
    rows = {k: v for k, v in rows.items() if v[0] and v[1]}
    if not rows:
        raise ValidationError({"texts": [_("Write a title and a text in at least one language.")]})
    article = Article.objects.create(kind=kind, product_id=product_id, public=bool(public))
    ArticleText.objects.bulk_create(
        ArticleText(
            article=article,
            language=lang,
            title=title[:200],
            body=body,
            search_text=f"{title}\n{body}".casefold(),
        )
        for lang, (title, body) in rows.items()
    )
    record_change(obj=article, action=ChangeAction.CREATE, by=by, changes={"kind": [None, kind]})
    return article


@transaction.atomic
def article_resolved(*, by: Actor, article_id: int, request_id: int | None = None) -> Article:
    """The article answered a customer's question (on a service request, or "this helped")."""
    from django.db.models import F

    Article.objects.filter(pk=article_id).update(resolved_count=F("resolved_count") + 1)
    if request_id:
        ServiceRequest.objects.get(pk=request_id).articles.add(article_id)
    return Article.objects.get(pk=article_id)


@transaction.atomic
def training_create(
    *,
    by: Actor,
    title: str,
    starts_at: datetime,
    place: str = "",
    capacity: int = 20,
    product_id: int | None = None,
) -> TrainingSession:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Give the session a title.")]})
    session = TrainingSession.objects.create(
        title=title[:200],
        starts_at=starts_at,
        place=place.strip(),
        capacity=capacity,
        product_id=product_id,
    )
    record_change(obj=session, action=ChangeAction.CREATE, by=by, changes={"title": [None, title]})
    return session


@transaction.atomic
def attendance_set(
    *, by: Actor, session_id: int, customer_id: int, attended: bool | None = None
) -> Attendance:
    """Register a customer for a session (once) and, afterwards, whether they came."""
    session = TrainingSession.objects.select_for_update().get(pk=session_id)
    row = Attendance.objects.filter(session=session, customer_id=customer_id).first()
    if row is None:
        if session.attendances.count() >= session.capacity:
            raise ValidationError({"session": [_("The session is full.")]})
        row = Attendance.objects.create(session=session, customer_id=customer_id)
        record_change(
            obj=row,
            action=ChangeAction.CREATE,
            by=by,
            customer_id=customer_id,
            changes={"session_id": [None, session_id]},
        )
    if attended is not None and row.attended != attended:
        row.attended = attended
        row.save(update_fields=["attended"])
        record_change(
            obj=row,
            action=ChangeAction.UPDATE,
            by=by,
            customer_id=customer_id,
            changes={"attended": [not attended, attended]},
        )
    return row


# Imports -------------------------------------------------------------------------------------


def visits_import(rows: list[dict[str, Any]], *, by: Actor, note: str = "") -> list[int]:
    """Create visits from checked field dicts (the visits import): history, so no survey is sent
    and no calendar clash is checked; one history row each, and a "visit done" or "visit
    scheduled" line on the customer's timeline."""
    from rapport.core.actors import actor_name, actor_user
    from rapport.core.bulk import History

    if not rows:
        return []
    objs = [
        Visit(**{k: v for k, v in row.items() if v is not None or k == "ends_at"}) for row in rows
    ]
    for visit in objs:
        if visit.starts_at and not visit.ends_at:
            visit.ends_at = visit.starts_at + timedelta(hours=1)
    user, name = actor_user(by), actor_name(by)[:150]
    with transaction.atomic():
        created = Visit.objects.bulk_create(objs, batch_size=1000)
        events = []
        for v in created:
            when = v.done_at or v.starts_at
            if v.state not in (VisitState.DONE, VisitState.SCHEDULED) or when is None:
                continue
            events.append(
                ServiceEvent(
                    customer_id=v.customer_id,
                    time=when,
                    user=user,
                    user_name=name,
                    type="visit_done" if v.state == VisitState.DONE else "visit_scheduled",
                    parameters={
                        "kind": str(ServiceKind(v.kind).label),
                        "when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M"),
                        "visit": v.pk,
                    },
                )
            )
        ServiceEvent.objects.bulk_create(events, batch_size=2000)
        history = History(Visit, by)
        for v in created:
            history.created(v.pk, str(v), v.customer_id, note)
        history.flush()
    return [v.pk for v in created]


def recall_publish(
    *, by: Actor, product_id: int, batch: str, subject: str, body: str
) -> tuple[int, str]:
    """A notice written elsewhere (the complaints' common problems) as a recall: created, sent to
    every affected customer once, tracked like any other. Returns (told, the recall's page)."""
    from django.urls import reverse

    title, text = _texts(subject, "subject"), _texts(body, "body")
    # The same notice sent again (a double click, a retry) is the same recall: only those not yet
    # told are told.
    recall = next(
        (
            r
            for r in Recall.objects.filter(product_id=product_id, batch=(batch or "").strip())
            .exclude(state=RecallState.CLOSED)
            .order_by("-pk")
            if r.title == title and r.body == text
        ),
        None,
    ) or recall_create(by=by, product_id=product_id, batch=batch, title=title, body=text)
    told = recall_notify(by=by, recall_id=recall.pk)
    return told, reverse("service:recall_detail", args=[recall.pk])
