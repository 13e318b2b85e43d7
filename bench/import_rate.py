"""Import rate: validated customer rows per second through the importer (web, CLI and task path).

Writes a customer CSV (name, phone in national format, email, tags), imports it into an empty
database per backend, and appends the figures to bench/RESULTS.md. Each backend runs in a child
process, since Django's settings are read once per process.

    .venv/bin/python bench/import_rate.py [--rows 200000] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
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
                    f"13{rng.randint(0, 9)} {rng.randint(0, 9999):04d} {i % 10000:04d}",
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

    job = import_job_create(kind="customers", by=None, path=path)
    start = time.perf_counter()
    job = import_job_run(job_id=job.pk)
    seconds = time.perf_counter() - start
    print(f"RESULT {job.status} {job.total_rows} {job.created_count} {seconds:.2f}")


def run(backend: str, rows: int, csv_path: Path) -> str:
    env = dict(os.environ)
    if backend == "sqlite":
        db = ROOT / "var" / "bench-import.sqlite3"
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
                conn.execute("DROP DATABASE IF EXISTS rapport_bench_import")
                conn.execute("CREATE DATABASE rapport_bench_import")
        except psycopg.OperationalError as exc:
            return f"| PostgreSQL | not reachable ({exc.__class__.__name__}) | | |"
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/rapport_bench_import"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    if line is None:
        return f"| {backend} | failed: {proc.stderr.strip().splitlines()[-1:]} | | |"
    _, status, total, created, seconds = line.split()
    rate = int(total) / float(seconds)
    return f"| {backend} | {int(total):,} rows, {status}, {int(created):,} created | {float(seconds):.1f} | {rate:,.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    (ROOT / "var").mkdir(exist_ok=True)
    csv_path = ROOT / "var" / "bench-import.csv"
    write_csv(csv_path, args.rows)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    lines = [run(b, args.rows, csv_path) for b in backends]
    load = os.getloadavg()
    report = "\n".join(
        [
            "",
            f"### Import rate, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"- Machine: {os.cpu_count()} CPUs, load average {load[0]:.1f}; goal ≥ 20,000 validated rows/s.",
            "",
            "| backend | file | seconds | validated rows/s |",
            "|---|---|---:|---:|",
            *lines,
            "",
        ]
    )
    print(report)
    with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as fh:
        fh.write(report)


if __name__ == "__main__":
    main()
