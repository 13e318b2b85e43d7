"""Import rate: validated customer rows per second through the importer (web, CLI and task path).

Writes a customer CSV (name, phone in national format, email, tags), imports it into an empty
database per backend, and appends the figures to bench/RESULTS.md. Each backend runs in a child
process, since Django's settings are read once per process.

    .venv/bin/python bench/import_rate.py [--rows 200000] [--backend sqlite|postgresql|both]
        [--tag NAME] [--results FILE]

The file has one row per customer with a unique external id, phone and email (a repeated one
would be an error). Each run records the wall time and the CPU time of the importing process, its
checking workers and the PostgreSQL server process, so that a run on a busy machine still says
what the import costs. `--tag` gives the CSV file and the databases their own names (two runs at
once would otherwise overwrite each other's).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAMILY = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗") + [
    "Novák",
    "Kováč",
    "Horváth",
    "Smith",
    "Brown",
]
GIVEN = ["小明", "娜", "伟", "芳", "秀英", "静", "Ján", "Eva", "Peter", "Anna", "John", "Mary"]


def write_csv(path: Path, rows: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["external_id", "family_name", "given_name", "phone", "email", "tags"])
        for i in range(rows):
            out.writerow(
                [
                    f"BENCH-{i}",
                    rng.choice(FAMILY),
                    rng.choice(GIVEN),
                    # unique per row (a repeated number is an error): up to 100,000,000 rows
                    f"13{rng.randint(0, 9)} {i // 10000:04d} {i % 10000:04d}",
                    f"bench{i}@example.com",
                    rng.choice(["", "VIP", "newsletter"]),
                ]
            )


def child(path: str) -> None:
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    django.setup()
    call_command("migrate", verbosity=0)
    from rapport.imports.services import import_job_create, import_job_run

    # First a dry run (every row checked, matched against the database, nothing written), then the
    # import itself (checked and written in one transaction).
    for label, dry_run in (("CHECKED", True), ("RESULT", False)):
        job = import_job_create(kind="customers", by=None, path=path, dry_run=dry_run)
        db_before = _database_cpu()
        own_before, workers_before = _cpu()
        start = time.perf_counter()
        job = import_job_run(job_id=job.pk)
        seconds = time.perf_counter() - start
        own, workers = _cpu()
        db = _database_cpu() - db_before
        print(
            f"{label} {job.status} {job.total_rows} {job.created_count} {seconds:.2f} "
            f"{own - own_before:.2f} {workers - workers_before:.2f} {db:.2f}"
        )


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the checking workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _database_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL server process (same machine), else 0."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(backend: str, rows: int, csv_path: Path, tag: str = "") -> str:
    env = dict(os.environ)
    suffix_ = f"-{tag}" if tag else ""
    database = f"rapport_bench_import{suffix_.replace('-', '_')}"
    if backend == "sqlite":
        db = ROOT / "var" / f"bench-import{suffix_}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    else:
        import psycopg

        base = os.environ.get(
            "BENCH_IMPORT_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
        try:
            with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {database}")
                conn.execute(f"CREATE DATABASE {database}")
        except psycopg.OperationalError as exc:
            return f"| postgresql | not reachable ({exc.__class__.__name__}) | | | | |"
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + database
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    rows_out = []
    for label, what in (("CHECKED", "checked only (dry run)"), ("RESULT", "checked and written")):
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(label + " ")), None)
        if line is None:
            tail = proc.stderr.strip().splitlines()[-1:]
            rows_out.append(f"| {backend} | {what}: failed: {tail} | | | | |")
            continue
        _, status, total, created, seconds, own, workers, db = line.split()
        rate = int(total) / float(seconds)
        cpu = float(own) + float(workers) + float(db)
        per_row = 1e6 * cpu / int(total)
        rows_out.append(
            f"| {backend} | {what}: {int(total):,} rows, {status}, {int(created):,} created "
            f"| {float(seconds):.1f} | **{rate:,.0f}** "
            f"| {float(own):.1f} + {float(workers):.1f} + {float(db):.1f} "
            f"| {per_row:.0f} µs → {2e6 / per_row:,.0f} rows/s |"
        )
    return "\n".join(rows_out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--results", default=str(ROOT / "bench" / "RESULTS.md"), help="file the figures go to"
    )
    parser.add_argument(
        "--tag",
        default="",
        help="name suffix of the CSV file and the databases, so that two runs do not collide",
    )
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    (ROOT / "var").mkdir(exist_ok=True)
    if args.tag and not args.tag.replace("_", "").isalnum():
        parser.error("--tag: letters, digits and _ only")
    csv_path = ROOT / "var" / f"bench-import{'-' + args.tag if args.tag else ''}.csv"
    write_csv(csv_path, args.rows)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    before = os.getloadavg()
    lines = [run(b, args.rows, csv_path, args.tag) for b in backends]
    load = os.getloadavg()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    report = "\n".join(
        [
            "",
            f"### Import rate, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"- Machine: {os.cpu_count()} CPUs, {memory:.1f} GiB RAM; load average (1, 5, 15 min) "
            f"{before[0]:.1f}, {before[1]:.1f}, {before[2]:.1f} before and {load[0]:.1f}, "
            f"{load[1]:.1f}, {load[2]:.1f} after; Python {sys.version.split()[0]}.",
            f"- Data set: {args.rows:,} customer rows (`bench/import_rate.py --rows {args.rows}`), "
            "an empty database per backend; goal ≥ 20,000 validated rows/s.",
            "- Each backend: a dry run first (every row checked and matched against the database, "
            "nothing written), then the import (checked and written in one transaction).",
            "- CPU seconds: the importing process + its checking workers + the PostgreSQL server "
            "process. The last column is the CPU time per row and the rate that would give on "
            "two otherwise idle cores.",
            "",
            "| backend | run | seconds | rows/s | CPU s | CPU per row → 2 idle cores |",
            "|---|---|---:|---:|---:|---:|",
            *lines,
            "",
        ]
    )
    print(report)
    with Path(args.results).open("a", encoding="utf-8") as fh:
        fh.write(report)


if __name__ == "__main__":
    main()
