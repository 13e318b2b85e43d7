"""Purchase histories with taste: for tests, the CLI's example and the benchmark.

Each customer has one of `tastes` groups; each group prefers a slice of the catalogue. Dates run
over 2025; a few purchases are returned (negative quantity) and a few products are consumables
bought again.
"""

from __future__ import annotations

import numpy as np


def baskets(
    customers: int = 1000,
    products: int = 100,
    tastes: int = 8,
    seed: int = 0,
    lines_per_customer: float = 8.0,
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, tastes, customers)
    per = max(products // tastes, 1)
    popularity = rng.pareto(1.5, products) + 1
    cust, prod, date, qty = [], [], [], []
    start = np.datetime64("2025-01-01")
    for c in range(customers):
        n = max(2, rng.poisson(lines_per_customer))
        liked = np.arange(group[c] * per, min((group[c] + 1) * per, products))
        for _ in range(n):
            if rng.random() < 0.75 and len(liked):
                p = int(rng.choice(liked))
            else:
                p = int(rng.choice(products, p=popularity / popularity.sum()))
            cust.append(f"C{c}")
            prod.append(f"P{p}")
            date.append(start + np.timedelta64(int(rng.integers(0, 365)), "D"))
            qty.append(1.0 if rng.random() > 0.03 else -1.0)
    return {
        "customer": np.array(cust, dtype=object),
        "product": np.array(prod, dtype=object),
        "date": np.array(date, dtype="datetime64[D]"),
        "quantity": np.array(qty),
    }
