"""The duplicate search at full size on the demo generator's customers, without a database.

    .venv/bin/python bench/dedupe_scale.py --customers 1000000

Draws customers with `rapport.demo.people.draw_people` in chunks of 100,000, as bench/generate.py
loads them (names in Chinese characters, pinyin, Slovak and English; phones; emails; addresses),
turns them into the matcher's `Person` as `rapport.dedupe.services.load_people` does, and runs
the set-based search (`rapport.dedupe.engine.bulk.find_pairs`). Prints JSON: wall and CPU seconds
of building the columns (name forms, keys) and of the whole search, the pairs at each stage, peak
memory, and the evidence codes of the proposed pairs. The demo has no planted duplicates: the
pairs proposed are its chance look-alikes (same birthday, a name one letter apart).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")


def draw(n: int, seed: int) -> list:
    import django

    django.setup()
    from rapport.dedupe.engine import Person
    from rapport.dedupe.engine.matching import address_key
    from rapport.demo.people import draw_people
    from rapport.demo.plan import demo_window

    start, end = demo_window(today=date(2026, 12, 6), years=2)
    people: list = []
    chunk = 100_000
    for c in range(0, n, chunk):
        p = draw_people(
            min(chunk, n - c), seed=seed, chunk=c // chunk, ordinal_offset=c, start=start, end=end
        )
        k = len(p)
        phones: list[set] = [set() for _ in range(k)]
        emails: list[set] = [set() for _ in range(k)]
        addresses: list[set] = [set() for _ in range(k)]
        for i, number in zip(p.phones["person"], p.phones["number"], strict=True):
            phones[i].add(number)
        for i, address in zip(p.emails["person"], p.emails["address"], strict=True):
            emails[i].add(address.lower())
        a = p.addresses
        for i, *parts in zip(
            a["person"], a["line1"], a["line2"], a["city"], a["postal_code"], strict=True
        ):
            if key := address_key(*parts):
                addresses[i].add(key)
        cu = p.customers
        for i in range(k):
            people.append(
                Person(
                    id=c + i + 1,
                    family_name=cu["family_name"][i],
                    given_name=cu["given_name"][i],
                    birthday=cu["birthday"][i],
                    gender=cu["gender"][i] or "",
                    phones=frozenset(phones[i]),
                    emails=frozenset(emails[i]),
                    addresses=frozenset(addresses[i]),
                )
            )
    return people


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args()
    out: dict = {"customers": args.customers, "load_average_before": os.getloadavg()}
    t = time.perf_counter()
    people = draw(args.customers, args.seed)
    out["draw_seconds"] = round(time.perf_counter() - t, 1)
    from rapport.dedupe.engine import bulk

    w, c = time.perf_counter(), time.process_time()
    columns = bulk.Columns(people)
    out["columns"] = {
        "wall": round(time.perf_counter() - w, 1),
        "cpu": round(time.process_time() - c, 1),
        "name_groups": columns.groups,
    }
    del columns
    stats: dict[str, int] = {}
    w, c = time.perf_counter(), time.process_time()
    found = bulk.find_pairs(people, stats=stats)
    out["search"] = {
        "wall": round(time.perf_counter() - w, 1),
        "cpu": round(time.process_time() - c, 1),
        **stats,
    }
    out["evidence"] = dict(Counter(e.code for m in found for e in m.evidence).most_common())
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    out["load_average_after"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
