"""Where the customer page's time goes: each panel, the detail read, the timeline, the page.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/d15_bench \\
        .venv/bin/python bench/customer_page_profile.py [--pages 200]

As a manager (bench/run.py's bench user), over random customers that have recommendations (or any
customers if there are none): for every panel registered on the customer hub
(`rapport.core.registry.customer_panels`), the milliseconds of its context and of its template,
and its queries; the same for the detail read and the timeline; and GET /customers/<id>/ end to
end. Prints JSON: p50/p95 per part, the queries of one page, sorted by cost.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
os.environ.setdefault("RAPPORT_API_REQUESTS_PER_MINUTE", "0")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 2) if values else 0.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pages", type=int, default=200)
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext
    from run import _bench_manager

    from rapport.core.registry import customer_panels
    from rapport.customers import selectors
    from rapport.customers.models import Customer
    from rapport.recommendations.models import Recommendation

    user = _bench_manager()
    client = Client()
    client.force_login(user)
    rng = random.Random(args.seed)
    last = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    wanted = [rng.randint(1, last) for _ in range(args.pages * 3)]
    with_recs = set(
        Recommendation.objects.filter(customer_id__in=wanted, rank=1).values_list(
            "customer_id", flat=True
        )
    )
    ids = [pk for pk in wanted if pk in with_recs][: args.pages] or wanted[: args.pages]
    request = RequestFactory().get("/")
    request.user = user
    times: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    slowest: dict[str, list[tuple[float, str]]] = defaultdict(list)
    panels = [x for x in customer_panels() if not x.permission or user.has_perm(x.permission)]
    for pk in ids:
        client.get(f"/customers/{pk}/")  # warm, and the same caches as the page
        t = time.perf_counter()
        response = client.get(f"/customers/{pk}/")
        times["page"].append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as q:
            t = time.perf_counter()
            customer = selectors.customer_detail(customer_id=pk)
            times["detail read"].append((time.perf_counter() - t) * 1000)
        queries["detail read"].append(len(q.captured_queries))
        for panel in panels:
            with CaptureQueriesContext(connection) as q:
                t = time.perf_counter()
                context = panel.context(request, customer)
                if context is not None:
                    render_to_string(panel.template, {"customer": customer, **context}, request)
                times[panel.name].append((time.perf_counter() - t) * 1000)
            queries[panel.name].append(len(q.captured_queries))
            for x in q.captured_queries:
                slowest[panel.name].append((float(x["time"]), x["sql"][:300]))
        from rapport.core.timeline import customer_timeline

        with CaptureQueriesContext(connection) as q:
            t = time.perf_counter()
            customer_timeline(pk, limit=50, with_changes=True)
            times["timeline"].append((time.perf_counter() - t) * 1000)
        queries["timeline"].append(len(q.captured_queries))
        for x in q.captured_queries:
            slowest["timeline"].append((float(x["time"]), x["sql"][:300]))
    out = {
        "customers": len(ids),
        "load_average": os.getloadavg(),
        "parts_ms": {
            name: {
                "p50": pct(v, 0.5),
                "p95": pct(v, 0.95),
                "mean": round(statistics.fmean(v), 2),
                "queries": max(queries.get(name, [0])),
            }
            for name, v in sorted(times.items(), key=lambda kv: -statistics.fmean(kv[1]))
        },
        "slowest_queries": {
            name: sorted(v, reverse=True)[:3]
            for name, v in slowest.items()
            if v and max(v)[0] > 0.002
        },
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
