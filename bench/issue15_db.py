"""Issue 15 on a loaded database: recommendation refresh, duplicate search, the customer page.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/rapport_bench_15 \\
        .venv/bin/python bench/issue15_db.py [--skip-evaluation] [--skip-dedupe] [--page-only]

On the database given by DATABASE_URL (migrated with this branch; e.g. a copy of bench/run.py's
1,000,000-customer data set) it runs, in this order, and prints one JSON object:

1. the evaluation on the time split (`evaluation_run`: the last 90 days are the test period;
   chooses the method on a validation split inside the training period);
2. the full recommendation refresh (`recommendations_refresh(full=True)`) with its stages, then
   the incremental refresh with nothing changed (the nightly case);
3. the duplicate search over every customer (`duplicates_find`) with its stages;
4. the customer page GET /customers/<id>/ (with its recommendations panel) as a manager: p50/p95
   over random customers, measured as bench/run.py measures it; and the recommendations panel
   alone (its query and its rows) for the same customers.

It also records the load average before and after, the date and the data set's sizes.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
os.environ.setdefault("RAPPORT_API_REQUESTS_PER_MINUTE", "0")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--skip-evaluation", action="store_true")
    p.add_argument("--skip-recommendations", action="store_true")
    p.add_argument("--skip-dedupe", action="store_true")
    p.add_argument("--page-only", action="store_true")
    p.add_argument("--pages", type=int, default=300, help="customer pages to time")
    p.add_argument("--page-budget", type=float, default=120.0, help="seconds for the page series")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument(
        "--method", help="with --skip-evaluation: the refresh's method (else chosen by validation)"
    )
    args = p.parse_args()

    import django

    django.setup()
    from django.db import connection

    from rapport.customers.models import Customer
    from rapport.sales.models import OrderLine, Product

    out: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "load_average_before": os.getloadavg(),
        "dataset": {
            "customers": Customer.objects.count(),
            "order_lines": OrderLine.objects.count(),
            "products": Product.objects.count(),
        },
    }
    log(f"dataset {out['dataset']}")
    if not args.page_only:
        if not args.skip_recommendations:
            recommendations(args, out)
        if not args.skip_dedupe:
            from rapport.core.actors import SystemActor
            from rapport.dedupe.services import duplicates_find

            log("duplicate search")
            t = time.perf_counter()
            found = duplicates_find(by=SystemActor("bench"))
            out["duplicate_search"] = {**found, "wall_seconds": round(time.perf_counter() - t, 1)}
            log(f"duplicate search {out['duplicate_search']}")
    page(args, out)
    out["load_average_after"] = os.getloadavg()
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    out["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(json.dumps(out, indent=2, default=str))


def recommendations(args, out: dict) -> None:
    from rapport.recommendations.services import evaluation_run, recommendations_refresh

    method = args.method
    if not args.skip_evaluation:
        log("evaluation")
        t = time.perf_counter()
        evaluation = evaluation_run()
        method = evaluation.chosen
        out["evaluation"] = {
            "seconds": round(time.perf_counter() - t, 1),
            "split_date": str(evaluation.split_date),
            "as_of": str(evaluation.as_of),
            "chosen": evaluation.chosen,
            "model": evaluation.model,
            "popularity": evaluation.popularity,
            "validation": evaluation.validation,
            "customers_evaluated": evaluation.customers_evaluated,
        }
        log(f"evaluation {out['evaluation']}")
    log("full refresh")
    t = time.perf_counter()
    done = recommendations_refresh(full=True, method=method)
    out["refresh_full"] = {**done, "wall_seconds": round(time.perf_counter() - t, 1)}
    log(f"full refresh {out['refresh_full']}")
    t = time.perf_counter()
    done = recommendations_refresh(method=method)
    out["refresh_incremental_nothing_changed"] = {
        **done,
        "wall_seconds": round(time.perf_counter() - t, 1),
    }
    log(f"incremental refresh {out['refresh_incremental_nothing_changed']}")


def page(args, out: dict) -> None:
    from django.test import Client
    from run import _bench_manager, _ok, _series

    from rapport.recommendations.models import Recommendation

    client = Client()
    client.force_login(_bench_manager())
    rng = random.Random(args.seed)
    top = Recommendation.objects.order_by("-customer_id").values_list("customer_id", flat=True)
    last = top.first() or 1
    wanted = [rng.randint(1, last) for _ in range(args.pages * 3)]
    with_recs = set(
        Recommendation.objects.filter(customer_id__in=wanted[:30000], rank=1).values_list(
            "customer_id", flat=True
        )
    )
    ids = [pk for pk in wanted if pk in with_recs][: args.pages]
    if not ids:
        out["page"] = {"error": "no customer with recommendations"}
        return
    html = client.get(f"/customers/{ids[0]}/").content.decode()
    log(f"customer page: {len(ids)} customers with recommendations")
    out["page"] = {
        **_series(lambda pk: _ok(client.get(f"/customers/{pk}/")), ids, args.page_budget),
        "customers_sampled": len(ids),
        "panel_shown": "recommend" in html.lower(),
    }
    log(f"customer page {out['page']}")
    from rapport.customers.models import Customer
    from rapport.recommendations.panels import customer_panel

    # the recommendations panel's own share of the page: its query and its dictionaries
    out["panel"] = _series(lambda pk: customer_panel(None, Customer(pk=pk)), ids, 30.0)
    log(f"recommendations panel {out['panel']}")


if __name__ == "__main__":
    main()
