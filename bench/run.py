"""`make bench`: the customer database at 1,000,000 customers and 10,000,000 order lines.

For SQLite (var/bench.sqlite3) and PostgreSQL (BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/rapport_bench; skipped if unreachable) it loads the data set
once (bench/generate.py; reused while complete and of the right size), then measures p50/p95 of

- search: rapport.customers.search.search_customers, and GET /api/v1/customers/search?q=, by phone
  (national format), email, Latin name part and 1- and 2-character Chinese name parts;
- the customer page GET /customers/<id>/ as a manager;
- the list API GET /api/v1/customers at page 1 and page 20,000 (cursor computed, not walked);

checks the query plans (EXPLAIN / EXPLAIN QUERY PLAN) and prints a markdown table, which it also
adds to bench/RESULTS.md. The import rate is measured by bench/import_rate.py when present.

    .venv/bin/python bench/run.py [--customers N] [--lines M] [--queries Q] [--time-limit S]
                                  [--backends sqlite,postgresql]

Every phase runs in a child process with a deadline; the whole run stays within --time-limit.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")  # see bench/analytics_fit.py

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SQLITE_PATH = ROOT / "var" / "bench.sqlite3"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/rapport_bench"
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Customer database (issue 3)"
IMPORT_SCRIPT = ROOT / "bench" / "import_rate.py"
GOALS_MS = {"search": 10, "page": 100, "list": 50}  # p95 goals
MEASURE_RESERVE_S = 900  # kept back from loading for the measurements


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


# Parent: orchestration ---------------------------------------------------------------------------


def pg_ready(url: str) -> str | None:
    """None if the database is reachable (created when missing), else why not."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
                log(f"created database {name}")
    except psycopg.Error as exc:
        return f"PostgreSQL is not reachable at {url} ({str(exc).strip().splitlines()[0]})"
    return None


def run_child(phase: str, backend: str, url: str, args, timeout: float) -> subprocess.Popen:
    out = Path(tempfile.mkstemp(prefix=f"bench-{backend}-{phase}-", suffix=".json")[1])
    cmd = [
        sys.executable,
        __file__,
        "--child",
        phase,
        "--backend",
        backend,
        "--out",
        str(out),
        "--customers",
        str(args.customers),
        "--lines",
        str(args.lines),
        "--seed",
        str(args.seed),
        "--queries",
        str(args.queries),
        "--series-budget",
        str(args.series_budget),
    ]
    # One benchmark user sends thousands of requests a minute: the per-token API rate limit
    # (RAPPORT_API_REQUESTS_PER_MINUTE, 0 = off) would answer 429; every other cost stays measured.
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="rapport.settings",
        RAPPORT_API_REQUESTS_PER_MINUTE="0",
    )
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    proc.out_path, proc.deadline, proc.label = out, time.time() + timeout, f"{backend} {phase}"  # type: ignore[attr-defined]
    return proc


def wait_all(procs: list) -> dict[str, dict]:
    results = {}
    for proc in procs:
        try:
            proc.wait(timeout=max(1.0, proc.deadline - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            results[proc.label] = {"error": "stopped: over its time limit"}
            continue
        try:
            results[proc.label] = json.loads(proc.out_path.read_text() or "{}")
        except json.JSONDecodeError:
            results[proc.label] = {}
        if proc.returncode and "error" not in results[proc.label]:
            results[proc.label]["error"] = f"exited with status {proc.returncode}"
        proc.out_path.unlink(missing_ok=True)
    return results


def parent(args) -> int:
    started = time.time()
    deadline = started + args.time_limit
    SQLITE_PATH.parent.mkdir(exist_ok=True)
    backends = {
        "sqlite": f"sqlite:///{SQLITE_PATH}",
        "postgresql": os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG),
    }
    skipped = {}
    for name in list(backends):
        if name not in args.backends:
            del backends[name]
        elif name == "postgresql" and (why := pg_ready(backends[name])):
            skipped[name] = why
            log(f"{why}: the PostgreSQL part is skipped.")
            del backends[name]

    log(
        f"preparing {args.customers:,} customers / {args.lines:,} order lines on {', '.join(backends)}"
    )
    load_budget = max(60.0, deadline - time.time() - MEASURE_RESERVE_S)
    prepared = wait_all(
        [run_child("prepare", b, url, args, load_budget) for b, url in backends.items()]
    )

    measured = {}
    for backend, url in backends.items():
        prep = prepared.get(f"{backend} prepare", {})
        if "error" in prep:
            measured[backend] = {"error": f"data set not ready: {prep['error']}"}
            continue
        remaining = deadline - time.time()
        if remaining < 60:
            measured[backend] = {"error": "no time left to measure"}
            continue
        per_backend = remaining / max(1, len([b for b in backends if b not in measured]))
        result = wait_all([run_child("measure", backend, url, args, per_backend)])[
            f"{backend} measure"
        ]
        result["prepare"] = prep
        measured[backend] = result

    for backend, result in measured.items():
        dump_plans(backend, result.get("plans", {}))
    import_rate = run_import_rate(deadline)
    report = render(args, measured, skipped, import_rate, time.time() - started)
    print("\n" + report)
    append_results(report)
    log(f"results added to {RESULTS.relative_to(ROOT)}")
    return 0 if all("error" not in r for r in measured.values()) else 1


def dump_plans(backend: str, plans: dict) -> None:
    """Every query and its plan, for reading when a figure misses its goal."""
    path = ROOT / "var" / f"bench-plans-{backend}.md"
    parts = [f"# Query plans on {backend}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"]
    for kind, items in plans.items():
        parts.append(f"\n## {kind}\n")
        for item in items:
            flags = f"**⚠ {'; '.join(item['flags'])}**\n\n" if item["flags"] else ""
            parts.append(f"{flags}```sql\n{item['sql']}\n```\n```\n{item['plan']}\n```\n")
    path.write_text("\n".join(parts))
    log(f"{backend}: query plans written to {path.relative_to(ROOT)}")


def run_import_rate(deadline: float) -> str:
    if not IMPORT_SCRIPT.exists():
        return "measured by bench/import_rate.py when present (not present in this checkout)."
    timeout = max(60.0, deadline - time.time())
    log("running bench/import_rate.py")
    try:
        done = subprocess.run(
            # Its section goes into this run's report (below), not a second time at the file's end.
            [sys.executable, str(IMPORT_SCRIPT), "--results", os.devnull],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"bench/import_rate.py did not finish within {timeout:.0f} s."
    text = done.stdout.strip() or done.stderr.strip()
    return (
        text
        if done.returncode == 0
        else f"bench/import_rate.py failed ({done.returncode}):\n\n{text}"
    )


# Report --------------------------------------------------------------------------------------------


ROWS = [
    ("search", "phone", "Search by phone, national format"),
    ("search", "email", "Search by email"),
    ("search", "latin", "Search by Latin name part"),
    ("search", "cjk1", "Search by 1 Chinese character"),
    ("search", "cjk2", "Search by 2 Chinese characters"),
]


def _cell(series: dict | None) -> tuple[str, str]:
    if not series:
        return ("not available", "")
    if "error" in series:
        return (series["error"], "")
    return (f"{series['p50']:.1f}", f"{series['p95']:.1f}")


def _goal(kind: str, series: dict | None) -> str:
    if not series or "p95" not in series:
        return f"≤ {GOALS_MS[kind]}"
    return f"≤ {GOALS_MS[kind]} {'✅' if series['p95'] <= GOALS_MS[kind] else '❌'}"


def machine() -> str:
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {int(mem) / 1024 / 1024:.1f} GiB RAM, load average {load}"
    )


def render(args, measured: dict, skipped: dict, import_rate: str, elapsed: float) -> str:
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    cols = list(measured)
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- Machine: {machine()}; Python {platform.python_version()}.",
        f"- Data set: {args.customers:,} customers, {args.lines:,} order lines (seed {args.seed}); "
        f"{args.queries} queries per series; whole run {elapsed / 60:.1f} min.",
    ]
    for backend, result in measured.items():
        prep = result.get("prepare", {})
        if prep.get("load"):
            t = prep["load"]
            lines.append(
                f"- {names[backend]}: loaded in {t['total_s'] / 60:.1f} min (drawing {t['draw_s']:.0f} s, "
                f"writing {t['write_s']:.0f} s, finishing {t['finish_s']:.0f} s)."
            )
        elif prep.get("reused"):
            lines.append(f"- {names[backend]}: data set reused.")
        if result.get("dataset"):
            lines.append(
                f"- {names[backend]} rows: "
                + ", ".join(f"{k} {v:,}" for k, v in result["dataset"].items())
            )
        if "error" in result:
            lines.append(f"- {names[backend]}: {result['error']}")
    for backend, why in skipped.items():
        lines.append(f"- {names[backend]}: skipped — {why}.")
    header = (
        "| Milliseconds | "
        + " | ".join(f"{names[c]} p50 | {names[c]} p95" for c in cols)
        + " | Goal (p95) |"
    )
    lines += ["", header, "|---" * (2 + 2 * len(cols)) + "|"]

    def row(label: str, kind: str, get) -> None:
        cells, goal_series = [], None
        for c in cols:
            series = get(measured[c])
            goal_series = goal_series or series if series and "p95" in series else goal_series
            p50, p95 = _cell(series)
            cells += [p50, p95]
        worst = max((get(measured[c]) or {}).get("p95", -1) for c in cols) if cols else -1
        lines.append(
            f"| {label} | "
            + " | ".join(cells)
            + f" | {_goal(kind, {'p95': worst} if worst >= 0 else None)} |"
        )

    for kind, key, label in ROWS:
        row(
            f"{label} (function)",
            kind,
            lambda r, k=key: r.get("search", {}).get(k, {}).get("function"),
        )
        row(f"{label} (API)", kind, lambda r, k=key: r.get("search", {}).get(k, {}).get("api"))
    row("Customer page GET /customers/&lt;id&gt;/", "page", lambda r: r.get("page"))
    row("List API, first page", "list", lambda r: r.get("list", {}).get("first"))
    row("List API, page 20,000 (newest first)", "list", lambda r: r.get("list", {}).get("deep"))
    row("List API, page 20,000 (by name)", "list", lambda r: r.get("list", {}).get("deep_name"))

    lines += [
        "",
        "Query plans (⚠ a full scan or a sort of over 1,000 rows; ℹ a sort SQLite does in a temporary "
        "B-tree; every plan is in var/bench-plans-&lt;backend&gt;.md):",
        "",
    ]
    for c in cols:
        for kind, plans in measured[c].get("plans", {}).items():
            flags = sorted({f for p in plans for f in p["flags"]})
            sorts = [f for f in flags if f.startswith("sort after")]
            scans = [f for f in flags if f not in sorts]
            verdict = "⚠ " + "; ".join(scans) if scans else "index lookups only"
            if sorts:
                verdict += "; ℹ " + "; ".join(sorts)
            lines.append(f"- {names[c]}, {kind}: {verdict}")
    if import_rate.startswith("#"):  # bench/import_rate.py's own section, one level down
        lines += ["", "#" + import_rate, ""]
    else:
        lines += ["", f"Import rate: {import_rate}", ""]
    return "\n".join(lines)


def append_results(report: str) -> None:
    """Add the run at the end of this benchmark's section, leaving other sections alone."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if HEADING not in text:
        text = (
            text.rstrip("\n")
            + f"\n\n{HEADING}\n\nWritten by `make bench` (bench/run.py); newest last.\n"
        )
    start = text.index(HEADING) + len(HEADING)
    nxt = text.find("\n## ", start)
    end = len(text) if nxt < 0 else nxt + 1
    section = text[:end].rstrip("\n") + "\n\n" + report.strip("\n") + "\n"
    RESULTS.write_text(section + ("\n" + text[end:] if nxt >= 0 else ""))


# Child: one phase on one database --------------------------------------------------------------


def child(args) -> int:
    import django

    django.setup()
    from bench.generate import NotOurs, Spec, dataset_state, load, wipe

    result: dict = {}
    try:
        spec = Spec(customers=args.customers, lines=args.lines, seed=args.seed)
        if args.child == "prepare":
            result = prepare(spec, args.backend, dataset_state, load, wipe)
        else:
            result = measure(args)
    except NotOurs as exc:
        result = {"error": str(exc)}
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"}
        raise
    finally:
        Path(args.out).write_text(json.dumps(result, default=str))
    return 0


def prepare(spec, backend: str, dataset_state, load, wipe) -> dict:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    state = dataset_state(spec)
    if state == "ready":
        log(f"{backend}: the data set is complete and of the right size: reused")
        return {"reused": True}
    if state == "resume":
        log(f"{backend}: an earlier run stopped part-way through loading: carrying on")
    if state == "ours":
        log(f"{backend}: replacing an earlier, incomplete or different benchmark data set")
        if backend == "sqlite":  # the file is the benchmark's own: cheaper to start afresh
            name = Path(connection.settings_dict["NAME"])
            connection.close()
            for path in (name, Path(f"{name}-wal"), Path(f"{name}-shm")):
                path.unlink(missing_ok=True)
            call_command("migrate", interactive=False, verbosity=0)
        else:
            wipe()
    return {"load": load(spec, lambda msg: log(f"{backend}: {msg}"))}


# Child: measurements ------------------------------------------------------------------------------


def _series(fn, inputs: list, budget: float) -> dict:
    """p50/p95 in milliseconds of fn(x) over the inputs, after a short warm-up, within `budget` s."""
    import numpy as np

    for x in inputs[:10]:
        fn(x)
    times, stop = [], time.perf_counter() + budget
    for x in inputs:
        t = time.perf_counter()
        fn(x)
        times.append((time.perf_counter() - t) * 1000)
        if time.perf_counter() > stop:
            break
    return {
        "p50": float(np.percentile(times, 50)),
        "p95": float(np.percentile(times, 95)),
        "n": len(times),
    }


def _sample_queries(rng, n: int) -> dict[str, list[str]]:
    """Random existing values: phones (national format), emails, name parts."""
    import phonenumbers
    from django.db.models import Max

    from rapport.core.names import is_cjk
    from rapport.customers.models import Customer

    top = Customer.objects.aggregate(m=Max("id"))["m"] or 0
    out: dict[str, list[str]] = {"phone": [], "email": [], "latin": [], "cjk1": [], "cjk2": []}
    for _ in range(50):
        if all(len(v) >= n for v in out.values()):
            break
        ids = [rng.randint(1, top) for _ in range(4 * n)]
        for c in Customer.objects.filter(pk__in=ids).only(
            "family_name", "given_name", "display_name", "primary_phone", "primary_email"
        ):
            if c.primary_phone.startswith(
                "+86"
            ):  # the default region reads national numbers as Chinese
                national = phonenumbers.format_number(
                    phonenumbers.parse(c.primary_phone), phonenumbers.PhoneNumberFormat.NATIONAL
                )
                out["phone"].append(national)
            if c.primary_email:
                out["email"].append(c.primary_email)
            name = c.display_name
            if is_cjk(name) and len(name) >= 2:
                out["cjk1"].append(rng.choice(name))
                k = rng.randrange(len(name) - 1)
                out["cjk2"].append(name[k : k + 2])
            elif name:
                out["latin"].append(rng.choice([c.family_name, c.given_name]) or name)
    return {k: v[:n] for k, v in out.items()}


def _flags(vendor: str, plan: str) -> list[str]:
    """What in a plan reads more than the index lets it (tiny lookup tables aside)."""
    small = (
        "django_content_type",
        "auth_",
        "staff_",
        "customers_tag ",
        "django_session",
        "sales_product",
    )
    found, last_table = [], ""
    for line in plan.splitlines():
        text = line.strip().removeprefix("->").strip(" -|`")
        if vendor == "postgresql":
            if text.startswith("Seq Scan on") and not any(s in text for s in small):
                found.append(text.split("  (")[0])
            rows = re.search(r"actual time=\S+ rows=(\d+)", text)
            if text.startswith("Sort ") and rows and int(rows.group(1)) > 1000:
                found.append(f"Sort of {int(rows.group(1)):,} rows")
        else:
            if text.startswith(("SCAN ", "SEARCH ")):
                last_table = text.split()[1]
            if text.startswith("SCAN ") and not any(s.strip() in text for s in small):
                found.append(text)
            if "USE TEMP B-TREE" in text:  # SQLite does not say how many rows: see the plans file
                found.append(f"sort after reading {last_table} (temp B-tree)")
    return found


def _plans(fn) -> list[dict]:
    """EXPLAIN (ANALYZE) / EXPLAIN QUERY PLAN of every SELECT `fn` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    out = []
    for q in ctx.captured_queries:
        sql = q["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or "django_session" in sql:
            continue
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(r[0] for r in cur.fetchall())
            else:
                cur.execute("EXPLAIN QUERY PLAN " + sql)
                plan = "\n".join(str(r[-1]) for r in cur.fetchall())
        out.append({"sql": sql, "plan": plan, "flags": _flags(connection.vendor, plan)})
    return out


def _bench_manager():
    from django.contrib.auth import get_user_model

    from rapport.staff.services import roles_sync, user_create

    roles_sync()
    user = get_user_model().objects.filter(username="bench-manager").first()
    if user is None:
        import secrets

        user = user_create(
            username="bench-manager", password=secrets.token_urlsafe(16), roles=["manager"]
        )
    return user


def measure(args) -> dict:
    import random

    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from rapport.core.pagination import encode_cursor
    from rapport.customers.models import Customer, CustomerSearchTerm
    from rapport.customers.search import search_customers
    from rapport.sales.models import Order, OrderLine

    rng = random.Random(args.seed)
    client = Client()
    client.force_login(_bench_manager())
    budget = args.series_budget
    result: dict = {
        "dataset": {
            "customers": Customer.objects.count(),
            "orders": Order.objects.count(),
            "order lines": OrderLine.objects.count(),
            "search terms": CustomerSearchTerm.objects.count(),
        },
        "search": {},
        "plans": {},
    }
    log(f"{args.backend}: measuring")

    queries = _sample_queries(rng, args.queries)
    api_search = "/api/v1/customers/search"
    api_ok = client.get(api_search, {"q": "x"}).status_code == 200
    for kind, values in queries.items():
        entry = {
            "function": _series(search_customers, values, budget)
            if values
            else {"error": "no values"}
        }
        if api_ok:
            entry["api"] = _series(lambda q: _ok(client.get(api_search, {"q": q})), values, budget)
        result["search"][kind] = entry
        if values:
            result["plans"][f"search {kind}"] = _plans(lambda v=values[0]: search_customers(v))
        log(f"{args.backend}: search {kind}: {entry['function']}")

    ids = [rng.randint(1, result["dataset"]["customers"]) for _ in range(args.queries)]
    ids = list(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
    try:
        url = reverse("customers:detail", args=[ids[0]])
        page_ok = client.get(url).status_code == 200
    except NoReverseMatch:
        page_ok = False
    if page_ok:
        busiest = list(
            Order.objects.values("customer_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("customer_id", flat=True)[:1]
        )
        result["page"] = _series(lambda pk: _ok(client.get(f"/customers/{pk}/")), ids, budget)
        result["plans"]["customer page"] = _plans(lambda: client.get(f"/customers/{ids[0]}/"))
        result["plans"]["customer page, most orders"] = _plans(
            lambda: client.get(f"/customers/{busiest[0]}/")
        )
        log(f"{args.backend}: customer page: {result['page']}")

    api_list = "/api/v1/customers"
    if client.get(api_list, {"limit": 50}).status_code == 200:
        depth = min(20_000, max(1, result["dataset"]["customers"] // 50))
        skip = (depth - 1) * 50 - 1  # the last row of page depth-1: its key is page depth's cursor
        # The cursor of page `depth` in each order the API sorts by (its own SORTS, so the
        # benchmark follows the list's order if it changes).
        from rapport.customers.selectors import SORTS

        def cursor_at(sort: str) -> str:
            keys = [k.lstrip("-") for k in SORTS[sort]]
            return encode_cursor(
                list(Customer.objects.order_by(*SORTS[sort]).values_list(*keys)[skip])
            )

        newest, by_name = cursor_at("newest"), cursor_at("name")
        lst = result["list"] = {"depth": depth}
        lst["first"] = _series(
            lambda _: _ok(client.get(api_list, {"limit": 50})), range(args.queries), budget
        )
        lst["deep"] = _series(
            lambda _: _ok(client.get(api_list, {"limit": 50, "cursor": newest})),
            range(args.queries),
            budget,
        )
        lst["deep_name"] = _series(
            lambda _: _ok(client.get(api_list, {"limit": 50, "cursor": by_name, "sort": "name"})),
            range(args.queries),
            budget,
        )
        result["plans"][f"list API page {depth:,}"] = _plans(
            lambda: client.get(api_list, {"limit": 50, "cursor": newest})
        )
        result["plans"][f"list API page {depth:,} by name"] = _plans(
            lambda: client.get(api_list, {"limit": 50, "cursor": by_name, "sort": "name"})
        )
        log(f"{args.backend}: list: {lst}")
    connection.close()
    return result


def _ok(response):
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code} from {response.request['PATH_INFO']}")
    return response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--queries", type=int, default=200, help="queries per measured series")
    parser.add_argument(
        "--series-budget", type=float, default=60.0, help="seconds at most per series"
    )
    parser.add_argument(
        "--time-limit", type=float, default=3600.0, help="seconds for the whole run"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", choices=["prepare", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.backends = [b.strip() for b in args.backends.split(",")]
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
