"""The duplicate search: time, pairs compared, and precision/recall per kind of duplicate.

    .venv/bin/python bench/dedupe_find.py --customers 10000 --per-kind 50

Draws customers with known duplicates of every kind (rapport.dedupe.engine.synthetic: same
phone, same email, other characters, pinyin, accents, swapped names, a typo with another phone,
same address, same organisation) and runs the matcher over all of them, as the nightly search
does after loading the customers (the set-based `bulk.find_pairs`). Prints JSON: seconds (wall
and CPU), candidate pairs, pairs scored exactly, precision and recall (per kind). `--reference`
also runs the pair-by-pair definition and says whether both propose the same pairs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapport.dedupe.engine import bulk, matching  # noqa: E402
from rapport.dedupe.engine.synthetic import people, precision_recall  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=10_000)
    p.add_argument("--per-kind", type=int, default=50)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument(
        "--reference",
        action="store_true",
        help="also run the pair-by-pair definition and check that both find the same pairs",
    )
    args = p.parse_args()
    population, truth = people(args.customers, args.per_kind, args.seed)
    stats: dict[str, int] = {}
    w, c = time.perf_counter(), time.process_time()
    found = bulk.find_pairs(population, stats=stats)
    out: dict[str, object] = {
        "customers": len(population),
        "true_pairs": len(truth),
        "search_seconds": round(time.perf_counter() - w, 2),
        "search_cpu_seconds": round(time.process_time() - c, 2),
        **stats,
        **precision_recall([(m.first, m.second) for m in found], truth),
    }
    if args.reference:
        w = time.perf_counter()
        reference = matching.find_pairs_reference(population)
        out["reference_seconds"] = round(time.perf_counter() - w, 2)
        out["same_as_reference"] = [(m.first, m.second, m.score) for m in found] == [
            (m.first, m.second, m.score) for m in reference
        ]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
