"""Benchmark: complaint queues, the Pareto chart and the dashboard, the escalation sweep, the
working-time clock and recording a complaint through the API — beside the same queue and report
queries in the shape a generic ticket system runs them (OFFSET paging with a total count, GROUP BY
on the raw event table).

The data set (`--complaints` complaints with `--events` events on `--customers` bare customer
rows) is loaded once by a fast loader — COPY on PostgreSQL; executemany in transactions of 50,000
complaints with synchronous=OFF on SQLite — and reused by later runs (a row in `bench_complaints`
records what was loaded). Use a scratch database: it is migrated and written to.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/rapport_bench_complaints \\
        python bench/complaints_queue.py --complaints 1000000
    DATABASE_URL=sqlite:///var/bench-complaints.sqlite3 python bench/complaints_queue.py ...

States are spread as a complaints desk sees them: most complaints closed (received over the last
three years), the open ones recent (the last 40 days), causes skewed (Pareto); each complaint
has the steps of its state, and customer messages and escalations make up the rest of the events.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
os.environ.setdefault("RAPPORT_API_REQUESTS_PER_MINUTE", "0")

CHUNK = 50_000
# state → the steps (event type, action, from, to) a complaint in that state has been through
FLOW = [
    ("recorded", "", "", "new"),
    ("acknowledged", "", "", ""),
    ("transition", "accept", "new", "accepted"),
    ("transition", "assign", "accepted", "assigned"),
    ("transition", "record_cause", "assigned", "cause_found"),
    ("transition", "propose_remedy", "cause_found", "remedy_proposed"),
    ("transition", "approve", "remedy_proposed", "approved"),
    ("transition", "carry_out", "approved", "carried_out"),
    ("satisfaction", "", "", ""),
    ("transition", "close", "carried_out", "closed"),
]
STEPS = {
    "new": 2,
    "accepted": 3,
    "assigned": 4,
    "cause_found": 5,
    "remedy_proposed": 6,
    "approved": 7,
    "carried_out": 8,
    "closed": 10,
}
STATE_WEIGHTS = [
    ("closed", 62),
    ("not_upheld", 6),
    ("new", 6),
    ("accepted", 4),
    ("assigned", 8),
    ("cause_found", 5),
    ("remedy_proposed", 3),
    ("approved", 2),
    ("carried_out", 4),
]
CHANNELS = ["phone", "letter", "email", "in_person", "portal", "social", "news", "legal"]
CHANNEL_WEIGHTS = [30, 5, 30, 10, 15, 6, 2, 2]
CATEGORIES = ["product_quality", "sales_contract", "transport", "service"]


def timed(fn, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    runs.sort()
    return statistics.median(runs), runs[max(0, int(len(runs) * 0.95 + 0.5) - 1)]


# Loading ---------------------------------------------------------------------------------------


def _marker(connection) -> dict | None:
    with connection.cursor() as c:
        if "bench_complaints" not in connection.introspection.table_names(c):
            return None
        c.execute("SELECT spec FROM bench_complaints")
        row = c.fetchone()
    return json.loads(row[0]) if row else None


def _write_marker(connection, spec: dict) -> None:
    with connection.cursor() as c:
        c.execute("CREATE TABLE IF NOT EXISTS bench_complaints (spec TEXT)")
        c.execute("DELETE FROM bench_complaints")
        c.execute("INSERT INTO bench_complaints (spec) VALUES (%s)", [json.dumps(spec)])


class Writer:
    """Rows into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection):
        self.connection = connection
        self.pg = connection.vendor == "postgresql"

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        cols = ", ".join(columns)
        with self.connection.cursor() as c:
            if self.pg:
                raw = c.cursor
                with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                c.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608


def load(args, log) -> dict:
    """Load the data set unless the same one is there already."""
    from django.db import connection, transaction

    spec = {"complaints": args.complaints, "events": args.events, "customers": args.customers}
    if _marker(connection) == spec:
        log(f"reusing the loaded data set {spec}")
        return spec
    from django.core.management import call_command

    from rapport.complaints import deadlines
    from rapport.complaints.models import Cause, Complaint
    from rapport.staff.models import Department

    if Complaint.objects.exists():
        sys.exit("This database holds complaints that this benchmark did not load: use a new one.")
    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    writer = Writer(connection)
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("PRAGMA synchronous=OFF")
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA cache_size=-400000")
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = connection.ops.adapt_datetimefield_value(now) if connection.vendor == "sqlite" else now
    with connection.cursor() as c:
        c.execute("SELECT COALESCE(MAX(id), 0) FROM customers_customer")
        first_customer = c.fetchone()[0] + 1
    blank = [""] * 13
    cust_cols = [
        "id",
        "created_at",
        "updated_at",
        "version",
        "family_name",
        "given_name",
        "display_name",
        "sort_name",
        "gender",
        "celebrates_lunar_birthday",
        "hobbies",
        "personality",
        "family_situation",
        "occupation",
        "income_band",
        "preferred_language",
        "preferred_channel",
        "source",
        "notes",
        "primary_phone",
        "primary_email",
    ]
    for lo in range(0, args.customers, 200_000):
        hi = min(args.customers, lo + 200_000)
        rows = []
        for i in range(lo, hi):
            name = f"B{i:07d}"
            rows.append(
                (first_customer + i, stamp, stamp, 1, name, "", name, name, "", False, *blank[:11])
            )
        with transaction.atomic():
            writer.write("customers_customer", cust_cols, rows)
        log(f"customers {hi:,} ({time.perf_counter() - started:.0f} s)")

    causes = list(Cause.objects.order_by("pk").values_list("pk", flat=True))
    cause_weights = [1.0 / (k + 1) ** 1.3 for k in range(len(causes))]  # a few causes dominate
    departments = list(Department.objects.values_list("pk", flat=True))
    clock = deadlines.clock_for(None)
    user_ids = _bench_users()
    states = [s for s, _w in STATE_WEIGHTS]
    state_weights = [w for _s, w in STATE_WEIGHTS]
    # events per complaint: its steps, plus messages/escalations to reach --events in total
    base_steps = sum(w * (3 if s == "not_upheld" else STEPS[s]) for s, w in STATE_WEIGHTS) / sum(
        state_weights
    )
    extra_mean = max(0.0, args.events / args.complaints - base_steps)
    comp_cols = [
        "id", "created_at", "updated_at", "version", "reference", "customer_id", "received_at",
        "channel", "target", "batch", "subject_text", "category", "subtype", "request",
        "description", "severity", "language", "state", "validity_reason", "cause_note",
        "responsible", "penalty", "summary", "lesson", "recourse", "acknowledged_at", "decide_due",
        "resolve_due", "due_at", "reopen_count", "closed_at", "cause_id", "department_id",
        "assignee_id", "created_by_id", "product_id",
    ]  # fmt: skip
    ev_cols = [
        "id", "complaint_id", "customer_id", "time", "user_id", "user_name", "type",
        "parameters", "action", "from_state", "to_state", "worked", "milestone", "resolves",
    ]  # fmt: skip
    products = _bench_products(50)
    event_id = 1
    total_events = 0

    def ts(t: datetime):
        return connection.ops.adapt_datetimefield_value(t) if connection.vendor == "sqlite" else t

    for lo in range(0, args.complaints, CHUNK):
        hi = min(args.complaints, lo + CHUNK)
        complaints, events = [], []
        for pk in range(lo + 1, hi + 1):
            state = rng.choices(states, state_weights)[0]
            closed = state in ("closed", "not_upheld")
            age = rng.uniform(0, 1095 * 86400) if closed else rng.uniform(0, 40 * 86400)
            received = now - timedelta(seconds=int(age))
            due = deadlines.initial(received, clock=clock)
            resolve_due = due["resolve_due"]
            due_at = due["decide_due"] if state == "new" else resolve_due
            category = rng.choice(CATEGORIES)
            customer = first_customer + rng.randrange(args.customers)
            cause = rng.choices(causes, cause_weights)[0] if state not in ("new",) else None
            department = rng.choice(departments) if STEPS.get(state, 0) >= 4 else None
            assignee = rng.choice(user_ids) if department and rng.random() < 0.7 else None
            product = rng.choice(products) if category == "product_quality" else None
            ref = f"B{pk:08d}"
            complaints.append(
                (
                    pk, ts(received), ts(received), 1, ref, customer, ts(received),
                    rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0], "free_text", "", "", category, "",
                    "", "bench complaint", "normal", "", state, "", "", "", "", "", "", "",
                    ts(received + timedelta(minutes=2)), ts(due["decide_due"]), ts(resolve_due),
                    ts(due_at), 0, ts(received + timedelta(days=5)) if closed else None, cause,
                    department, assignee, rng.choice(user_ids), product,
                )
            )  # fmt: skip
            steps = (
                [FLOW[0], FLOW[1], ("transition", "reject", "new", "not_upheld")]
                if state == "not_upheld"
                else FLOW[: STEPS[state]]
            )
            t = received
            worked = 0
            for kind, action, frm, to in steps:
                milestone, resolves = "", False
                if kind == "acknowledged":
                    milestone, step = "acknowledge", 120
                elif action in ("accept", "reject"):
                    milestone, step = "decide", rng.randint(600, 30 * 3600)
                    resolves = action == "reject"
                elif action == "carry_out":
                    resolves, step = True, rng.randint(3600, 80 * 3600)
                else:
                    step = 0 if kind == "recorded" else rng.randint(60, 8 * 3600)
                worked += step
                t = t + timedelta(seconds=step * 3)
                params = (
                    f'{{"reference": "{ref}", "channel": "phone"}}' if kind == "recorded" else "{}"
                )
                events.append(
                    (event_id, pk, customer, ts(min(t, now)), None, "bench", kind, params,
                     action, frm, to, worked, milestone, resolves)
                )  # fmt: skip
                event_id += 1
            extra = int(extra_mean) + (rng.random() < extra_mean - int(extra_mean))
            for _ in range(extra):
                kind = "message" if rng.random() < 0.8 else "escalated"
                events.append(
                    (event_id, pk, customer, ts(received + timedelta(hours=rng.randint(1, 400))),
                     None, "bench", kind, '{"text": "bench"}', "", "", "", None, "", False)
                )  # fmt: skip
                event_id += 1
        with transaction.atomic():
            writer.write("complaints_complaint", comp_cols, complaints)
            writer.write("complaints_complaintevent", ev_cols, events)
        total_events += len(events)
        log(f"complaints {hi:,}, events {total_events:,} ({time.perf_counter() - started:.0f} s)")
    _reset_sequences(connection)
    with connection.cursor() as c:  # PostgreSQL: the visibility map, for index-only scans
        c.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    spec["events"] = args.events
    spec["events_loaded"] = total_events
    _write_marker(connection, {k: spec[k] for k in ("complaints", "events", "customers")})
    log(f"loaded in {time.perf_counter() - started:.0f} s ({total_events:,} events)")
    return spec


def _bench_users() -> list[int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    users = []
    for i in range(20):
        user, _new = get_user_model().objects.get_or_create(username=f"bench-agent-{i}")
        user.groups.add(*Group.objects.filter(name__in=["agent"]))
        users.append(user.pk)
    return users


def _bench_products(n: int) -> list[int]:
    from rapport.sales.models import Product

    have = list(Product.objects.filter(sku__startswith="BENCH-").values_list("pk", flat=True))
    for i in range(len(have), n):
        have.append(
            Product.objects.create(sku=f"BENCH-{i}", name=f"Bench product {i}", price=10).pk
        )
    return have


def _reset_sequences(connection) -> None:
    from django.core.management.color import no_style

    from rapport.complaints.models import Complaint, ComplaintEvent
    from rapport.customers.models import Customer

    with connection.cursor() as c:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Customer, Complaint, ComplaintEvent]
        ):
            c.execute(sql)


# Measuring -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=0, help="default: 10 per complaint")
    parser.add_argument("--customers", type=int, default=0, help="default: one per complaint")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument(
        "--as-loaded",
        action="store_true",
        help="measure what a loader (perhaps stopped early) has written; no loading",
    )
    args = parser.parse_args()
    args.events = args.events or args.complaints * 10
    args.customers = args.customers or args.complaints

    import django

    django.setup()

    def log(message: str) -> None:
        print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)

    from django.core.management import call_command
    from django.db import connection

    from rapport.staff.services import roles_sync

    call_command("migrate", verbosity=0)
    roles_sync()
    if not args.as_loaded:
        load(args, log)
    else:
        _reset_sequences(connection)
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    if args.load_only:
        return
    measure(args, log)


def measure(args, log) -> None:  # noqa: C901, PLR0915
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.models import Count
    from django.test import Client, RequestFactory
    from django.utils import timezone

    from rapport.complaints import metrics, reports, views
    from rapport.complaints.deadlines import clock_for
    from rapport.complaints.escalation import escalate
    from rapport.complaints.models import Complaint, ComplaintEvent, EscalatedBreach
    from rapport.complaints.selectors import queue, queue_page
    from rapport.complaints.summary import summary_refresh
    from rapport.core.pagination import encode_cursor
    from rapport.staff.services import token_create

    boss, _new = get_user_model().objects.get_or_create(username="bench-boss")
    boss.groups.add(*Group.objects.filter(name__in=["administrator", "manager", "agent"]))
    boss = get_user_model().objects.get(pk=boss.pk)
    agent = get_user_model().objects.get(username="bench-agent-3")
    total = Complaint.objects.count()
    events = ComplaintEvent.objects.count()
    one = Complaint.objects.order_by("pk").values(
        "department_id", "product_id", "cause_id", "customer_id"
    )[total // 2]
    filters = {
        "none": {},
        "state=open": {"state": "open"},
        "state=assigned": {"state": "assigned"},
        "category=transport": {"category": "transport"},
        "channel=legal": {"channel": "legal"},
        "department": {"department": one["department_id"] or 1},
        "product": {"product": one["product_id"] or 1},
        "cause": {"cause": one["cause_id"] or 1},
        "age≥30 days": {"age": 30},
        "customer": {"customer": one["customer_id"]},
    }
    results: list[tuple[str, float, float, float | None]] = []

    def depth_cursor(qs, depth: float):
        n = qs.count()
        if not n:
            return None, 0
        row = qs.order_by("due_at", "id").values_list("due_at", "id")[int((n - 1) * depth)]
        return encode_cursor([row[0].isoformat(), row[1]]), n

    for label, f in filters.items():
        qs = queue(boss, "all", f)
        for depth in (0.0, 0.5, 0.9):
            cursor, n = depth_cursor(qs, depth) if depth else (None, qs.count())
            ours = timed(
                lambda f=f, cursor=cursor: queue_page(boss, "all", f, cursor=cursor, size=50).items,
                args.repeat,
            )
            offset = int((n - 1) * depth) if n else 0

            def generic(f=f, offset=offset):
                q = queue(boss, "all", f)
                q.count()  # the generic list shows "page 9,001 of 10,000"
                return list(q.order_by("due_at", "id")[offset : offset + 50])

            theirs = timed(generic, 1)  # seconds deep in the queue: once is enough for the ratio
            results.append(
                (f"queue {label}, depth {int(depth * 100)} % ({n:,} rows)", *ours, theirs[1])
            )
            log(results[-1])
    for tab in ("mine", "department", "approval", "overdue"):
        ours = timed(lambda tab=tab: queue_page(agent, tab, {}, size=50).items, args.repeat)
        results.append((f"queue tab {tab}, first page (an agent)", *ours, None))
        log(results[-1])

    api = Client(headers={"Authorization": f"Bearer {token_create(user=boss, name='bench')[1]}"})
    cursor, _n = depth_cursor(queue(boss, "all", {}), 0.9)
    api.get("/api/v1/complaints", {"cursor": cursor})  # the process's first API call warms up
    results.append(
        (
            "API GET /complaints, depth 90 %",
            *timed(
                lambda: api.get("/api/v1/complaints", {"cursor": cursor}).status_code,
                args.repeat,
            ),
            None,
        )
    )
    log(results[-1])

    for by in reports.PARETO_BY:
        ours = timed(lambda by=by: reports.pareto(by), max(5, args.repeat // 2))
        results.append(
            (f"Pareto by {by}, live GROUP BY (what the summary refresh runs)", *ours, None)
        )
        log(results[-1])
    results.append(
        (
            "figures (times, on-time, reopen, first contact)",
            *timed(metrics.all_figures, max(5, args.repeat // 2)),
            None,
        )
    )
    log(results[-1])
    # The dashboard reads the summary the schedule keeps (every 15 minutes): its refresh, once.
    t = time.perf_counter()
    refresh = summary_refresh()
    results.append(
        (
            f"dashboard summary refresh (the scheduled task; {refresh.seconds:.1f} s inside)",
            (time.perf_counter() - t) * 1000,
            (time.perf_counter() - t) * 1000,
            None,
        )
    )
    log(results[-1])
    for by in reports.PARETO_BY:  # the page as a manager opens it, one Pareto grouping each
        request = RequestFactory().get("/complaints/dashboard/", {"by": by})
        request.user = boss
        request.LANGUAGE_CODE = "en"
        results.append(
            (
                f"dashboard page with the Pareto chart by {by} (every table and chart)",
                *timed(lambda request=request: views.dashboard(request), args.repeat),
                None,
            )
        )
        log(results[-1])

    def generic_report():
        # GROUP BY on the raw tables: counts per cause joined to the rows, and each complaint's
        # times from all its events, folded in Python (what a ticket system's report does)
        list(Complaint.objects.values("cause__name").annotate(n=Count("id")).order_by("-n"))
        with connection.cursor() as c:
            c.execute(
                "SELECT complaint_id, MIN(CASE WHEN type = 'acknowledged' THEN time END), "
                "MIN(CASE WHEN action IN ('accept', 'reject') THEN time END), "
                "MIN(CASE WHEN action IN ('carry_out', 'reject') THEN time END), "
                "SUM(CASE WHEN action = 'reopen' THEN 1 ELSE 0 END) "
                "FROM complaints_complaintevent GROUP BY complaint_id"
            )
            for _row in c:
                pass

    generic = timed(generic_report, 2)
    results.append(("generic report: GROUP BY on the raw event table", *generic, None))
    log(results[-1])

    EscalatedBreach.objects.all().delete()  # every open complaint's breach is new
    open_count = Complaint.objects.exclude(state__in=("closed", "not_upheld")).count()
    t = time.perf_counter()
    escalated = escalate()
    sweep_all = time.perf_counter() - t
    t = time.perf_counter()
    again = escalate()
    sweep_steady = time.perf_counter() - t
    log(f"escalation {escalated} in {sweep_all:.1f} s, then {again} in {sweep_steady:.2f} s")

    clock = clock_for(None)
    start = timezone.now()
    clock.deadline(start + timedelta(days=150), timedelta(hours=56))  # the table built once
    n = 200_000
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        clock.deadline(start + timedelta(minutes=i), timedelta(hours=56))
    per_second = n / (time.perf_counter() - t)
    per_cpu_second = n / (time.process_time() - cpu)  # what a core of its own would do

    from rapport.customers.models import Customer

    customer_ids = list(Customer.objects.order_by("-pk").values_list("pk", flat=True)[:500])
    body = {"channel": "email", "category": "transport", "description": "Box arrived crushed."}
    i = iter(range(10**9))
    api.post(  # the first POST warms up (the form schema, the mail templates)
        "/api/v1/complaints",
        dict(body, customer_id=customer_ids[-1]),
        content_type="application/json",
    )
    record = timed(
        lambda: (
            api.post(
                "/api/v1/complaints",
                dict(body, customer_id=customer_ids[next(i) % len(customer_ids)]),
                content_type="application/json",
            ).status_code
        ),
        max(20, args.repeat),
    )
    status = api.post(
        "/api/v1/complaints",
        dict(body, customer_id=customer_ids[0]),
        content_type="application/json",
    ).status_code

    print(
        f"\n{connection.vendor}: {total:,} complaints, {events:,} events, "
        f"{Customer.objects.count():,} customers, {open_count:,} open\n"
    )
    print("| what | median ms | p95 ms | generic shape p95 ms | ratio |\n|---|---|---|---|---|")
    for label, median, p95, theirs in results:
        ratio = f"{theirs / p95:,.0f}×" if theirs else ""
        them = f"{theirs:,.1f}" if theirs else ""
        print(f"| {label} | {median:,.1f} | {p95:,.1f} | {them} | {ratio} |")
    print(
        f"| record a complaint through the API (HTTP {status}) | {record[0]:.1f} | {record[1]:.1f} | | |"
    )
    print(
        f"| escalation sweep, every open complaint, {escalated:,} breaches escalated | {sweep_all * 1000:,.0f} | | | |"
    )
    print(f"| escalation sweep again (nothing new) | {sweep_steady * 1000:,.0f} | | | |")
    print(
        f"| working-time deadlines per second (one process, wall clock) | {per_second:,.0f} | | | |"
    )
    print(f"| working-time deadlines per CPU-second (one process) | {per_cpu_second:,.0f} | | | |")


if __name__ == "__main__":
    main()
