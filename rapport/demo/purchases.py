"""Two years of orders with the repeat-purchase behaviour of a real customer base (BG/NBD).

Each customer buys first when they join; afterwards they buy at their own Poisson rate
(lambda ~ Gamma(r, alpha), per week) and after each repeat purchase drop out for good with their own
probability (p ~ Beta(a, b)). The result: many one-off buyers, a loyal few, and many who lapse.
Amounts are integer cents, so an order's total is exactly the sum of its lines.

What people buy has the structure of a real shop's baskets: each customer has a favourite category
(most of their lines come from it), the lines after an order's first are often its complements (a
phone's case and charger, a TV's soundbar, an appliance's installation), and a repeat order often
follows up an earlier purchase: the consumable its owner buys again once it wears out (the
purifier's filter, the robot vacuum's brush kit) or an accessory bought a while later.
"""

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from rapport.demo.catalogue import Catalogue
from rapport.demo.people import People, local_midnights
from rapport.demo.phrases import RETURN_REASONS

# BG/NBD parameters (weeks). Mean rate ~0.06 a week; shape < 1 gives many slow buyers.
R, ALPHA, A, B = 0.55, 9.0, 0.9, 2.6
BUYER_SHARE = 0.9  # the rest are prospects who never bought
HOURS_P = np.array(
    [0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 7, 8, 7, 6, 6, 6, 7, 8, 9, 9, 7, 4, 2], dtype=float
)
CHANNELS = np.array(["store", "online", "phone", "other"])
CHANNEL_P = [0.4, 0.45, 0.1, 0.05]
# (code, percent off, chance an eligible order uses it)
PROMOTIONS = [
    ("SPRINGFEST", 10, 0.25),  # Spring Festival: 20 January – 20 February
    ("618SALE", 12, 0.35),  # 1–18 June
    ("MIDAUTUMN", 8, 0.15),  # September
    ("1111SALE", 15, 0.40),  # 1–11 November
    ("WELCOME10", 10, 0.12),  # first order
    ("VIP15", 15, 0.10),  # third order onwards
]
RETURN_RATE = 0.035
# Purchase structure (set once from how appliance shops sell, not fitted to any metric):
WITH_ANCHOR = 0.5  # a line after an order's first is one of the first product's complements
FOLLOW_UP = 0.4  # a repeat order starts with a follow-up of the previous order's first product
REFILL_DAYS = 60  # a consumable is bought again at the earliest this long after the last one


@dataclass
class Orders:
    """Column arrays; `person` indexes People, `order` indexes orders, `line` indexes lines."""

    person: np.ndarray
    ordered_at: np.ndarray  # Unix seconds
    status: np.ndarray
    channel: np.ndarray
    promotion_code: np.ndarray
    organisation: np.ndarray  # index of the organisation, -1 for none
    total: np.ndarray  # cents
    cost: np.ndarray  # cents
    line_order: np.ndarray
    line_product: np.ndarray
    line_quantity: np.ndarray
    line_unit_price: np.ndarray
    line_discount: np.ndarray
    line_total: np.ndarray
    line_unit_cost: np.ndarray
    return_line: np.ndarray
    return_at: np.ndarray  # Unix seconds
    return_quantity: np.ndarray
    return_refund: np.ndarray  # cents
    return_reason: list[str]

    def __len__(self) -> int:
        return len(self.person)


def repeat_purchase_days(
    rng: np.random.Generator, acquired_day: np.ndarray, days: int, *, rate_scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person, day, is_first) of every order: a first purchase on joining, then BG/NBD repeats."""
    n = len(acquired_day)
    buyer = rng.random(n) < BUYER_SHARE
    window = (days - 1 - acquired_day) / 7.0
    lam = rng.gamma(R, 1.0 / ALPHA, n) * rate_scale
    p = rng.beta(A, B, n)
    n_events = np.where(buyer, rng.poisson(lam * window), 0)
    kept = np.minimum(n_events, rng.geometric(p))
    # Repeat k of a person is the k-th smallest of their n_events uniform times in the window.
    owner = np.repeat(np.arange(n), n_events)
    times = rng.random(len(owner)) * window[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(n_events) - n_events, n_events)
    keep = rank < kept[owner]
    owner, times = owner[keep], times[keep]
    buyers = np.flatnonzero(buyer)
    person = np.concatenate([buyers, owner])
    day = np.concatenate(
        [acquired_day[buyers], acquired_day[owner] + np.floor(times * 7.0).astype(np.int64)]
    )
    is_first = np.concatenate([np.ones(len(buyers), bool), np.zeros(len(owner), bool)])
    return person, np.minimum(day, days - 1), is_first


def draw_orders(
    people: People,
    catalogue: Catalogue,
    *,
    seed: int,
    chunk: int = 0,
    start: date,
    end: date,
    now: datetime,
    tz: str,
    organisation_of: np.ndarray,
    rate_scale: float = 1.0,
) -> Orders:
    """Everyone's orders, lines and returns between `start` and `now`, oldest first."""
    rng = np.random.default_rng([seed, chunk, 2])
    n = len(people)
    days = (end - start).days + 1
    now_ts = int(now.timestamp())
    person, day, is_first = repeat_purchase_days(
        rng, people.acquired_day, days, rate_scale=rate_scale
    )
    seconds = rng.choice(24, len(person), p=HOURS_P / HOURS_P.sum()) * 3600 + rng.integers(
        0, 3600, len(person)
    )
    ordered_at = local_midnights(start, days, tz)[day] + seconds
    late = ordered_at > now_ts - 60  # today's orders cannot be in the future
    ordered_at[late] = now_ts - rng.integers(60, 4 * 3600, late.sum())
    chrono = np.lexsort((person, ordered_at))
    person, day, is_first, ordered_at = (
        person[chrono],
        day[chrono],
        is_first[chrono],
        ordered_at[chrono],
    )
    n_orders = len(person)
    # How many orders each person had before this one (0 = first).
    by_person = np.lexsort((np.arange(n_orders), person))
    counts = np.bincount(person, minlength=n)
    rank = np.empty(n_orders, np.int64)
    rank[by_person] = np.arange(n_orders) - np.repeat(np.cumsum(counts) - counts, counts)

    # Lines: each person has a basket size and a favourite category.
    basket = rng.gamma(4.0, 0.25, n)
    n_lines = np.clip(1 + rng.poisson(0.8 * basket[person]), 1, 4)
    line_order = np.repeat(np.arange(n_orders), n_lines)
    n_line = len(line_order)
    product = rng.choice(len(catalogue.sku), n_line, p=catalogue.popularity)
    cat_p = np.bincount(catalogue.category_index, weights=catalogue.popularity)
    favourite = rng.choice(len(cat_p), n, p=cat_p)[person[line_order]]
    in_favourite = rng.random(n_line) < 0.55
    for c in range(len(cat_p)):
        members = np.flatnonzero(catalogue.category_index == c)
        sel = np.flatnonzero(in_favourite & (favourite == c))
        w = catalogue.popularity[members] / catalogue.popularity[members].sum()
        product[sel] = members[rng.choice(len(members), len(sel), p=w)]
    product = _structure(
        np.random.default_rng([seed, chunk, 8]), catalogue, product, line_order, person, day, rank
    )
    price = catalogue.price_cents[product]
    u = rng.random(n_line)
    cheap = (price < 20_000) & (
        catalogue.category_index[product] != catalogue.categories.index("Services")
    )
    quantity = 1 + (cheap & (u < 0.3)).astype(np.int64) + (cheap & (u < 0.1)).astype(np.int64)
    gross = quantity * price

    code, percent = _promotions(rng, start, day, rank)
    discount = np.rint(gross * percent[line_order] / 100.0).astype(np.int64)
    line_total = gross - discount
    unit_cost = catalogue.cost_cents[product]
    total = np.bincount(line_order, weights=line_total, minlength=n_orders).round().astype(np.int64)
    cost = (
        np.bincount(line_order, weights=quantity * unit_cost, minlength=n_orders)
        .round()
        .astype(np.int64)
    )

    age = (now_ts - ordered_at) // 86400
    status = _statuses(rng, age)
    organisation = np.where(
        (organisation_of[person] >= 0) & (rng.random(n_orders) < 0.6), organisation_of[person], -1
    )
    habitual = CHANNELS[rng.choice(len(CHANNELS), n, p=CHANNEL_P)][person]
    channel = np.where(
        rng.random(n_orders) < 0.75,
        habitual,
        CHANNELS[rng.choice(len(CHANNELS), n_orders, p=CHANNEL_P)],
    )
    channel = np.where((organisation >= 0) & (rng.random(n_orders) < 0.7), "sales_rep", channel)

    # Returns: a few delivered goods come back, all of the line or one piece of it.
    returnable = (status[line_order] == "delivered") & (rng.random(n_line) < RETURN_RATE)
    returnable &= catalogue.category_index[product] != catalogue.categories.index("Services")
    ret_line = np.flatnonzero(returnable)
    ret_at = ordered_at[line_order[ret_line]] + rng.integers(2 * 86400, 30 * 86400, len(ret_line))
    fits = ret_at < now_ts
    ret_line, ret_at = ret_line[fits], ret_at[fits]
    ret_qty = np.where(
        (quantity[ret_line] > 1) & (rng.random(len(ret_line)) < 0.3), 1, quantity[ret_line]
    )
    refund = np.rint(line_total[ret_line] * ret_qty / quantity[ret_line]).astype(np.int64)
    pick = rng.integers(0, 5, len(ret_line))
    reasons = [
        RETURN_REASONS[people.language[person[line_order[line]]]][k]
        for line, k in zip(ret_line, pick, strict=True)
    ]

    return Orders(
        person=person,
        ordered_at=ordered_at,
        status=status,
        channel=channel,
        promotion_code=code,
        organisation=organisation,
        total=total,
        cost=cost,
        line_order=line_order,
        line_product=product,
        line_quantity=quantity,
        line_unit_price=price,
        line_discount=discount,
        line_total=line_total,
        line_unit_cost=unit_cost,
        return_line=ret_line,
        return_at=ret_at,
        return_quantity=ret_qty,
        return_refund=refund,
        return_reason=reasons,
    )


def _structure(
    rng: np.random.Generator,
    catalogue: Catalogue,
    product: np.ndarray,
    line_order: np.ndarray,
    person: np.ndarray,
    day: np.ndarray,
    rank: np.ndarray,
) -> np.ndarray:
    """Baskets and follow-ups on top of the taste-driven draw `product` (one per line; orders
    chronological, `person` and `day` per order, `rank` = the person's earlier orders). A repeat
    order's first line is, with probability FOLLOW_UP, a follow-up of the previous order's first
    product: its consumable (or the consumable itself again) when REFILL_DAYS have passed since,
    else one of its complements. Then every later line of an order is, with probability
    WITH_ANCHOR, a complement of the order's first product."""
    product = product.copy()
    n_orders = len(person)
    if not n_orders:
        return product
    n_lines = np.bincount(line_order, minlength=n_orders)
    first = np.cumsum(n_lines) - n_lines  # each order's first line
    # each order's previous order by the same person (orders are chronological)
    by_person = np.lexsort((np.arange(n_orders), person))
    previous = np.full(n_orders, -1, dtype=np.int64)
    same = person[by_person[1:]] == person[by_person[:-1]]
    previous[by_person[1:][same]] = by_person[:-1][same]
    width = (catalogue.complements >= 0).sum(axis=1)
    refill = np.where(catalogue.refilled, np.arange(len(width)), catalogue.refill)

    def complement_of(anchor: np.ndarray) -> np.ndarray:
        """A random complement of each anchor product (-1 when it has none)."""
        k = width[anchor]
        pick = np.floor(rng.random(len(anchor)) * np.maximum(k, 1)).astype(np.int64)
        return np.where(k > 0, catalogue.complements[anchor, np.minimum(pick, k - 1)], -1)

    # first lines, one rank at a time: a follow-up depends on the previous order's first product
    for r in range(1, int(rank.max()) + 1):
        orders = np.flatnonzero((rank == r) & (rng.random(n_orders) < FOLLOW_UP))
        if not len(orders):
            continue
        anchor = product[first[previous[orders]]]
        due = day[orders] - day[previous[orders]] >= REFILL_DAYS
        again = refill[anchor]
        follow = np.where(due & (again >= 0), again, complement_of(anchor))
        has = follow >= 0
        product[first[orders[has]]] = follow[has]
    # later lines of each order: complements of its first product
    later = np.flatnonzero(np.arange(len(line_order)) != first[line_order])
    later = later[rng.random(len(later)) < WITH_ANCHOR]
    with_anchor = complement_of(product[first[line_order[later]]])
    has = with_anchor >= 0
    product[later[has]] = with_anchor[has]
    return product


def _promotions(rng: np.random.Generator, start: date, day: np.ndarray, rank: np.ndarray):
    when = np.datetime64(start, "D") + day.astype("timedelta64[D]")
    month = when.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (when - when.astype("datetime64[M]")).astype(np.int64) + 1
    eligible = {
        "SPRINGFEST": ((month == 1) & (dom >= 20)) | ((month == 2) & (dom <= 20)),
        "618SALE": (month == 6) & (dom <= 18),
        "MIDAUTUMN": month == 9,
        "1111SALE": (month == 11) & (dom <= 11),
        "WELCOME10": rank == 0,
        "VIP15": rank >= 2,
    }
    code = np.full(len(day), "", dtype=object)
    percent = np.zeros(len(day))
    for name, pct, chance in PROMOTIONS:
        use = (code == "") & eligible[name] & (rng.random(len(day)) < chance)
        code[use] = name
        percent[use] = pct
    return code.astype(str), percent


def _statuses(rng: np.random.Generator, age_days: np.ndarray) -> np.ndarray:
    u = rng.random(len(age_days))
    old = np.where(u < 0.03, "cancelled", np.where(u < 0.035, "paid", "delivered"))
    recent = np.where(u < 0.05, "cancelled", np.where(u < 0.4, "paid", "delivered"))
    new = np.where(u < 0.5, "placed", "paid")
    return np.where(age_days >= 10, old, np.where(age_days >= 3, recent, new)).astype("<U10")
