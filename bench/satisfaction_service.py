"""Benchmark: the satisfaction dashboard, recall selection and routine-maintenance generation.

    python bench/satisfaction_service.py [--database URL] [--customers N] [--answers N]
                                         [--lines N] [--queries 20]

The issue's targets are 2,000,000 answers on 1,000,000 customers (dashboard with any filter p95
≤ 200 ms), recall selection over 10,000,000 order lines (≤ 1 s) and maintenance for 1,000,000
owned products (≤ 10 s). Run it at those sizes on a quiet machine; the defaults are small.
Data are written with bulk_create straight into a fresh database (default SQLite
var/satisfaction_bench.sqlite3), migrations applied first. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _load(customers: int, answers: int, lines: int, seed: int) -> dict[str, int]:
    from django.db import transaction

    from rapport.customers.models import Customer
    from rapport.sales.models import Order, OrderLine, Product
    from rapport.service.models import ServiceInterval
    from rapport.surveys.models import Answer, Invitation, Question, Response, Survey
    from rapport.surveys.scoring import gap_and_label

    rng = random.Random(seed)
    if Answer.objects.exists():
        return {"reused": 1}
    with transaction.atomic():
        Customer.objects.bulk_create(
            [Customer(display_name=f"C{i}", sort_name=f"c{i}") for i in range(customers)],
            batch_size=5000,
        )
        ids = list(Customer.objects.values_list("pk", flat=True))
        products = Product.objects.bulk_create(
            [Product(sku=f"B{i}", name=f"P{i}", price=Decimal("10")) for i in range(200)]
        )
        ServiceInterval.objects.bulk_create(
            [ServiceInterval(product=p, months=rng.choice([3, 6, 12])) for p in products[:50]]
        )
        orders_n = max(1, lines // 3)
        start = datetime(2022, 1, 1, tzinfo=UTC)
        Order.objects.bulk_create(
            [
                Order(
                    number=f"BN{i}",
                    customer_id=rng.choice(ids),
                    ordered_at=start + timedelta(minutes=rng.randint(0, 1_500_000)),
                    status="delivered",
                    currency="CNY",
                )
                for i in range(orders_n)
            ],
            batch_size=5000,
        )
        order_ids = list(Order.objects.values_list("pk", flat=True))
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order_id=order_ids[i % len(order_ids)],
                    product_id=rng.choice(products).pk,
                    batch=f"L{rng.randint(1, 40)}",
                    quantity=1,
                    unit_price=Decimal("10"),
                    line_total=Decimal("10"),
                )
                for i in range(lines)
            ],
            batch_size=5000,
        )
        survey = Survey.objects.create(name="Bench")
        questions = {
            a: Question.objects.create(survey=survey, kind="paired", attribute=a, text={"en": a})
            for a in ("quality", "price", "delivery", "staff")
        }
        csat = Question.objects.create(
            survey=survey, kind="scale_5", measure="csat", text={"en": "x"}
        )
        per_response = 5
        responses = max(1, answers // per_response)
        Invitation.objects.bulk_create(
            [
                Invitation(
                    survey=survey, customer_id=ids[i % len(ids)], key=f"b{i}", state="answered"
                )
                for i in range(responses)
            ],
            batch_size=5000,
        )
        inv = list(Invitation.objects.values_list("pk", "customer_id"))
        now = datetime.now(UTC)
        Response.objects.bulk_create(
            [Response(invitation_id=pk, submitted_at=now) for pk, _c in inv], batch_size=5000
        )
        resp = list(Response.objects.values_list("pk", "invitation__customer_id"))
        rows = []
        for rid, cid in resp:
            when = now - timedelta(days=rng.randint(0, 700))
            product = rng.choice(products).pk
            for a, q in questions.items():
                e, x = rng.randint(3, 7), rng.randint(1, 7)
                gap, label = gap_and_label(e, x)
                rows.append(
                    Answer(
                        response_id=rid,
                        question=q,
                        survey=survey,
                        customer_id=cid,
                        product_id=product,
                        kind="paired",
                        attribute=a,
                        answered_at=when,
                        month=when.date().replace(day=1),
                        expectation=e,
                        experience=x,
                        gap=gap,
                        label=label,
                    )
                )
            rows.append(
                Answer(
                    response_id=rid,
                    question=csat,
                    survey=survey,
                    customer_id=cid,
                    product_id=product,
                    kind="scale_5",
                    measure="csat",
                    answered_at=when,
                    month=when.date().replace(day=1),
                    value=rng.randint(1, 5),
                )
            )
            if len(rows) >= 20000:
                Answer.objects.bulk_create(rows, batch_size=5000)
                rows = []
        Answer.objects.bulk_create(rows, batch_size=5000)
    return {"customers": customers, "answers": Answer.objects.count(), "lines": lines}


def _time(fn, n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database", default=f"sqlite:///{ROOT / 'var' / 'satisfaction_bench.sqlite3'}"
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    _setup(args.database)
    started = time.perf_counter()
    loaded = _load(args.customers, args.answers, args.lines, args.seed)
    load_s = time.perf_counter() - started

    from rapport.core.actors import COMMAND_LINE
    from rapport.service import selectors as service_selectors
    from rapport.service import services as service
    from rapport.service.models import Recall, Visit
    from rapport.surveys import selectors

    def dashboard(filters):
        def run():
            qs = selectors.answer_queryset(filters)
            selectors.headline(qs)
            selectors.gaps_by_attribute(qs)
            selectors.gaps_by_product(qs)
            selectors.gaps_by_department(qs)
            selectors.gaps_by_month(qs)
            selectors.importance_performance(qs)

        return run

    product_id = (
        Recall._meta.get_field("product")
        .related_model.objects.order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    rows = []
    for name, filters in (
        ("dashboard, no filter", {}),
        ("dashboard, attribute", {"attribute": "delivery"}),
        ("dashboard, product", {"product": product_id}),
        ("dashboard, last 90 days", {"date_from": (date.today() - timedelta(days=90)).isoformat()}),
    ):
        median, p95 = _time(dashboard(filters), args.queries)
        rows.append((name, median, p95))
    recall = Recall.objects.create(
        product_id=product_id, batch="L7", title={"en": "x"}, body={"en": "x"}
    )
    median, p95 = _time(
        lambda: service_selectors.affected_customer_ids(recall), max(3, args.queries // 4)
    )
    rows.append(("recall selection (product + batch)", median, p95))
    Visit.objects.all().delete()
    t = time.perf_counter()
    created = service.maintenance_generate(
        by=COMMAND_LINE, today=date(2024, 1, 1), horizon_days=365
    )
    rows.append(
        (
            f"maintenance generation ({created} visits)",
            (time.perf_counter() - t) * 1000,
            float("nan"),
        )
    )
    print(f"Database {args.database.split(':')[0]}, loaded {loaded} in {load_s:.1f} s\n")
    print("| measured | median ms | p95 ms |\n|---|---:|---:|")
    for name, median, p95 in rows:
        print(f"| {name} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
