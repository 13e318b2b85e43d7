"""Benchmarks of issues 13 and 14 at full size, on a copy of the customer benchmark's data set.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/rapport_bench_1314 \\
        python bench/scale_1314.py load            # add answers, owned products, … (once)
    DATABASE_URL=… python bench/scale_1314.py satisfaction   # issue 13: dashboard, recall, maintenance
    DATABASE_URL=… python bench/scale_1314.py outreach       # issue 14: audience, naive loop, moments
    DATABASE_URL=… python bench/scale_1314.py backfill       # issue 14: points over all order lines
    DATABASE_URL=… python bench/scale_1314.py deliver --messages 20000 --workers 2

The base (customers, orders, order lines, consents) is `make bench`'s data set (bench/generate.py),
copied, never the original: `createdb -T rapport_bench rapport_bench_1314`, or
`sqlite3 var/bench.sqlite3 ".backup var/bench-1314.sqlite3"`. `load` migrates the copy and adds the
rows of the new apps with bulk loaders (COPY on PostgreSQL, executemany in one transaction per
100,000 rows on SQLite): `--answers` survey answers (4 paired attributes and one CSAT or NPS answer
per response, over the last two years, on random customers and products), and service intervals on
products chosen at random until `--owned` paid or delivered order lines are of such a product.
Each measuring command prints a markdown table with the date, the load average before and after and
the data set's sizes, and appends it to var/scale-1314-<vendor>.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")

OUT: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)
    OUT.append(line)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(times: list[float], q: float) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, max(0, round(q * len(times) + 0.5) - 1))]


BUDGET = [60.0]  # seconds per measured series (--series-budget)


def series(fn, inputs: list, warm: int = 1) -> tuple[float, float, int]:
    """Median and p95 (ms) of fn(x) over the inputs after `warm` warm-up calls; a series stops
    after BUDGET seconds (with at least 3 calls)."""
    for x in inputs[:warm]:
        fn(x)
    times = []
    stop = time.perf_counter() + BUDGET[0]
    for x in inputs:
        t = time.perf_counter()
        fn(x)
        times.append((time.perf_counter() - t) * 1000)
        if time.perf_counter() > stop and len(times) >= 3:
            break
    return statistics.median(times), pct(times, 0.95), len(times)


def header(title: str) -> None:
    from django.db import connection

    from rapport.customers.models import Customer
    from rapport.sales.models import Order, OrderLine

    say(f"### {title} — {connection.vendor}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    say("")
    say(
        f"Machine: {os.cpu_count()} cores, {_memory_gib():.1f} GiB. Load average before: "
        f"{load_average()}. Data set: {Customer.objects.count():,} customers, "
        f"{Order.objects.count():,} orders, {OrderLine.objects.count():,} order lines."
    )


def _memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def footer() -> None:
    from django.db import connection

    say(f"\nLoad average after: {load_average()}.\n")
    out = ROOT / "var" / f"scale-1314-{connection.vendor}.md"
    with out.open("a") as f:
        f.write("\n".join(OUT) + "\n\n")
    OUT.clear()


# Loading ---------------------------------------------------------------------------------------


def _writer(model, columns: list[str]):
    """write(rows): COPY on PostgreSQL, executemany on SQLite (one transaction per call)."""
    from django.db import connection, transaction

    table = model._meta.db_table
    if connection.vendor == "postgresql":

        def write(rows: list[tuple]) -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)

    else:
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )

        def write(rows: list[tuple]) -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, rows)

    return write


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequences(*models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    sql = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def load(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    from rapport.service.models import ServiceInterval
    from rapport.surveys.models import Answer

    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrated in {time.perf_counter() - t0:.0f} s", flush=True)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    rng = random.Random(args.seed)

    if not Answer.objects.exists():
        t0 = time.perf_counter()
        _load_answers(args)
        print(f"answers loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        # Loaded around the services: the dashboard's roll-up is written from them once.
        from rapport.surveys.summary import summary_rebuild

        t0 = time.perf_counter()
        rows = summary_rebuild()
        print(
            f"satisfaction roll-up: {rows:,} rows in {time.perf_counter() - t0:.0f} s", flush=True
        )

    if not ServiceInterval.objects.exists():
        from django.db.models import Count

        from rapport.sales.models import OrderLine

        t0 = time.perf_counter()
        counts = dict(
            OrderLine.objects.filter(order__status__in=("paid", "delivered"))
            .values_list("product_id")
            .annotate(n=Count("pk"))
            .values_list("product_id", "n")
        )
        chosen, owned = [], 0
        order = list(counts)
        rng.shuffle(order)
        for pk in order:
            if owned >= args.owned:
                break
            chosen.append(pk)
            owned += counts[pk]
        ServiceInterval.objects.bulk_create(
            [ServiceInterval(product_id=pk, months=rng.choice([3, 6, 12, 24])) for pk in chosen]
        )
        print(
            f"service intervals on {len(chosen)} of {len(counts)} products: {owned:,} owned "
            f"lines ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _load_answers(args) -> None:
    """Invitations, responses and answers written by the database: one INSERT … SELECT per
    50,000 responses (random customer, product, department and time in the last two years; four
    paired answers and a CSAT or an NPS answer each)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from rapport.customers.models import Customer
    from rapport.sales.models import Product
    from rapport.staff.models import Department
    from rapport.surveys.models import Answer, Invitation, Question, Response, Survey

    pg = connection.vendor == "postgresql"
    survey = Survey.objects.create(name="Bench 1314", trigger="order_delivered")
    slots = []
    for i, a in enumerate(("quality", "price", "delivery", "staff")):
        q = Question.objects.create(
            survey=survey, position=i, kind="paired", attribute=a, text={"en": a}
        )
        slots.append((i, q.pk, "paired", "", a))
    q = Question.objects.create(
        survey=survey, position=5, kind="scale_5", measure="csat", text={"en": "overall"}
    )
    slots.append((4, q.pk, "scale_5", "csat", ""))
    q = Question.objects.create(survey=survey, position=6, kind="nps", text={"en": "nps"})
    slots.append((5, q.pk, "nps", "", ""))
    values = ", ".join(f"({a}, {b}, '{c}', '{d}', '{e}')" for a, b, c, d, e in slots)
    inv0, resp0 = _next_id(Invitation) - 1, _next_id(Response) - 1
    responses = args.answers // 5
    n_customers, n_products = Customer.objects.count(), Product.objects.count()
    departments = list(Department.objects.order_by("pk").values_list("pk", flat=True))
    zone = timezone.get_current_timezone_name()
    offset_hours = int(
        datetime.now(timezone.get_current_timezone()).utcoffset().total_seconds() // 3600
    )

    def below(k: int) -> str:
        return f"floor(random() * {k})::bigint" if pg else f"(abs(random()) % {k})"

    when = (
        "(now() - random() * interval '730 days')"
        if pg
        else "datetime('now', '-' || (abs(random()) % 63072000) || ' seconds')"
    )
    dept = (
        "CASE "
        + below(len(departments))
        + " "
        + " ".join(f"WHEN {k} THEN {pk}" for k, pk in enumerate(departments))
        + " END"
        if departments
        else "NULL"
    )
    month = (
        f"date_trunc('month', i.answered_at AT TIME ZONE '{zone}')::date"
        if pg
        else f"date(i.answered_at, '+{offset_hours} hours', 'start of month')"
    )
    with connection.cursor() as cursor:
        for table, order in (
            ("b1314_customers", "customers_customer"),
            ("b1314_products", "sales_product"),
        ):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} AS SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 "
                f"AS rn, id FROM {order}"
            )
            cursor.execute(f"CREATE UNIQUE INDEX {table}_rn ON {table} (rn)")
    step = 50_000
    for lo in range(0, responses, step):
        hi = min(lo + step, responses)
        series = (
            f"SELECT i FROM generate_series({lo + 1}, {hi}) AS g(i)"
            if pg
            else f"SELECT {lo + 1} AS i UNION ALL SELECT i + 1 FROM s WHERE i < {hi}"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"WITH RECURSIVE s(i) AS ({series}), "
                f"x AS MATERIALIZED (SELECT i, {below(n_customers)} AS c, {below(n_products)} AS p, "
                f"{dept} AS d, {when} AS t FROM s) "
                "INSERT INTO surveys_invitation (id, survey_id, customer_id, key, source_type, "
                "product_id, department_id, language, state, reason, created_at, answered_at) "
                f"SELECT {inv0} + x.i, {survey.pk}, bc.id, 'bench1314-' || ({inv0} + x.i), "
                "'sales.order', bp.id, x.d, 'en', 'answered', '', x.t, x.t FROM x "
                "JOIN b1314_customers bc ON bc.rn = x.c JOIN b1314_products bp ON bp.rn = x.p"
            )
            cursor.execute(
                "INSERT INTO surveys_response (id, invitation_id, submitted_at, language) "
                f"SELECT id - {inv0} + {resp0}, id, answered_at, 'en' FROM surveys_invitation "
                f"WHERE id > {inv0 + lo} AND id <= {inv0 + hi}"
            )
            cursor.execute(
                f"WITH slots(slot, question_id, kind, measure, attribute) AS (VALUES {values}), "
                f"x AS MATERIALIZED (SELECT i.id, slots.*, 3 + {below(5)} AS e, "
                f"1 + ({below(7)} + {below(7)} + 1) / 2 AS v, i.customer_id, i.product_id, "
                f"i.department_id, i.answered_at, {month} AS month, "
                f"{below(5)} AS csat, {below(11)} AS nps "
                "FROM surveys_invitation i CROSS JOIN slots "
                f"WHERE i.id > {inv0 + lo} AND i.id <= {inv0 + hi} AND (slot < 4 "
                "OR (slot = 4 AND i.id % 2 = 1) OR (slot = 5 AND i.id % 2 = 0))) "
                "INSERT INTO surveys_answer (response_id, question_id, survey_id, customer_id, "
                "product_id, department_id, kind, measure, attribute, answered_at, month, value, "
                "choices, text, expectation, experience, gap, label) "
                f"SELECT id - {inv0} + {resp0}, question_id, {survey.pk}, customer_id, "
                "product_id, department_id, kind, measure, attribute, answered_at, month, "
                "CASE slot WHEN 4 THEN 1 + csat WHEN 5 THEN nps END, '[]', '', "
                "CASE WHEN slot < 4 THEN e END, CASE WHEN slot < 4 THEN v END, "
                "CASE WHEN slot < 4 THEN v - e END, "
                "CASE WHEN slot >= 4 THEN '' WHEN v < e THEN 'dissatisfied' "
                "WHEN v = e THEN 'satisfied' ELSE 'delighted' END FROM x"
            )
        print(f"responses: {hi:,} ({Answer.objects.count():,} answers)", flush=True)
    _reset_sequences(Invitation, Response, Answer)


# A base data set made by the database itself (for development, and when `make bench`'s
# data set is not ready): customers with birthdays (a third lunar), an address, email consent
# for 80 %, 500 products in 20 categories with 40 batches, orders over two years with 90 % paid
# or delivered, `--lines` order lines (about 3 per order, popular products drawn more often).
# No organisations, interactions or search terms, order totals 0: far less realistic than
# bench/generate.py.


def _series_sql(n: int, body: str) -> str:
    """`body` selects from `s(i)`, i = 1..n."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return body.replace("FROM dual", f"FROM generate_series(1, {int(n)}) AS s(i)")
    return (
        f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {int(n)}) "
        + body.replace("FROM dual", "FROM s")
    )


def base(args) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from rapport.customers.models import Customer, CustomerAddress, MarketingConsent
    from rapport.sales.models import Order, OrderLine, Product

    call_command("migrate", interactive=False, verbosity=0)
    if Customer.objects.exists():
        print("the database already holds customers: nothing done")
        return
    pg = connection.vendor == "postgresql"
    n, lines = args.customers, args.lines
    orders = lines // 3
    if pg:
        rnd = "random()"

        def below(k):
            return f"floor(random() * {k})::bigint"

        day = "(DATE '{start}' + floor(random() * {span})::int)"
        ts = "(now() - random() * interval '730 days')"
        true_if = "(random() < {p})"
        now = "now()"
    else:
        rnd = "((abs(random()) % 1000000) / 1000000.0)"

        def below(k):
            return f"(abs(random()) % {k})"

        day = "date('{start}', '+' || (abs(random()) % {span}) || ' days')"
        ts = "datetime('now', '-' || (abs(random()) % 63072000) || ' seconds')"
        true_if = "((abs(random()) % 1000000) < {p} * 1000000)"
        now = "datetime('now')"
    languages = (
        "CASE "
        + below(4)
        + " WHEN 0 THEN 'zh-hans' WHEN 1 THEN 'zh-hant' WHEN 2 THEN 'en' ELSE 'sk' END"
    )
    country = (
        "CASE WHEN r < 0.6 THEN 'CN' WHEN r < 0.72 THEN 'TW' WHEN r < 0.8 THEN 'HK' "
        "WHEN r < 0.9 THEN 'SK' WHEN r < 0.95 THEN 'DE' ELSE 'US' END"
    )
    statements = [
        (
            "customers",
            "INSERT INTO customers_customer (id, created_at, updated_at, version, family_name, "
            "given_name, display_name, sort_name, gender, birthday, celebrates_lunar_birthday, "
            "hobbies, personality, family_situation, occupation, income_band, preferred_language, "
            "preferred_channel, customer_since, source, notes, primary_phone, primary_email) "
            + _series_sql(
                n,
                f"SELECT i AS id, {now}, {now}, 1, 'F' || i, 'G', 'F' || i || ' G', 'f' || i, '', "
                + day.format(start="1950-01-01", span=20000)
                + ", "
                + true_if.format(p=0.33)
                + f", '', '', '', '', '', {languages}, 'email', "
                + day.format(start="2015-01-01", span=4000)
                + ", 'bench1314', '', '', 'c' || i || '@example.com' FROM dual",
            ),
        ),
        (
            "addresses",
            "INSERT INTO customers_customeraddress (customer_id, kind, line1, line2, city, region, "
            "postal_code, country) "
            + _series_sql(
                n,
                f"SELECT i, 'home', 'Street ' || i, '', 'City ' || (i % 300), '', '', {country} "
                f"FROM (SELECT i, {rnd} AS r FROM dual) AS x",
            ),
        ),
        (
            "consents",
            "INSERT INTO customers_marketingconsent (customer_id, channel, granted, changed_at, "
            "method, note) "
            + _series_sql(
                n, f"SELECT i, 'email', {true_if.format(p=0.8)}, {now}, 'import', '' FROM dual"
            ),
        ),
        (
            "products",
            "INSERT INTO sales_product (id, created_at, updated_at, version, sku, name, category, "
            "price, unit_cost, active, consumable) "
            + _series_sql(
                500,
                f"SELECT i, {now}, {now}, 1, 'B1314-' || i, 'Product ' || i, 'cat' || (i % 20), "
                f"10 + (i % 90), 5, {'true' if pg else 1}, {'false' if pg else 0} FROM dual",
            ),
        ),
        (
            "orders",
            "INSERT INTO sales_order (id, created_at, updated_at, version, number, customer_id, "
            "ordered_at, status, channel, promotion_code, currency, total, cost, notes) "
            + _series_sql(
                orders,
                f"SELECT i, {now}, {now}, 1, 'BO' || i, 1 + {below(n)}, {ts}, "
                f"CASE WHEN r < 0.05 THEN 'placed' WHEN r < 0.1 THEN 'cancelled' "
                f"WHEN r < 0.5 THEN 'paid' ELSE 'delivered' END, 'store', '', 'CNY', 0, 0, '' "
                f"FROM (SELECT i, {rnd} AS r FROM dual) AS x",
            ),
        ),
        (
            "order lines",
            "INSERT INTO sales_orderline (order_id, product_id, batch, quantity, unit_price, "
            "discount, line_total, unit_cost) "
            + _series_sql(
                lines,
                f"SELECT 1 + (i - 1) % {orders}, 1 + {'floor(500 * r * r)::int' if pg else 'CAST(500 * r * r AS INTEGER)'}, "
                f"'L' || (1 + {below(40)}), 1, 10 + (i % 90), 0, 10 + (i % 90), 5 "
                f"FROM (SELECT i, {rnd} AS r FROM dual) AS x",
            ),
        ),
    ]
    if not pg:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
    for name, sql in statements:
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
        print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
    _reset_sequences(Customer, CustomerAddress, MarketingConsent, Product, Order, OrderLine)
    with connection.cursor() as cursor:  # order totals stay 0: no benchmark here reads them
        cursor.execute("ANALYZE")


# Issue 13 --------------------------------------------------------------------------------------


def satisfaction(args) -> None:
    from django.test import Client

    from rapport.core.actors import COMMAND_LINE
    from rapport.sales.models import OrderLine
    from rapport.service import selectors as service_selectors
    from rapport.service import services as service
    from rapport.service.models import Recall, ServiceInterval, Visit
    from rapport.staff.models import Department
    from rapport.surveys.models import Answer

    header("Issue 13: satisfaction dashboard, recall selection, routine maintenance")
    rng = random.Random(args.seed)
    say(
        f"{Answer.objects.count():,} survey answers; "
        f"{ServiceInterval.objects.count():,} products with a service interval."
    )
    say("")
    client = _manager_client(Client) if "dashboard" in args.parts else None
    products = list(Answer.objects.values_list("product_id", flat=True)[:5000])
    departments = list(Department.objects.values_list("pk", flat=True))
    today = date.today()
    filters = {
        "no filter": [{}],
        "attribute": [{"attribute": a} for a in ("quality", "price", "delivery", "staff")],
        "product": [{"product": p} for p in rng.sample(products, min(20, len(products)))],
        "department": [{"department": d} for d in departments],
        "last 90 days": [{"date_from": (today - timedelta(days=90)).isoformat()}],
        "one month": [
            {
                "date_from": (today - timedelta(days=d)).isoformat(),
                "date_to": (today - timedelta(days=d - 30)).isoformat(),
            }
            for d in (60, 200, 400)
        ],
        "customer": [
            {"customer": c}
            for c in Answer.objects.order_by("?").values_list("customer_id", flat=True)[:20]
        ],
        "attribute + last 90 days": [
            {"attribute": "delivery", "date_from": (today - timedelta(days=90)).isoformat()}
        ],
    }
    parts = set(args.parts.split(","))
    if "dashboard" in parts:
        say(
            "| dashboard page (`GET /surveys/`), filter | n | median ms | p95 ms | goal p95 ≤ 200 ms |"
        )
        say("|---|---:|---:|---:|---|")
        for name, values in filters.items():
            inputs = [values[i % len(values)] for i in range(args.queries)]

            def page(f):
                r = client.get("/surveys/", f)
                assert r.status_code == 200, r.status_code

            median, p95, n = series(page, inputs, warm=args.warm)
            say(
                f"| {name} | {n} | {median:.0f} | {p95:.0f} | {'met' if p95 <= 200 else 'NOT met'} |"
            )

    if "recall" in parts:
        # Recall: the most bought product, a median one, with a batch and with a date range.
        say("")
        from django.db.models import Count

        top = list(
            OrderLine.objects.values("product_id").annotate(n=Count("pk")).order_by("-n")[:200]
        )
        product_top, product_mid = top[0], top[len(top) // 2]
        batch = (
            OrderLine.objects.filter(product_id=product_mid["product_id"])
            .exclude(batch="")
            .values_list("batch", flat=True)
            .first()
        )
        recalls = [
            (
                f"most bought product ({product_top['n']:,} lines)",
                {"product_id": product_top["product_id"]},
            ),
            (f"a product of {product_mid['n']:,} lines", {"product_id": product_mid["product_id"]}),
            (
                "most bought product, orders of one year",
                {
                    "product_id": product_top["product_id"],
                    "ordered_from": today - timedelta(days=365),
                    "ordered_to": today,
                },
            ),
        ]
        if batch:
            recalls.append(
                (
                    f"product + batch {batch}",
                    {"product_id": product_mid["product_id"], "batch": batch},
                )
            )
        say(
            "| recall selection (`affected_customer_ids`) | customers | median ms | p95 ms | goal ≤ 1,000 ms |"
        )
        say("|---|---:|---:|---:|---|")
        for name, fields in recalls:
            recall = Recall(title={"en": "x"}, body={"en": "x"}, **fields)
            found: list[int] = []

            def select(_x, recall=recall, found=found):
                found.append(len(service_selectors.affected_customer_ids(recall)))

            median, p95, n = series(
                select,
                list(range(5)),
                warm=1,
            )
            say(
                f"| {name} | {found[-1]:,} | {median:.0f} | {p95:.0f} | {'met' if p95 <= 1000 else 'NOT met'} |"
            )

    if "maintenance" in parts:
        # Maintenance: a 30-day horizon (the scheduler's) from a fresh table, then the same again.
        say("")
        owned = OrderLine.objects.filter(
            product_id__in=ServiceInterval.objects.values("product_id"),
            order__status__in=("paid", "delivered"),
        ).count()
        Visit.objects.filter(kind="maintenance", state="due").exclude(routine_key="").delete()
        day = today
        t = time.perf_counter()
        created = service.maintenance_generate(by=COMMAND_LINE, today=day, horizon_days=30)
        first = time.perf_counter() - t
        t = time.perf_counter()
        again = service.maintenance_generate(by=COMMAND_LINE, today=day, horizon_days=30)
        second = time.perf_counter() - t
        say(
            "| routine maintenance (`maintenance_generate`, 30 days ahead) | owned products | visits | seconds | goal ≤ 10 s |"
        )
        say("|---|---:|---:|---:|---|")
        say(
            f"| first run | {owned:,} | {created:,} | {first:.1f} | {'met' if first <= 10 else 'NOT met'} |"
        )
        say(
            f"| second run (nothing new) | {owned:,} | {again:,} | {second:.1f} | {'met' if second <= 10 else 'NOT met'} |"
        )
    footer()


def _manager_client(Client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username="bench-1314-manager")
    user.is_superuser = True
    user.is_staff = True
    user.save()
    group = Group.objects.filter(name__iexact="manager").first()
    if group:
        user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


# Issue 14 --------------------------------------------------------------------------------------


def outreach(args) -> None:
    import tracemalloc

    from django.db import connection, transaction
    from django.test import Client

    from rapport.core.actors import COMMAND_LINE
    from rapport.customers.models import MarketingConsent
    from rapport.outreach import services
    from rapport.outreach.models import CampaignDelivery, CampaignRun
    from rapport.outreach.moments import moments_page, window

    header("Issue 14: audience queueing, the naive loop, the moments view")
    consented = MarketingConsent.objects.filter(channel="email", granted=True).count()
    say(f"{consented:,} customers consented to email.")
    say("")
    parts = args.outreach_parts.split(",")
    if "audience" in parts:
        # The sending tasks (one per chunk of 500) are queued after the commit: timed apart below.
        real_enqueue = services.enqueue_chunks
        queued_tasks: list[tuple[int, list]] = []
        services.enqueue_chunks = lambda run_id, chunks: queued_tasks.append((run_id, chunks))

        say(
            "| audience | messages queued | seconds | messages/s | peak Python memory (tracemalloc) | max RSS growth | goal ≥ 50,000/s |"
        )
        say("|---|---:|---:|---:|---:|---:|---|")
        for name, audience in (
            ("one city (small audience)", "city"),
            ("everybody who consented", None),
        ):
            filters = {}
            if audience == "city":
                from rapport.customers.models import CustomerAddress

                city = (
                    CustomerAddress.objects.exclude(city="").values_list("city", flat=True).first()
                )
                filters = {"city": city}
            campaign = services.campaign_create(
                by=COMMAND_LINE,
                name=f"bench 1314 {name} {time.time()}",
                messages=[{"language": "en", "subject": "Hi {{ name }}", "body": "Hello"}],
                audience=filters,
            )
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            t0 = time.perf_counter()
            run = services.campaign_start(by=COMMAND_LINE, campaign_id=campaign.pk)
            took = time.perf_counter() - t0
            _cur, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
            rate = run.total / took if took else 0
            say(
                f"| {name} | {run.total:,} | {took:.2f} | {rate:,.0f} | {peak / 1e6:.1f} MB | "
                f"{rss / 1024:.1f} MB | {'met' if rate >= 50_000 else 'NOT met'} |"
            )

        from django_tasks_db.models import DBTaskResult

        run_id, chunks = queued_tasks[-1]
        t0 = time.perf_counter()
        real_enqueue(run_id, chunks)
        enqueue_s = time.perf_counter() - t0
        DBTaskResult.objects.filter(
            task_path="rapport.outreach.tasks.send_chunk", status="READY"
        ).delete()  # nobody sends the benchmark's audience
        say(
            f"\nQueueing the {len(chunks):,} sending tasks of the whole audience (one per chunk of "
            f"500 deliveries, the database queue) took {enqueue_s:.2f} s more: "
            f"{run.total / (took + enqueue_s):,.0f} messages/s with them."
        )

        # The naive shape: the same audience, customer by customer through the ORM.
        naive = services.campaign_create(
            by=COMMAND_LINE,
            name=f"bench 1314 naive {time.time()}",
            messages=[{"language": "en", "subject": "Hi", "body": "Hello"}],
        )
        naive_run = CampaignRun.objects.create(campaign=naive, occurrence="naive")
        t0 = time.perf_counter()
        n = 0
        with transaction.atomic():
            for customer in services.audience_queryset(naive).order_by("pk")[: args.naive]:
                CampaignDelivery.objects.get_or_create(
                    campaign=naive,
                    occurrence="naive",
                    customer=customer,
                    channel="email",
                    defaults={"run": naive_run},
                )
                n += 1
        naive_s = time.perf_counter() - t0
        bulk_rate = rate
        say(
            f"\nNaive shape (per-customer `get_or_create` over the same audience query, first "
            f"{n:,} customers): {n / naive_s:,.0f} messages/s — the set-based queueing above is "
            f"{bulk_rate / (n / naive_s):,.0f}× faster (at this rate the whole audience would take "
            f"{run.total / (n / naive_s) / 60:,.0f} min)."
        )
        # Clean up the large delivery tables so a second run measures the same thing.
        with connection.cursor() as cursor:  # one statement (the ORM would collect 1,000,000 rows)
            cursor.execute(
                f"DELETE FROM {CampaignDelivery._meta.db_table} WHERE campaign_id IN "  # noqa: S608
                "(SELECT id FROM outreach_campaign WHERE name LIKE 'bench 1314%%')"
            )

    if "moments" in parts:
        # Moments: "this week" (page and function) from 30 different days of the year.
        say("")
        client = _manager_client(Client)
        days = [date(2027, 1, 1) + timedelta(days=13 * i) for i in range(28)]

        def week(d):  # what `GET /api/v1/outreach/moments` reads: a first page of 50
            start, end = window("week", d)
            moments_page(_customers(), start, end, size=50)

        median, p95, n = series(week, days)
        say('| moments, "this week" | n | median ms | p95 ms | goal p95 ≤ 100 ms |')
        say("|---|---:|---:|---:|---|")
        say(
            f"| the API's first page (50) from 28 days spread over a year | {n} | {median:.0f} | {p95:.0f} | {'met' if p95 <= 100 else 'NOT met'} |"
        )

        def first_page(d):
            start, end = window("week", d)
            moments_page(_customers(), start, end)

        median, p95, n = series(first_page, days)
        say(
            f"| `moments_page` (the page's 100 moments and the holidays) from the same 28 days | {n} | {median:.0f} | {p95:.0f} | {'met' if p95 <= 100 else 'NOT met'} |"
        )

        def page(_x):
            r = client.get("/outreach/moments/")
            assert r.status_code == 200

        median, p95, n = series(page, list(range(args.queries)))
        say(
            f"| page `GET /outreach/moments/` (today) | {n} | {median:.0f} | {p95:.0f} | {'met' if p95 <= 100 else 'NOT met'} |"
        )
        import html
        import re

        found = re.search(r'href="([^"]+)" rel="next"', client.get("/outreach/moments/").text)
        later = html.unescape(found.group(1)) if found else ""
        if later:

            def next_page(_x):
                r = client.get("/outreach/moments/" + later)
                assert r.status_code == 200

            median, p95, n = series(next_page, list(range(args.queries)))
            say(
                f"| its next page (`{later}`) | {n} | {median:.0f} | {p95:.0f} | {'met' if p95 <= 100 else 'NOT met'} |"
            )
    footer()


def _customers():
    from rapport.customers.models import Customer

    return Customer.objects.all()


def backfill(args) -> None:
    from django.db import connection

    from rapport.core.actors import COMMAND_LINE
    from rapport.loyalty.backfill import points_backfill
    from rapport.loyalty.models import PointsEntry

    header("Issue 14: points backfill (`rapport loyalty backfill`)")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {PointsEntry._meta.db_table}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {PointsEntry._meta.db_table}")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    first = points_backfill(by=COMMAND_LINE)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    again = points_backfill(by=COMMAND_LINE)
    say("")
    say("| run | entries written | order ids scanned | seconds | goal ≤ 60 s |")
    say("|---|---:|---:|---:|---|")
    say(
        f"| first (empty ledger) | {first.entries:,} | {first.orders_scanned:,} | {first.seconds:.1f} | {'met' if first.seconds <= 60 else 'NOT met'} |"
    )
    say(
        f"| again (all earned: writes nothing) | {again.entries:,} | {again.orders_scanned:,} | {again.seconds:.1f} | — |"
    )
    say(f"\nMax RSS growth of the process during the first run: {rss / 1024:.1f} MB.")
    footer()


SMTP_SINK = "/usr/sbin/smtp-sink"  # Postfix's SMTP throughput test server (package postfix)


def _aiosmtpd_sink(port: int, dump: str) -> None:
    """The fallback sink, run in its own process (`python -c`): aiosmtpd, writing each
    recipient as smtp-sink's dump does ("X-Rcpt-Args: <address>"), one line each."""
    import asyncio
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the sink's per-command log
    out = open(dump, "a", buffering=1)  # noqa: SIM115 (open as long as the process)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            out.write("".join(f"X-Rcpt-Args: <{r}>\n" for r in envelope.rcpt_tos))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


def _start_sink(kind: str, port: int, dump: Path):
    """The SMTP sink in a process of its own (its CPU is not the benchmark's): Postfix's
    smtp-sink when installed (`-D`: every transaction appended to `dump`), else aiosmtpd."""
    import shutil
    import socket
    import subprocess

    if kind == "auto":
        kind = "smtp-sink" if shutil.which(SMTP_SINK) else "aiosmtpd"
    dump.parent.mkdir(parents=True, exist_ok=True)
    dump.unlink(missing_ok=True)
    if kind == "smtp-sink":
        # As root it must drop to a user (-u); that user writes the dump.
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        if user:
            dump.parent.chmod(0o1777)
        cmd = [SMTP_SINK, *user, "-D", str(dump), f"127.0.0.1:{port}", "256"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    else:
        code = (
            f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
            f"import scale_1314; scale_1314._aiosmtpd_sink({port}, {str(dump)!r})"
        )
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # "ready"
    for _ in range(100):  # listening?
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    return kind, proc


def _sink_recipients(dump: Path) -> list[str]:
    """Every recipient the sink received, once per transaction that named it."""
    if not dump.exists():
        return []
    with dump.open("rb") as f:
        return [
            line[len(b"X-Rcpt-Args: ") :].strip().decode("utf-8", "replace")
            for line in f
            if line.startswith(b"X-Rcpt-Args: ")
        ]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc; 0 when unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def deliver(args) -> None:
    """Render and deliver `--messages` campaign messages to a local SMTP sink with `--workers`
    database-queue worker processes; exactly once is checked at the sink."""
    import shutil
    import socket
    import subprocess
    import tempfile

    from django.db.models import Max

    from rapport.communications.models import OutboundMessage
    from rapport.core.actors import COMMAND_LINE
    from rapport.customers.models import Customer, MarketingConsent
    from rapport.outreach import services
    from rapport.outreach.models import CampaignDelivery

    header(f"Issue 14: rendering and delivering to a local SMTP sink, {args.workers} workers")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spool = Path(tempfile.mkdtemp(prefix="bench1314-sink-"))
    dump = spool / "dump"
    sink_kind, sink = _start_sink(args.sink, port, dump)
    ids = list(
        Customer.objects.filter(
            pk__in=MarketingConsent.objects.filter(channel="email", granted=True).values(
                "customer_id"
            )
        )
        .exclude(primary_email="")
        .order_by("?")
        .values_list("pk", flat=True)[: args.messages]
    )
    env = dict(os.environ, EMAIL_URL=f"smtp://127.0.0.1:{port}", PYTHONPATH=str(ROOT))
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "db_worker",
                "--queue-name",
                "default",
                "--interval",
                str(args.interval),
                "--no-startup-delay",
                "--no-reload",
                "--worker-id",
                f"bench1314-{i}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(ROOT / "var" / f"bench1314-worker-{i}.log", "w"),  # noqa: SIM115
        )
        for i in range(args.workers)
    ]
    try:
        campaign = services.campaign_create(
            by=COMMAND_LINE,
            name=f"bench 1314 deliver {time.time()}",
            messages=[
                {
                    "language": "en",
                    "subject": "Hello {{ name }}",
                    "body": "Dear {{ name }}, hello.",
                },
                {
                    "language": "zh-hans",
                    "subject": "{{ name }}，您好",
                    "body": "亲爱的{{ name }}。",
                },
                {
                    "language": "zh-hant",
                    "subject": "{{ name }}，您好",
                    "body": "親愛的{{ name }}。",
                },
                {
                    "language": "sk",
                    "subject": "Dobrý deň, {{ name }}",
                    "body": "Milý/á {{ name }}.",
                },
            ],
        )
        _wait_until_polling(workers)
        cpu0 = _cpu_snapshot(workers, sink)
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        run = services.campaign_start(by=COMMAND_LINE, campaign_id=campaign.pk, customer_ids=ids)
        queued_s = time.perf_counter() - t0
        done_states = ("sent", "failed", "exported", "skipped")
        deadline = time.perf_counter() + args.timeout
        done = 0
        while time.perf_counter() < deadline:
            done = OutboundMessage.objects.filter(
                pk__in=CampaignDelivery.objects.filter(run=run).values("message_id"),
                state__in=done_states,
            ).count()
            if done >= run.total:
                break
            time.sleep(0.5)
        took = time.perf_counter() - t0
        cpu = _cpu_snapshot(workers, sink)
        # The end to the message: when the last outcome was written (the polling sees it later).
        last = OutboundMessage.objects.filter(
            pk__in=CampaignDelivery.objects.filter(run=run).values("message_id"),
            state__in=done_states,
        ).aggregate(last=Max("updated_at"))["last"]
        if done >= run.total and last is not None:
            took = min(took, (last - started).total_seconds())
        time.sleep(1)  # let the sink finish the last messages
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
        sink.terminate()
        sink.wait(timeout=30)
    states = dict(
        OutboundMessage.objects.filter(
            pk__in=CampaignDelivery.objects.filter(run=run).values("message_id")
        )
        .values_list("state")
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("pk"))
        .values_list("state", "n")
    )
    recipients = _sink_recipients(dump)
    shutil.rmtree(spool, ignore_errors=True)
    received = len(recipients)
    distinct = len(set(recipients))
    rate = done / took if took else 0
    say("")
    say(
        "| messages in the run | delivered (state sent) | at the sink | distinct recipients | duplicates | seconds (start → last delivered) | messages/s | goal ≥ 1,000/s, exactly once |"
    )
    say("|---:|---:|---:|---:|---:|---:|---:|---|")
    ok = rate >= 1000 and received == distinct == states.get("sent", 0) == run.total
    say(
        f"| {run.total:,} | {states.get('sent', 0):,} | {received:,} | {distinct:,} | "
        f"{received - distinct:,} | {took:.1f} | {rate:,.0f} | {'met' if ok else 'NOT met'} |"
    )
    say(
        f"\nQueueing (campaign_start, {run.total:,} delivery rows and their tasks): {queued_s:.2f} s. Message states: {json.dumps(states)}."
    )
    used = {k: cpu[k] - cpu0.get(k, 0.0) for k in cpu}
    say(
        f"Sink: {sink_kind} (its own process). CPU seconds from the start to the last delivery "
        f"({took:.1f} s × 2 cores = {2 * took:.1f} CPU-s available): workers "
        f"{used['workers']:.1f}, PostgreSQL backends of this database {used['postgres']:.1f}, "
        f"sink {used['sink']:.1f}, this process (queueing, polling) {used['self']:.1f}; "
        f"worker `--interval` {args.interval} s."
    )
    footer()


def _wait_until_polling(workers, timeout: float = 120) -> None:
    """Until every worker has started (its log says so): a deployment's workers are running
    before a campaign starts, so their start-up is not counted."""
    stop = time.perf_counter() + timeout
    for i, _w in enumerate(workers):
        log = ROOT / "var" / f"bench1314-worker-{i}.log"
        while time.perf_counter() < stop and "Starting worker" not in log.read_text():
            time.sleep(0.1)


def _cpu_snapshot(workers, sink) -> dict[str, float]:
    """CPU seconds so far of the workers, the sink, this process and the PostgreSQL backends
    connected to this database (the workers' and this process's)."""
    from django.db import connection

    backends: list[int] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            backends = [row[0] for row in cursor.fetchall()]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "workers": sum(_cpu_seconds(w.pid) for w in workers),
        "sink": _cpu_seconds(sink.pid),
        "postgres": sum(_cpu_seconds(pid) for pid in backends),
        "self": usage.ru_utime + usage.ru_stime,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command", choices=["base", "load", "satisfaction", "outreach", "backfill", "deliver"]
    )
    parser.add_argument("--customers", type=int, default=1_000_000, help="base")
    parser.add_argument("--lines", type=int, default=10_000_000, help="base")
    parser.add_argument("--answers", type=int, default=2_000_000)
    parser.add_argument("--owned", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--naive", type=int, default=5_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1314)
    parser.add_argument("--series-budget", type=float, default=60.0, help="seconds per series")
    parser.add_argument("--warm", type=int, default=1, help="warm-up calls per dashboard series")
    parser.add_argument(
        "--parts", default="dashboard,recall,maintenance", help="satisfaction: what to measure"
    )
    parser.add_argument("--timeout", type=float, default=900, help="deliver: give up after (s)")
    parser.add_argument(
        "--sink",
        choices=["auto", "smtp-sink", "aiosmtpd"],
        default="auto",
        help="deliver: the SMTP sink (auto: Postfix's smtp-sink when installed, else aiosmtpd)",
    )
    parser.add_argument(
        "--interval", type=float, default=0.1, help="deliver: the workers' db_worker --interval"
    )
    parser.add_argument(
        "--outreach-parts", default="audience,moments", help="outreach: what to measure"
    )
    args = parser.parse_args()
    BUDGET[0] = args.series_budget
    import django

    django.setup()
    (ROOT / "var").mkdir(exist_ok=True)
    {
        "base": base,
        "load": load,
        "satisfaction": satisfaction,
        "outreach": outreach,
        "backfill": backfill,
        "deliver": deliver,
    }[args.command](args)


if __name__ == "__main__":
    main()
