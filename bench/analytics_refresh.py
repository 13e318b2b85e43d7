"""Benchmark: the full analytics refresh (summary, fit, score, write; then the reports) at scale.

    python bench/analytics_refresh.py [--database postgresql|sqlite|both] [--customers N]
                                      [--lines-per-customer 10] [--strategies sql,polars]
                                      [--regenerate] [--no-reports]

Uses the benchmark databases bench/run.py generates (PostgreSQL BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/rapport_bench; SQLite var/bench.sqlite3) when they hold
orders. Otherwise it generates its own (rapport_analytics_bench / var/analytics_bench.sqlite3):
`--customers` customers, `--lines-per-customer` order lines each on average (about 2.5 lines per
order), over four years, with returns, cancelled orders, promotion codes and referrals.
Each database runs in a child process (Django is configured once per process). Prints a
markdown table of seconds per stage and per summary strategy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")  # see bench/analytics_fit.py

BENCH_PG = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/rapport_bench"
)
OWN_PG = "postgresql://postgres@127.0.0.1:5432/rapport_analytics_bench"
BENCH_SQLITE = ROOT / "var" / "bench.sqlite3"
OWN_SQLITE = ROOT / "var" / "analytics_bench.sqlite3"
START, END = date(2021, 1, 1), date(2024, 12, 31)  # the simulated history
AS_OF = END


# --- Child process: one database -----------------------------------------------------------


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()


def _order_lines(url: str) -> int:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM sales_orderline")
            return int(cursor.fetchone()[0])
    except Exception:  # noqa: BLE001 - a missing database or table means "generate"
        return 0


def _insert(model, frame) -> None:  # noqa: ANN001
    """Bulk-load `frame` into `model`'s table; columns the frame lacks get the field default."""
    import polars as pl
    from django.db import connection

    cols = []
    for f in model._meta.concrete_fields:
        name = f.column
        if name in frame.columns:
            cols.append(pl.col(name))
        elif f.null:
            cols.append(pl.lit(None).alias(name))
        else:
            default = f.get_default()
            if default is None or callable(default):
                default = datetime.now(UTC).isoformat() if "at" in name else ""
            cols.append(pl.lit(default).alias(name))
    frame = frame.select(cols)
    table = model._meta.db_table
    names = ", ".join(frame.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                for offset in range(0, frame.height, 500_000):
                    copy.write(frame.slice(offset, 500_000).write_csv(include_header=False))
        else:
            marks = ", ".join(["%s"] * len(frame.columns))
            text = frame.with_columns(pl.col(pl.Boolean).cast(pl.Int8))
            for offset in range(0, text.height, 500_000):
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({marks})",
                    text.slice(offset, 500_000).iter_rows(),
                )


def generate(customers: int, lines_per_customer: float, seed: int = 7) -> dict[str, int]:
    """Simulate the history with numpy and bulk-load it (ids assigned here)."""
    import numpy as np
    import polars as pl
    from django.core.management import call_command
    from django.db import connection, transaction

    from rapport.customers.models import Customer
    from rapport.sales.models import Order, OrderLine, Product, Return

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(seed)
    span = (END - START).days + 1
    n = customers
    # Customers: first purchase uniform over the span; ~10 % referred by an earlier customer.
    first = rng.integers(0, span, n)
    since = np.minimum(first, np.maximum(0, first - rng.integers(0, 60, n)))
    cust_ids = np.arange(1, n + 1)
    order_by_first = np.argsort(first, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order_by_first] = np.arange(n)
    referred = (rng.random(n) < 0.10) & (rank > 0)
    referrer = np.where(
        referred, order_by_first[(rng.random(n) * np.maximum(rank, 1)).astype(np.int64)] + 1, 0
    )
    # Orders: BG/NBD-like — purchase rate ~ Gamma, drop-out after each purchase with prob p ~ Beta.
    rate = rng.gamma(0.7, 2.4 * 3 / 0.7 / (span / 2), n)  # purchases per day: ~4 orders each
    p_drop = rng.beta(1.2, 6.0, n)
    life = rng.geometric(p_drop) * rng.exponential(1 / np.maximum(rate, 1e-9))
    active = np.minimum(life, span - first)
    extra = rng.poisson(rate * active)
    n_orders = 1 + extra
    order_customer = np.repeat(np.arange(n), n_orders)
    is_first = np.zeros(len(order_customer), dtype=bool)
    is_first[np.concatenate([[0], np.cumsum(n_orders)[:-1]])] = True
    offset = np.where(is_first, 0, rng.random(len(order_customer)) * np.repeat(active, n_orders))
    day = first[order_customer] + offset.astype(np.int64)
    seconds = rng.integers(8 * 3600, 22 * 3600, len(day))
    start_ts = datetime(START.year, START.month, START.day, tzinfo=UTC).timestamp() - 8 * 3600
    ordered_at = ((start_ts + day * 86400 + seconds) * 1_000_000).astype("datetime64[us]")
    n_o = len(day)
    order_ids = np.arange(1, n_o + 1)
    # Products: 2,000 in 20 categories, Zipf-like popularity, log-normal prices.
    n_p = 2000
    price = np.round(np.exp(rng.normal(4.0, 0.8, n_p)), 2)
    unit_cost = np.round(price * rng.uniform(0.4, 0.8, n_p), 2)
    popularity = 1 / np.arange(1, n_p + 1) ** 0.9
    popularity /= popularity.sum()
    # Lines: 1 + Poisson(λ) per order, λ chosen to hit `lines_per_customer` on average.
    k = 1 + rng.poisson(max(lines_per_customer * n / n_o - 1, 0.0), n_o)
    line_order = np.repeat(np.arange(n_o), k)
    product = rng.choice(n_p, size=len(line_order), p=popularity)
    qty = 1 + rng.poisson(0.3, len(line_order))
    line_total = np.round(price[product] * qty, 2)
    line_cost = unit_cost[product] * qty
    total = np.bincount(line_order, weights=line_total, minlength=n_o)
    cost = np.bincount(line_order, weights=line_cost, minlength=n_o)
    status = np.where(rng.random(n_o) < 0.02, "cancelled", "paid")
    promo = np.where(rng.random(n_o) < 0.10, "WELCOME10", "")
    now = datetime.now(UTC).isoformat()
    # Returns: 3 % of lines, the whole line, a week later.
    ret = np.flatnonzero(rng.random(len(line_order)) < 0.03)

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # bulk load without per-row FK triggers
                cursor.execute("SET LOCAL session_replication_role = replica")
        _insert(
            Product,
            pl.DataFrame(
                {
                    "id": np.arange(1, n_p + 1),
                    "sku": [f"B{i:05d}" for i in range(1, n_p + 1)],
                    "name": [f"Product {i}" for i in range(1, n_p + 1)],
                    "category": [f"Category {i % 20:02d}" for i in range(n_p)],
                    "price": price,
                    "unit_cost": unit_cost,
                    "active": np.ones(n_p, dtype=bool),
                    "version": np.ones(n_p, dtype=np.int64),
                    "created_at": now,
                    "updated_at": now,
                }
            ),
        )
        names = pl.Series([f"Customer {i}" for i in cust_ids])
        _insert(
            Customer,
            pl.DataFrame(
                {
                    "id": cust_ids,
                    "given_name": names,
                    "display_name": names,
                    "sort_name": names.str.to_lowercase(),
                    "customer_since": pl.Series(np.datetime64(START) + since).cast(pl.Date),
                    "referred_by_id": referrer,
                    "version": np.ones(n, dtype=np.int64),
                    "created_at": now,
                    "updated_at": now,
                }
            ).with_columns(pl.when(pl.col("referred_by_id") > 0).then(pl.col("referred_by_id"))),
        )
        _insert(
            Order,
            pl.DataFrame(
                {
                    "id": order_ids,
                    "number": pl.Series(order_ids).cast(pl.String).str.zfill(10),
                    "customer_id": cust_ids[order_customer],
                    "ordered_at": pl.Series(ordered_at).dt.replace_time_zone("UTC"),
                    "status": status,
                    "promotion_code": promo,
                    "currency": "CNY",
                    "total": np.round(total, 2),
                    "cost": np.round(cost, 2),
                    "version": np.ones(n_o, dtype=np.int64),
                    "created_at": now,
                    "updated_at": now,
                }
            ),
        )
        _insert(
            OrderLine,
            pl.DataFrame(
                {
                    "id": np.arange(1, len(line_order) + 1),
                    "order_id": order_ids[line_order],
                    "product_id": product + 1,
                    "quantity": qty.astype(float),
                    "unit_price": price[product],
                    "discount": 0.0,
                    "line_total": line_total,
                    "unit_cost": unit_cost[product],
                }
            ),
        )
        _insert(
            Return,
            pl.DataFrame(
                {
                    "id": np.arange(1, len(ret) + 1),
                    "order_line_id": ret + 1,
                    "returned_at": pl.Series(
                        ordered_at[line_order[ret]] + np.timedelta64(7, "D")
                    ).dt.replace_time_zone("UTC"),
                    "quantity": qty[ret].astype(float),
                    "refund_amount": line_total[ret],
                    "created_at": now,
                    "updated_at": now,
                }
            ),
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Product, Customer, Order, OrderLine, Return):
                t = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
                )
        else:
            cursor.execute("ANALYZE")
    if connection.vendor == "postgresql":  # VACUUM cannot run inside a transaction block
        connection.ensure_connection()
        raw = connection.connection
        raw.autocommit = True
        with raw.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    return {"customers": n, "orders": n_o, "order_lines": len(line_order), "returns": len(ret)}


def _data_end() -> date:
    from django.db.models import Max
    from django.utils import timezone

    from rapport.sales.models import Order

    last = Order.objects.aggregate(last=Max("ordered_at"))["last"]
    return timezone.localdate(last) if last else END


def _backend_cpu() -> float:
    """CPU seconds used so far by this connection's database server process (PostgreSQL on this
    machine only; 0 otherwise): with the Python process's CPU it measures the work independently
    of what else the machine is doing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _counts() -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for name, table in (
            ("customers", "customers_customer"),
            ("orders", "sales_order"),
            ("order_lines", "sales_orderline"),
            ("returns", "sales_return"),
        ):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            out[name] = int(cursor.fetchone()[0])
    return out


def summary(strategy: str, cal: date):  # noqa: ANN201 - a polars frame
    """The per-customer summary alone: one grouped query ("sql"), or the orders and the refunds
    per order streamed out and aggregated in polars ("polars")."""
    import polars as pl

    from rapport.analytics.services.history import read_orders, read_refunds
    from rapport.analytics.services.summary import summary_polars, summary_sql

    if strategy == "sql":
        return summary_sql(as_of=AS_OF, calibration_end=cal)
    orders = (
        read_orders(as_of=AS_OF)
        .join(read_refunds(as_of=AS_OF), on="order_id", how="left")
        .with_columns(pl.col("refund").fill_null(0.0))
    )
    return summary_polars(orders=orders, calibration_end=cal)


def run_one(url: str, args: argparse.Namespace) -> dict[str, object]:
    _setup(url)
    from django.db import connection

    from rapport.analytics import services
    from rapport.analytics.services import database

    result: dict[str, object] = {"database": connection.vendor, "url": url.rsplit("@", 1)[-1]}
    if args.regenerate or _order_lines(url) == 0:
        started = time.perf_counter()
        result["generated"] = generate(args.customers, args.lines_per_customer)
        result["generate_seconds"] = round(time.perf_counter() - started, 1)
    from django.core.management import call_command

    call_command("migrate", "analytics", verbosity=0)  # the analytics tables, nothing else
    result["dataset"] = _counts()
    global AS_OF
    AS_OF = _data_end()  # the day of the last order: bench/run.py's data end "now"
    result["as_of"] = AS_OF.isoformat()
    # The summary alone, per strategy (best of --repeat).
    cal = AS_OF - timedelta(weeks=services.HOLDOUT_WEEKS)
    strategies = {}
    with database.analytics_session():
        for strategy in args.strategies:
            best = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                frame = summary(strategy, cal)
                best = min(best, time.perf_counter() - started)
            strategies[strategy] = {"seconds": round(best, 2), "customers": frame.height}
    result["summary_strategies"] = strategies
    # Full refreshes: the first writes every row (insert), the second updates every row.
    refreshes = []
    for _ in range(2):
        load = os.getloadavg()[0]
        cpu, db_cpu = time.process_time(), _backend_cpu()
        fit = services.analytics_refresh(
            as_of=AS_OF, reports=not args.no_reports, strategy=args.refresh_strategy
        )
        refreshes.append(
            {
                "stages": fit.stages,
                "strategy": fit.summary_strategy,
                "python_cpu": round(time.process_time() - cpu, 1),
                "database_cpu": round(_backend_cpu() - db_cpu, 1),
                "load_before": round(load, 1),
                "load_after": round(os.getloadavg()[0], 1),
                "customers": fit.customers,
                "bgnbd": fit.bgnbd.get("params"),
                "gamma_gamma": fit.gamma_gamma.get("params"),
                "pareto_nbd": fit.pareto_nbd.get("params"),
            }
        )
    result["refreshes"] = refreshes
    import resource

    result["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


# --- Parent process ----------------------------------------------------------------------


def _pg_exists(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


def _pg_create(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def _target(kind: str) -> tuple[str, str]:
    """(url, note): bench/run.py's database when it holds orders, else our own."""
    if kind == "postgresql":
        if _pg_exists(BENCH_PG) and _has_lines(BENCH_PG):
            return BENCH_PG, "bench/run.py's database"
        if not _pg_exists(OWN_PG):
            _pg_create(OWN_PG)
        return OWN_PG, "generated by this script (bench/run.py's database is missing or empty)"
    if BENCH_SQLITE.exists() and _has_lines(f"sqlite:///{BENCH_SQLITE}"):
        # a copy: the refresh's long write transaction would lock bench/run.py out of its file
        copy = OWN_SQLITE.with_name("analytics_bench_copy.sqlite3")
        if not copy.exists() or copy.stat().st_mtime < BENCH_SQLITE.stat().st_mtime:
            shutil.copyfile(BENCH_SQLITE, copy)
        return f"sqlite:///{copy}", "a copy of bench/run.py's database"
    return (
        f"sqlite:///{OWN_SQLITE}",
        "generated by this script (var/bench.sqlite3 is missing or empty)",
    )


def _has_lines(url: str) -> bool:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from bench.analytics_refresh import _setup, _order_lines; "
        f"_setup({url!r}); print(_order_lines({url!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    try:
        return int(out.stdout.strip().splitlines()[-1]) > 0
    except (ValueError, IndexError):
        return False


def _table(results: list[dict[str, object]]) -> str:
    rows = [
        "| database | dataset | summary alone: sql | summary alone: polars | refresh | load | read | summary | fit | score | write | total without reports | reports | total | CPU: Python + database |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        d = r["dataset"]
        size = f"{d['customers']:,} customers, {d['orders']:,} orders, {d['order_lines']:,} lines"
        s = r["summary_strategies"]
        for i, ref in enumerate(r["refreshes"]):
            st = ref["stages"]
            core = sum(st[k] for k in ("read", "summary", "fit", "score", "write"))
            label = (
                "first (empty table)" if i == 0 else "second (replacing)"
            ) + f", {ref['strategy']}"
            rows.append(
                f"| {r['database']} | {size} | {s.get('sql', {}).get('seconds', '—')} | "
                f"{s.get('polars', {}).get('seconds', '—')} | {label} | "
                f"{ref['load_before']}–{ref['load_after']} | {st['read']:.2f} | "
                f"{st['summary']:.2f} | {st['fit']:.2f} | {st['score']:.2f} | {st['write']:.2f} | "
                f"{core:.2f} | {st.get('reports', 0):.2f} | {core + st.get('reports', 0):.2f} | "
                f"{ref['python_cpu']} + {ref['database_cpu']} |"
            )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines-per-customer", type=float, default=10.0)
    parser.add_argument("--strategies", default="sql,polars")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--refresh-strategy", default="auto", choices=("auto", "sql", "polars"))
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-reports", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.strategies = [s for s in args.strategies.split(",") if s]
    if args.child:
        print("RESULT " + json.dumps(run_one(args.child, args), default=str))
        return 0
    kinds = ["postgresql", "sqlite"] if args.database == "both" else [args.database]
    results = []
    for kind in kinds:
        url, note = _target(kind)
        print(f"== {kind}: {url.rsplit('@', 1)[-1]} ({note})", flush=True)
        cmd = [
            sys.executable,
            __file__,
            "--child",
            url,
            "--customers",
            str(args.customers),
            "--lines-per-customer",
            str(args.lines_per_customer),
            "--strategies",
            ",".join(args.strategies),
            "--repeat",
            str(args.repeat),
            "--refresh-strategy",
            args.refresh_strategy,
        ]
        cmd += ["--regenerate"] if args.regenerate else []
        cmd += ["--no-reports"] if args.no_reports else []
        out = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "LOG_LEVEL": "WARNING"},
        )
        line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(out.stdout[-3000:], out.stderr[-5000:], file=sys.stderr)
            return 1
        result = json.loads(line[7:])
        result["note"] = note
        print(json.dumps(result, indent=1), flush=True)
        results.append(result)
    print(
        f"\n{date.today()}, {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}\n"
    )
    print(_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
