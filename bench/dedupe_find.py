"""The duplicate search: time, pairs compared, and precision/recall per kind of duplicate.

    .venv/bin/python bench/dedupe_find.py --customers 10000 --per-kind 50

Draws customers with known duplicates of every kind (rapport.dedupe.engine.synthetic: same
phone, same email, other characters, pinyin, accents, swapped names, a typo with another phone,
same address, same organisation) and runs the matcher over all of them, as the nightly search
does after loading the customers. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapport.dedupe.engine import matching  # noqa: E402
from rapport.dedupe.engine.synthetic import people, precision_recall  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=10_000)
    p.add_argument("--per-kind", type=int, default=50)
    p.add_argument("--seed", type=int, default=3)
    args = p.parse_args()
    population, truth = people(args.customers, args.per_kind, args.seed)
    t = time.perf_counter()
    candidates = matching.candidate_pairs(population)
    blocking = time.perf_counter() - t
    t = time.perf_counter()
    found = matching.find_pairs(population)
    total = time.perf_counter() - t
    result = precision_recall([(m.first, m.second) for m in found], truth)
    print(
        json.dumps(
            {
                "customers": len(population),
                "true_pairs": len(truth),
                "candidate_pairs_compared": len(candidates),
                "blocking_seconds": round(blocking, 2),
                "search_seconds": round(total, 2),
                **result,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
