"""Recommendations: how long the engine takes to fit and rank, and how it compares with popularity.

    .venv/bin/python bench/recommendations_refresh.py --customers 10000 --products 1000

Draws purchase histories with taste (rapport.recommendations.engine.synthetic), fits each method
on the purchases before the split date and ranks 10 products for every customer (the work of a
full refresh, without the database), then evaluates on the time split. Prints JSON: seconds per
method (fit, rank all customers) and precision@10, recall@10, nDCG@10, coverage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapport.recommendations import engine  # noqa: E402
from rapport.recommendations.engine import evaluation  # noqa: E402
from rapport.recommendations.engine.synthetic import baskets  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=10_000)
    p.add_argument("--products", type=int, default=1_000)
    p.add_argument("--lines-per-customer", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    t = time.perf_counter()
    tx = baskets(
        args.customers,
        args.products,
        tastes=20,
        seed=args.seed,
        lines_per_customer=args.lines_per_customer,
    )
    generated = time.perf_counter() - t
    split = dt.date(2025, 10, 1)
    out: dict[str, object] = {
        "customers": args.customers,
        "products": args.products,
        "lines": len(tx["customer"]),
        "generate_seconds": round(generated, 2),
    }
    ds = engine.build_dataset(tx["customer"], tx["product"], tx["quantity"])
    rows = np.arange(ds.matrix.shape[0])
    timings = {}
    for method in engine.METHODS:
        t = time.perf_counter()
        model = engine.make_model(method).fit(ds.matrix)
        fit = time.perf_counter() - t
        t = time.perf_counter()
        engine.top_k(model, ds.matrix, rows, 10)
        rank = time.perf_counter() - t
        timings[method] = {"fit_seconds": round(fit, 3), "rank_all_seconds": round(rank, 3)}
    out["timings"] = timings
    t = time.perf_counter()
    train_mask, test_mask = engine.time_split(tx["date"], split)
    frame = {k: tx[k] for k in ("customer", "product", "date", "quantity")}
    frame["basket"] = None
    train = evaluation._split(frame, train_mask)
    test = evaluation._split(frame, test_mask)
    relevant = evaluation._relevant(test, train)
    out["evaluation"] = {
        method: evaluation.evaluate(train, relevant, method, 10).as_dict()
        for method in engine.METHODS
    }
    out["customers_evaluated"] = len(relevant)
    out["evaluation_seconds"] = round(time.perf_counter() - t, 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
