"""Benchmark: keeping in touch at scale — selecting a campaign's audience and queueing one delivery
row each (bulk, as `campaign_start` does) against the naive per-customer ORM loop, and the
"this week" moments query.

    DATABASE_URL=sqlite:////tmp/bench-outreach.sqlite3 python bench/outreach_audience.py --customers 10000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_outreach python bench/outreach_audience.py

The database is migrated and filled (customers with birthdays, a third keeping the lunar one, and
email consent for 80 %); sending is not measured here (the sending tasks are switched off), the
delivery tests show exactly-once. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=2_000, help="customers for the naive loop")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from rapport.core.actors import COMMAND_LINE
    from rapport.customers.bulk import NewConsent, NewCustomer, consents_insert, customers_insert
    from rapport.customers.models import Customer
    from rapport.outreach import services
    from rapport.outreach.models import CampaignDelivery, CampaignRun
    from rapport.outreach.moments import moments_page, window

    call_command("migrate", verbosity=0)
    rng = Random(7)
    have = Customer.objects.count()
    now = timezone.now()
    for start in range(have, args.customers, 5000):
        n = min(5000, args.customers - start)
        rows = [
            NewCustomer(
                fields={
                    "family_name": f"F{start + i}",
                    "given_name": "G",
                    "birthday": date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55)),
                    "celebrates_lunar_birthday": rng.random() < 0.33,
                },
                emails=[f"c{start + i}@example.com"],
            )
            for i in range(n)
        ]
        with transaction.atomic():
            ids = customers_insert(rows, by=COMMAND_LINE)
            consents_insert(
                [NewConsent(pk, "email", True, now, "import") for pk in ids if rng.random() < 0.8],
                by=COMMAND_LINE,
            )
    total = Customer.objects.count()
    campaign = services.campaign_create(
        by=COMMAND_LINE,
        name=f"bench {time.time()}",
        messages=[{"language": "en", "subject": "Hi {{ name }}", "body": "Hello"}],
    )
    services.enqueue_chunks = lambda run_id, chunks: None  # measure the queueing only

    tracemalloc.start()
    t0 = time.perf_counter()
    run = services.campaign_start(by=COMMAND_LINE, campaign_id=campaign.pk)
    bulk_s = time.perf_counter() - t0
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    queued = run.total

    naive_campaign = services.campaign_create(
        by=COMMAND_LINE,
        name=f"bench naive {time.time()}",
        messages=[{"language": "en", "subject": "Hi", "body": "Hello"}],
    )
    naive_run = CampaignRun.objects.create(campaign=naive_campaign, occurrence="naive")
    t0 = time.perf_counter()
    naive_n = 0
    with transaction.atomic():
        for customer in services.audience_queryset(naive_campaign).order_by("pk")[: args.naive]:
            CampaignDelivery.objects.get_or_create(
                campaign=naive_campaign,
                occurrence="naive",
                customer=customer,
                channel="email",
                defaults={"run": naive_run},
            )
            naive_n += 1
    naive_s = time.perf_counter() - t0

    times = []
    start, end = window("week", timezone.localdate())
    for _ in range(20):
        t0 = time.perf_counter()
        moments_page(Customer.objects.all(), start, end)
        times.append(time.perf_counter() - t0)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]

    print(
        f"| {connection.vendor} | {total:,} customers | audience queued {queued:,} in {bulk_s:.2f} s "
        f"= {queued / bulk_s:,.0f} msg/s, peak Python memory {peak / 1e6:.1f} MB | naive loop "
        f"{naive_n / naive_s:,.0f} msg/s (ratio {queued / bulk_s / (naive_n / naive_s):.0f}×) | "
        f"moments this week p95 {p95 * 1000:.0f} ms (median {statistics.median(times) * 1000:.0f} ms) |"
    )


if __name__ == "__main__":
    main()
