"""Precision@10 against popularity on the demo shop's time split, without a database.

    .venv/bin/python bench/recommendations_demo.py --seeds 2026,1,2,3,4 [--no-structure]
        [--engine /work/main/rapport/recommendations/engine] [--today 2026-12-06]

Draws the demo's orders as `rapport demo --customers 3000` does (rapport.demo.plan.draw_demo, the
time zone Asia/Shanghai), keeps the lines of paid and delivered orders and their returns (dated when
they came back), marks the demo's consumables (rapport.recommendations.demo.CONSUMABLE_WORDS), and
runs the evaluation the Recommendations page shows: the last 90 days of orders test, the rest
train, consumables may be offered again (engine.evaluate_split with rebuy="listed").

`--no-structure` draws the lines as the generator did before its purchase structure (complements,
follow-ups): the taste-driven draw alone, every other number the same. `--engine DIR` evaluates with
another checkout's engine package (e.g. main's, for a before/after on the same data). Prints one
JSON object per seed and the mean over the seeds.

`--oracle` (with `--no-structure` and this checkout's engine) also scores the best any method can
do on that data in expectation: the generator's own probabilities (a line is drawn by popularity
45 % of the time, else by popularity within the customer's favourite category), the favourite
inferred from the training purchases by Bayes' rule — no learnt method can beat knowing how the
data was drawn.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapport.demo import purchases  # noqa: E402
from rapport.demo.catalogue import build_catalogue  # noqa: E402
from rapport.demo.plan import draw_demo  # noqa: E402
from rapport.recommendations.demo import CONSUMABLE_WORDS  # noqa: E402

TZ = "Asia/Shanghai"
COUNTED = ("paid", "delivered")


def load_engine(path: str | None):
    if not path:
        from rapport.recommendations import engine

        return engine
    spec = importlib.util.spec_from_file_location(
        "other_engine", Path(path) / "__init__.py", submodule_search_locations=[path]
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["other_engine"] = module
    spec.loader.exec_module(module)
    return module


def local_day(seconds: np.ndarray) -> np.ndarray:
    offset = ZoneInfo(TZ).utcoffset(dt.datetime(2026, 1, 1)) or dt.timedelta()
    return ((seconds + int(offset.total_seconds())) // 86400).astype("datetime64[D]")


def frame(seed: int, customers: int, today: dt.date) -> dict[str, np.ndarray]:
    data = draw_demo(customers=customers, seed=seed, years=2, today=today, tz=TZ)
    o = data.orders
    counted = np.isin(o.status, COUNTED)
    lines = np.flatnonzero(counted[o.line_order])
    rets = o.return_line[counted[o.line_order[o.return_line]]]
    ret_at = o.return_at[counted[o.line_order[o.return_line]]]
    ret_qty = o.return_quantity[counted[o.line_order[o.return_line]]]
    consumable = np.array(
        [any(w in name.lower() for w in CONSUMABLE_WORDS) for name in data.catalogue.name]
    )
    return {
        "customer": np.concatenate([o.person[o.line_order[lines]], o.person[o.line_order[rets]]]),
        "product": np.concatenate([o.line_product[lines], o.line_product[rets]]),
        "quantity": np.concatenate([o.line_quantity[lines], -ret_qty]).astype(float),
        "basket": np.concatenate([o.line_order[lines], o.line_order[rets]]),
        "date": np.concatenate([local_day(o.ordered_at[o.line_order[lines]]), local_day(ret_at)]),
        "is_line": np.concatenate([np.ones(len(lines), bool), np.zeros(len(rets), bool)]),
        "consumable": np.flatnonzero(consumable),
    }


class GeneratorBayes:
    """Scores = the probability of each product in the customer's next line under the taste-driven
    draw (purchases.draw_orders before the purchase structure), given their training purchases."""

    name = "generator_bayes"

    def __init__(self, catalogue, products: np.ndarray, by_popularity: float = 0.45) -> None:
        pop = catalogue.popularity[products.astype(np.int64)]
        cat = catalogue.category_index[products.astype(np.int64)]
        cat_p = np.bincount(catalogue.category_index, weights=catalogue.popularity)
        self.prior = cat_p
        same = cat[None, :] == np.arange(len(cat_p))[:, None]
        self.line = by_popularity * pop[None, :] + (1 - by_popularity) * same * (
            pop[None, :] / cat_p[:, None]
        )  # categories × products

    def fit(self, matrix):
        return self

    def scores(self, matrix, rows):
        counts = matrix[rows].toarray()
        log_post = np.log(self.prior)[None, :] + counts @ np.log(self.line).T
        post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        return post @ self.line


def oracle(engine, tx: dict[str, np.ndarray], split: dt.date, k: int, catalogue) -> dict:
    from rapport.recommendations.engine import evaluation as ev

    fr = {key: tx[key] for key in ("customer", "product", "quantity", "basket", "date")}
    train_mask, test_mask = engine.time_split(fr["date"], split)
    train, test = ev._split(fr, train_mask), ev._split(fr, test_mask)
    rebuyable = np.isin(train.products.astype(np.int64), tx["consumable"])
    relevant = ev._relevant(test, train, rebuyable)
    model = GeneratorBayes(catalogue, train.products)
    return ev.measure(model, train, relevant, k, rebuyable).as_dict()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", default="2026")
    p.add_argument("--customers", type=int, default=3000)
    p.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 12, 6))
    p.add_argument("--no-structure", action="store_true")
    p.add_argument("--engine", default=None)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--oracle", action="store_true")
    args = p.parse_args()
    engine = load_engine(args.engine)
    if args.no_structure:
        purchases._structure = lambda rng, catalogue, product, *rest: product
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        tx = frame(seed, args.customers, args.today)
        end = tx["date"][tx["is_line"]].max().astype(dt.date)
        split = end - dt.timedelta(days=90)
        r = engine.evaluate_split(
            tx["customer"],
            tx["product"],
            tx["date"],
            split,
            k=args.k,
            quantities=tx["quantity"],
            baskets=tx["basket"],
            rebuy="listed",
            rebuyable_products=set(tx["consumable"].tolist()),
        )
        row = {
            "seed": seed,
            "split": str(split),
            "customers": r["customers_evaluated"],
            "chosen": r["chosen"],
            "params": r["_validation"].get("params"),
            "model": r["model"],
            "popularity": r["popularity"],
            "ratio": round(r["model"]["precision_at_k"] / r["popularity"]["precision_at_k"], 3),
        }
        if args.oracle:
            catalogue = build_catalogue(np.random.default_rng([seed, 0]))
            row["generator_bayes"] = oracle(engine, tx, split, args.k, catalogue)
            row["oracle_ratio"] = round(
                row["generator_bayes"]["precision_at_k"] / r["popularity"]["precision_at_k"], 3
            )
        rows.append(row)
        print(json.dumps(row), flush=True)
    sides = ("model", "popularity", "generator_bayes") if args.oracle else ("model", "popularity")
    mean = {
        side: {key: round(float(np.mean([r[side][key] for r in rows])), 4) for key in rows[0][side]}
        for side in sides
    }
    ratio = mean["model"]["precision_at_k"] / mean["popularity"]["precision_at_k"]
    print(json.dumps({"mean": mean, "ratio_of_means": round(ratio, 3), "seeds": len(rows)}))


if __name__ == "__main__":
    main()
