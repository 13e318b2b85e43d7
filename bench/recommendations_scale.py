"""The recommendation refresh's computing at full size, without a database.

    .venv/bin/python bench/recommendations_scale.py --customers 1000000 --lines 10000000

Draws a purchase history shaped like the demo shop's (60 products, popularity-weighted, each
customer with a favourite category for about half of their lines, several lines per order, two
years of dates) as integer columns, then times what `recommendations_refresh` computes between
reading the history and writing the rows: the method's choice on a validation split
(`engine.choose`), the purchase matrix, the fit, and the top 10 with their reasons for every
customer (`engine.recommend_columns`). Prints JSON with wall and CPU seconds per stage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapport.recommendations import engine  # noqa: E402


def history(customers: int, lines: int, products: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    popularity = rng.pareto(1.2, products) + 0.05
    popularity /= popularity.sum()
    category = rng.integers(0, 8, products)
    person = np.sort(rng.integers(0, customers, lines))
    favourite = rng.integers(0, 8, customers)[person]
    product = rng.choice(products, lines, p=popularity)
    in_favourite = rng.random(lines) < 0.55
    for c in range(8):
        members = np.flatnonzero(category == c)
        sel = np.flatnonzero(in_favourite & (favourite == c))
        if len(members) and len(sel):
            w = popularity[members] / popularity[members].sum()
            product[sel] = members[rng.choice(len(members), len(sel), p=w)]
    order = person * 8 + rng.integers(0, 4, lines)  # up to 4 orders per customer
    day = np.datetime64("2024-12-06") + (order * 7919 % 730).astype("timedelta64[D]")
    return {
        "customer": person + 1,
        "product": product + 1,
        "quantity": np.ones(lines),
        "basket": order,
        "date": day,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--lines", type=int, default=10_000_000)
    p.add_argument("--products", type=int, default=60)
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--skip-choose", action="store_true")
    args = p.parse_args()
    out: dict = {"load_average_before": os.getloadavg(), **vars(args)}
    stages: dict[str, dict[str, float]] = {}

    def timed(name, fn):  # noqa: ANN001, ANN202
        w, c = time.perf_counter(), time.process_time()
        value = fn()
        stages[name] = {
            "wall": round(time.perf_counter() - w, 1),
            "cpu": round(time.process_time() - c, 1),
        }
        print(name, stages[name], file=sys.stderr, flush=True)
        return value

    frame = timed("draw", lambda: history(args.customers, args.lines, args.products, args.seed))
    if not args.skip_choose:
        chosen, validation = timed("choose", lambda: engine.choose(frame, 10, rebuy="none"))
        out["chosen"], out["validation"] = chosen, validation
    ds = timed(
        "matrix",
        lambda: engine.build_dataset(
            frame["customer"], frame["product"], frame["quantity"], frame["basket"]
        ),
    )
    model = timed("fit", lambda: engine.make_model("item_to_item").fit(ds.matrix))
    rebuyable = np.zeros(ds.matrix.shape[1], dtype=bool)
    rebuyable[:7] = True

    def rank() -> int:
        rows = np.arange(ds.matrix.shape[0])
        n = 0
        for start in range(0, len(rows), 50_000):
            c = engine.recommend_columns(
                model, ds.matrix, rows[start : start + 50_000], 10, rebuyable, model.co_buyers
            )
            n += len(c["row"])
        return n

    out["recommendations"] = timed("rank_and_reasons", rank)
    out["stages"] = stages
    out["load_average_after"] = os.getloadavg()
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
