"""The points backfill: earn entries for every paid order that has none, written by the database.

`points_sync` earns order by order (a few queries per order): right for the orders of the last
days, far too slow for the history of a shop that switches loyalty on with millions of orders.
`points_backfill` writes the same entries set-based — one `INSERT … SELECT … GROUP BY` per range
of order ids, no Python loop over orders — so 10,000,000 order lines take seconds, not hours.

The entries are exactly those `points_earn_for_order` would write: points are the sum over the
order's lines of line total × the product's rate (its product rule, else its category's rule,
else RAPPORT_LOYALTY_POINTS_PER_UNIT), rounded down; orders of 0 points get none; the reason names
the order, the expiry is the order's local day + RAPPORT_LOYALTY_POINTS_VALID_DAYS, and the once
key `earn:order:<id>` makes a second run, or a run beside `points_sync`, write nothing twice;
in a range some entries already name, the orders already earned are left out before their lines
are read, so a re-run (or a run after new orders) reads only the lines of the orders it writes.

Each entry carries who (the actor) and why (the order), as every ledger entry does; the backfill
writes no per-entry change rows (millions of them would cost more than the entries). Tiers are not
re-evaluated here (`rapport loyalty sync` and the nightly run do that).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone, translation
from django.utils.translation import gettext

from rapport.core.actors import Actor, actor_name, actor_user
from rapport.loyalty.choices import EntryKind
from rapport.loyalty.models import PointsEntry, PointsRule

CHUNK_ORDERS = 250_000
PAID = ("paid", "delivered")
RATES_TABLE = "loyalty_backfill_rate"
ONCE = " ON CONFLICT (once_key) DO NOTHING"
# The entries are written in order id order: the new keys of the id, order and once key indexes
# (`earn:order:<id>`, ids of one range have as many digits) then go to the right-hand end of
# each index, page after page, instead of all over the indexes as the grouping's hash order put
# them (on PostgreSQL: a third of the WAL, far fewer pages read and written per range).
ORDER = "ORDER BY o.id"


@dataclass(frozen=True)
class BackfillResult:
    entries: int  # entries written by this run
    orders_scanned: int  # the id range covered (orders of every status)
    seconds: float


def _rates() -> dict[int, Decimal]:
    """Per product, the rate where it is not the default (product rule, else category rule)."""
    from rapport.sales.models import Product

    default = Decimal(str(settings.RAPPORT_LOYALTY_POINTS_PER_UNIT))
    by_product: dict[int, Decimal] = {}
    by_category: dict[str, Decimal] = {}
    for rule in PointsRule.objects.order_by("pk"):  # the last rule wins, as in `_rules()`
        if rule.product_id:
            by_product[rule.product_id] = rule.points_per_unit
        elif rule.category:
            by_category[rule.category] = rule.points_per_unit
    rates: dict[int, Decimal] = {}
    if by_category:
        for pk, category in Product.objects.filter(category__in=list(by_category)).values_list(
            "pk", "category"
        ):
            rates[pk] = by_category[category]
    rates.update(by_product)
    return {pk: rate for pk, rate in rates.items() if rate != default}


def _reason_parts() -> tuple[str, str]:
    """The reason `points_earn_for_order` writes, split around the order number (in the
    site's language: a backfill has no user's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext("Order %(number)s") % {"number": "\x00"}
    before, _sep, after = text.partition("\x00")
    return before, after


def _statement(with_rates: bool, skip_earned: bool = False) -> str:
    """The insert of one range's entries. With `skip_earned` (a range some entries already
    name: a re-run, or a run after `points_sync`), the orders that already have their earn entry
    are left out before their lines are read (an anti-join on the ledger's order key, within the
    range), so a re-run reads almost no lines; ON CONFLICT still guards what that cannot see."""
    pe = PointsEntry._meta.db_table
    postgres = connection.vendor == "postgresql"
    if postgres:
        day = "(o.ordered_at AT TIME ZONE %s)::date"
        expires = f"({day} + %s::integer)"
        points = "FLOOR(SUM(l.line_total * {rate}))"
        text = "CAST(%s AS varchar)"
    else:
        # Django's own SQLite function for a datetime's local day (as `TruncDate` uses).
        day = "django_datetime_cast_date(o.ordered_at, %s, %s)"
        expires = f"date({day}, '+' || %s || ' days')"
        # Money is stored as a floating-point number: a hair above the exact sum before
        # rounding down keeps 0.7 + 0.2 + 0.1 at 1 (an exact sum has at most 5 decimals).
        # CAST truncates: the same as rounding down for the positive sums that are kept.
        points = "CAST(SUM(l.line_total * {rate}) + 0.0000001 AS INTEGER)"
        text = "%s"
    rate = "COALESCE(r.rate, %s)" if with_rates else "%s"
    join = f"LEFT JOIN {RATES_TABLE} r ON r.product_id = l.product_id " if with_rates else ""
    todo = ""
    if skip_earned:
        # The ids are gathered first (PostgreSQL: once, as an array, so the lines are then read
        # by their order index for those orders only, whatever the planner thinks of the
        # ledger's statistics, which a first run has just made stale).
        ids = (
            "SELECT q.id FROM sales_order q WHERE q.id >= %s AND q.id < %s "  # noqa: S608
            f"AND q.status IN (%s, %s) AND NOT EXISTS (SELECT 1 FROM {pe} e "
            "WHERE e.order_id >= %s AND e.order_id < %s AND e.order_id = q.id "
            "AND e.once_key = 'earn:order:' || q.id)"
        )
        todo = f"AND l.order_id = ANY(ARRAY({ids})) " if postgres else f"AND l.order_id IN ({ids}) "
    return (
        f"INSERT INTO {pe} (customer_id, kind, points, reason, order_id, expires_on, "  # noqa: S608
        "once_key, at, user_id, user_name) "
        f"SELECT o.customer_id, %s, t.points, {text} || o.number || {text}, o.id, "
        f"CASE WHEN %s > 0 THEN {expires} END, 'earn:order:' || o.id, %s, %s, %s "
        f"FROM (SELECT l.order_id AS order_id, {points.format(rate=rate)} AS points "
        f"FROM sales_orderline l {join}WHERE l.order_id >= %s AND l.order_id < %s {todo}"
        "GROUP BY l.order_id) t "
        "JOIN sales_order o ON o.id = t.order_id "
        f"WHERE o.id >= %s AND o.id < %s AND o.status IN (%s, %s) AND t.points > 0 {ORDER}" + ONCE
    )


def _rates_table(rates: dict[int, Decimal]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {RATES_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RATES_TABLE} "
            "(product_id bigint PRIMARY KEY, rate numeric(8, 3) NOT NULL)"
        )
        cursor.executemany(
            f"INSERT INTO {RATES_TABLE} (product_id, rate) VALUES (%s, %s)",  # noqa: S608
            list(rates.items()),
        )


def points_backfill(
    *,
    by: Actor,
    chunk_orders: int = CHUNK_ORDERS,
    progress: Callable[[int, int, int], None] | None = None,
) -> BackfillResult:
    """Write the earn entry of every paid or delivered order that has none, set-based, one
    transaction per range of `chunk_orders` order ids (a run stopped part-way is carried on by
    the next; nothing is written twice). `progress(done_orders, all_orders, entries)` is called
    after each range. Returns how many entries this run wrote."""
    from rapport.sales.models import Order

    started = time.perf_counter()
    bounds = Order.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return BackfillResult(0, 0, time.perf_counter() - started)
    rates = _rates()
    default = Decimal(str(settings.RAPPORT_LOYALTY_POINTS_PER_UNIT))
    days = int(settings.RAPPORT_LOYALTY_POINTS_VALID_DAYS)
    before, after = _reason_parts()
    user = actor_user(by)
    name = actor_name(by)[:150]
    now = timezone.now()
    zone = timezone.get_current_timezone_name()
    sql = _statement(bool(rates))
    skipping = _statement(bool(rates), skip_earned=True)
    postgres = connection.vendor == "postgresql"
    lo, hi = bounds["lo"], bounds["hi"]
    written = 0
    if rates:
        _rates_table(rates)
    try:
        for first in range(lo, hi + 1, chunk_orders):
            last = min(first + chunk_orders, hi + 1)
            head = [
                EntryKind.EARN.value,
                before,
                after,
                days,
                zone,
                *([] if postgres else [connection.timezone_name]),
                days,
                now,
                user.pk if user is not None else None,
                name,
                default if postgres else float(default),
            ]
            where = [first, last, first, last, *PAID]
            params = head + where
            # The lines' range, then the anti-join's range, statuses and ledger range.
            skip_params = [*head, first, last, first, last, *PAID, first, last, *where[2:]]
            with transaction.atomic(), connection.cursor() as cursor:
                if postgres:
                    # One range's grouping fits in memory (no spill to disk); JIT compiling
                    # costs more than it saves on statements of a few hundred milliseconds.
                    cursor.execute("SET LOCAL work_mem = '64MB'")
                    cursor.execute("SET LOCAL jit = off")
                # Where no entry names an order of the range yet (a first run), without ON
                # CONFLICT: its look-up in the once index per row cost as much as the insert.
                # An entry written meanwhile (`points_sync`) fails it; then the range is done
                # again with the clause.
                done = False
                if not PointsEntry.objects.filter(order_id__gte=first, order_id__lt=last).exists():
                    try:
                        with transaction.atomic():
                            cursor.execute(sql.removesuffix(ONCE), params)
                        done = True
                    except IntegrityError:
                        pass
                if not done:
                    cursor.execute(skipping, skip_params)
                written += max(cursor.rowcount, 0)
            if progress is not None:
                progress(last - lo, hi + 1 - lo, written)
    finally:
        if rates:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {RATES_TABLE}")
    return BackfillResult(written, hi + 1 - lo, time.perf_counter() - started)
