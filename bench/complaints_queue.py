"""Benchmark: complaint queues, the Pareto chart, the escalation sweep and the working-time clock.

Loads `--complaints` complaints (through the complaints' bulk writer) on `--customers` customers
into the database at DATABASE_URL (use a scratch database: it is migrated and written to), then
times, median and p95 of `--repeat` runs:

* the queue's first page and a page deep in the queue (keyset: `due_at, id`), with one filter;
* the same deep page the way a generic ticket system asks for it (OFFSET), for the ratio;
* the Pareto chart by cause, and the same counts with GROUP BY on the raw table by category;
* the escalation sweep over every open complaint (nothing overdue twice);
* deadline computations per second on one department clock, in one process.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python bench/complaints_queue.py --complaints 10000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")


def timed(fn, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    runs.sort()
    return statistics.median(runs), runs[max(0, int(len(runs) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from rapport.complaints.bulk import complaints_insert
    from rapport.complaints.deadlines import clock_for
    from rapport.complaints.escalation import escalate
    from rapport.complaints.models import Cause, Complaint
    from rapport.complaints.reports import pareto
    from rapport.complaints.selectors import queue
    from rapport.core.actors import COMMAND_LINE
    from rapport.core.pagination import keyset_page
    from rapport.customers.bulk import NewCustomer, customers_insert
    from rapport.staff.models import Department

    rng = random.Random(1)
    have = Complaint.objects.count()
    if have < args.complaints:
        ids = customers_insert(
            [NewCustomer(fields={"family_name": f"B{i}"}) for i in range(args.customers)],
            by=COMMAND_LINE,
        )
        causes = list(Cause.objects.values_list("pk", flat=True))
        depts = list(Department.objects.values_list("pk", flat=True))
        now = timezone.now()
        rows = []
        for _ in range(args.complaints - have):
            state = rng.choice(["new", "new", "closed", "closed", "closed", "not_upheld"])
            rows.append(
                {
                    "customer_id": rng.choice(ids),
                    "received_at": now - timedelta(minutes=rng.randint(1, 500_000)),
                    "channel": "phone",
                    "category": rng.choice(["transport", "service", "product_quality"]),
                    "description": "bench",
                    "state": state,
                    "cause_id": rng.choice(causes),
                    "department_id": rng.choice(depts),
                }
            )
            if len(rows) == 5000:
                complaints_insert(rows, by=COMMAND_LINE, note="bench")
                rows = []
        complaints_insert(rows, by=COMMAND_LINE, note="bench")

    class Boss:  # a user who sees every department (the queue's scoping is a permission check)
        is_authenticated = True
        pk = 0

        def has_perm(self, perm: str) -> bool:
            return True

    user = Boss()
    total = Complaint.objects.count()
    deep = Complaint.objects.order_by("due_at", "id").values_list("due_at", "id")[total * 9 // 10]
    from rapport.core.pagination import encode_cursor

    cursor = encode_cursor([deep[0].isoformat(), deep[1]])
    results = {}
    results["queue first page"] = timed(
        lambda: keyset_page(
            queue(user, "all", {}), ordering=["due_at", "id"], cursor=None, size=50
        ),
        args.repeat,
    )
    results["queue page at 90 % depth (keyset)"] = timed(
        lambda: keyset_page(
            queue(user, "all", {}), ordering=["due_at", "id"], cursor=cursor, size=50
        ),
        args.repeat,
    )
    results["queue page at 90 % depth (OFFSET)"] = timed(
        lambda: list(queue(user, "all", {}).order_by("due_at", "id")[total * 9 // 10 :][:50]),
        args.repeat,
    )
    results["queue filtered by state=new"] = timed(
        lambda: keyset_page(
            queue(user, "all", {"state": "new"}), ordering=["due_at", "id"], cursor=None, size=50
        ),
        args.repeat,
    )
    results["Pareto by cause"] = timed(lambda: pareto("cause"), args.repeat)
    results["GROUP BY category on the raw table"] = timed(
        lambda: list(Complaint.objects.values("category").annotate(n=Count("id"))), args.repeat
    )
    Complaint.objects.update(escalated_due=None)
    t = time.perf_counter()
    escalated = escalate()
    sweep = (time.perf_counter() - t) * 1000
    clock = clock_for(None)
    start = timezone.now()
    t = time.perf_counter()
    n = 20_000
    for i in range(n):
        clock.deadline(start + timedelta(minutes=i), timedelta(hours=56))
    per_second = n / (time.perf_counter() - t)
    from django.db import connection

    print(f"complaints: {total}, database: {connection.vendor}")
    print("| what | median ms | p95 ms |\n|---|---|---|")
    for k, (median, p95) in results.items():
        print(f"| {k} | {median:.1f} | {p95:.1f} |")
    print(f"| escalation sweep ({escalated} escalated, once) | {sweep:.0f} | |")
    print(f"| working-time deadlines per second | {per_second:,.0f} | |")


if __name__ == "__main__":
    main()
