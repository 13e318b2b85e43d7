"""Benchmark: the nightly points expiry after a backfill, when most earn entries are due at once.

`points_expire` (a thousand customers per transaction: their accounts locked in one statement,
their ledger read in one, the expiry entries and their change rows written in one each) against
the loop it replaced (one earn entry at a time: about five queries each), side by side in one run
on one database: the loop on the first `--naive` customers, then `points_expire` on the rest.

    DATABASE_URL=sqlite:////tmp/bench-expire.sqlite3 python bench/loyalty_expire.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_expire python bench/loyalty_expire.py \
        --customers 100000

Each customer gets `--entries` earn entries due today, one due later and, for every third, a
spend of part of the oldest lot; none has a loyalty account yet (as after `rapport loyalty
backfill`). Both ways must leave every balance the same: the run checks it. Then the tiers of
the customers touched, as the sync re-evaluates them (one tier nobody reaches): `tier_evaluate`
one customer at a time on the first `--naive`, `tiers_evaluate` on the rest. Prints markdown rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")


def naive_expire(customer_ids: list[int], today, by) -> int:  # noqa: ANN001
    """The loop `points_expire` was until December 2026, kept here as the reference."""
    from django.db import IntegrityError, transaction
    from django.db.models import Sum

    from rapport.loyalty.choices import EntryKind
    from rapport.loyalty.models import PointsEntry
    from rapport.loyalty.services import _entry, _lock, balance

    due = PointsEntry.objects.filter(
        kind=EntryKind.EARN, expires_on__lte=today, customer_id__in=customer_ids
    )
    expired_keys = set(
        PointsEntry.objects.filter(kind=EntryKind.EXPIRE, once_key__isnull=False).values_list(
            "once_key", flat=True
        )
    )
    n = 0
    for entry in due.order_by("expires_on", "pk"):
        key = f"expire:{entry.pk}"
        if key in expired_keys:
            continue
        with transaction.atomic():
            _lock(entry.customer_id)
            later = PointsEntry.objects.filter(
                customer_id=entry.customer_id,
                kind__in=(EntryKind.EARN, EntryKind.ADJUST),
                points__gt=0,
                pk__gt=entry.pk,
            )
            later_points = later.aggregate(s=Sum("points"))["s"] or 0
            later_expired = (
                PointsEntry.objects.filter(
                    customer_id=entry.customer_id,
                    kind=EntryKind.EXPIRE,
                    once_key__in=[f"expire:{pk}" for pk in later.values_list("pk", flat=True)],
                ).aggregate(s=Sum("points"))["s"]
                or 0
            )
            left = max(
                0, min(entry.points, balance(entry.customer_id) - later_points - later_expired)
            )
            try:
                with transaction.atomic():
                    _entry(
                        customer_id=entry.customer_id,
                        kind=EntryKind.EXPIRE,
                        points=-left,
                        reason=f"Points of {entry.at.date().isoformat()} expired",
                        by=by,
                        once_key=key,
                    )
            except IntegrityError:
                continue
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=5, help="due earn entries per customer")
    parser.add_argument("--naive", type=int, default=1_000, help="customers for the old loop")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Sum
    from django.utils import timezone

    from rapport.core.actors import COMMAND_LINE
    from rapport.core.bulk import insert_rows
    from rapport.customers.bulk import NewCustomer, customers_insert
    from rapport.loyalty import services
    from rapport.loyalty.models import LoyaltyAccount, PointsEntry

    call_command("migrate", verbosity=0)
    PointsEntry.objects.all().delete()
    LoyaltyAccount.objects.all().delete()
    from rapport.customers.models import Customer

    have = Customer.objects.count()
    for start in range(have, args.customers, 5000):
        rows = [
            NewCustomer(fields={"family_name": f"F{start + i}", "given_name": "G"})
            for i in range(min(5000, args.customers - start))
        ]
        with transaction.atomic():
            customers_insert(rows, by=COMMAND_LINE)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[: args.customers])
    rng = Random(7)
    today = timezone.localdate()
    now = timezone.now()
    columns = ("customer_id", "kind", "points", "reason", "expires_on", "at", "user_name")
    rows = []
    for customer_id in ids:
        for _ in range(args.entries):
            rows.append((customer_id, "earn", rng.randint(1, 500), "order", today, now, ""))
        rows.append((customer_id, "earn", 50, "order", today.replace(year=today.year + 1), now, ""))
    with transaction.atomic():
        for lo in range(0, len(rows), 100_000):
            insert_rows(PointsEntry, columns, rows[lo : lo + 100_000])
    for customer_id in ids[::3]:  # a third spent part of their oldest lot
        services.points_spend(customer_id=customer_id, points=1, reason="gift", by=COMMAND_LINE)
    before = dict(
        PointsEntry.objects.values("customer_id")
        .annotate(s=Sum("points"))
        .values_list("customer_id", "s")
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE loyalty_pointsentry")

    naive_ids = ids[: args.naive]
    t0 = time.perf_counter()
    naive_n = naive_expire(naive_ids, today, COMMAND_LINE)
    naive_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    touched = services.points_expire(by=COMMAND_LINE, today=today)
    set_s = time.perf_counter() - t0
    set_n = PointsEntry.objects.filter(kind="expire").count() - naive_n
    assert touched == set(ids[args.naive :]), "points_expire touched other customers"  # noqa: S101

    after = dict(
        PointsEntry.objects.values("customer_id")
        .annotate(s=Sum("points"))
        .values_list("customer_id", "s")
    )
    for customer_id in ids:  # both ways leave 50 (the later lot) of whatever was there
        assert after[customer_id] == min(50, before[customer_id]), customer_id  # noqa: S101
    naive_rate, set_rate = naive_n / naive_s, set_n / set_s
    print(
        f"| {connection.vendor} | {len(ids):,} customers, {len(rows):,} entries | old loop "
        f"{naive_n:,} entries in {naive_s:.1f} s = {naive_rate:,.0f}/s | points_expire "
        f"{set_n:,} entries in {set_s:.1f} s = {set_rate:,.0f}/s | {set_rate / naive_rate:.0f}× |"
    )

    # The sync then re-evaluates the tiers of every customer it touched: most keep theirs.
    from rapport.loyalty.models import Tier

    Tier.objects.all().delete()
    services.tier_create(by=COMMAND_LINE, name="Bench gold", rank=1, min_points=10**9)
    t0 = time.perf_counter()
    for customer_id in naive_ids:
        services.tier_evaluate(customer_id=customer_id, by=COMMAND_LINE)
    loop_rate = len(naive_ids) / (time.perf_counter() - t0)
    rest = ids[args.naive :]
    t0 = time.perf_counter()
    assert services.tiers_evaluate(rest, by=COMMAND_LINE) == 0  # noqa: S101
    bulk_rate = len(rest) / (time.perf_counter() - t0)
    print(
        f"| {connection.vendor} | tiers, none changing | tier_evaluate loop {loop_rate:,.0f} "
        f"customers/s | tiers_evaluate {bulk_rate:,.0f} customers/s | {bulk_rate / loop_rate:.0f}× |"
    )


if __name__ == "__main__":
    main()
