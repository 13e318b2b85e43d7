"""Money in several currencies: orders in another currency than the organisation's
(settings.RAPPORT_CURRENCY) are converted with the latest exchange rate on or before the order's
day (rapport.sales.models.ExchangeRate, entered on the sales app's page or imported with
`rapport rates import`). An order with no such rate stops the refresh with a message naming the
currency and the day: amounts in different currencies are never added as if they were one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import polars as pl
from django.conf import settings
from django.utils.translation import gettext as _


class CurrencyError(Exception):
    """Orders in a currency without an exchange rate; the message says which and from when."""


def currency_codes() -> list[str]:
    """The currencies the refresh can handle: the organisation's first (code 0), then every
    currency with a rate into it (or from it)."""
    from rapport.sales.models import ExchangeRate

    base = settings.RAPPORT_CURRENCY
    pairs = ExchangeRate.objects.filter(to_currency=base).values_list("from_currency", flat=True)
    inverse = ExchangeRate.objects.filter(from_currency=base).values_list("to_currency", flat=True)
    return [base, *sorted(set(pairs) | set(inverse) - {base})]


def currency_sql(column: str, codes: list[str]) -> str:
    """SQL giving each order's index in `codes` (-1 for any other currency), with one bound
    parameter per code."""
    whens = " ".join(f"WHEN {column} = %s THEN {i}" for i in range(len(codes)))
    return f"CASE {whens} ELSE -1 END"


def rates_frame(codes: list[str]) -> pl.DataFrame:
    """code, day, rate: into the organisation's currency, per day (inverse rates inverted)."""
    from rapport.sales.models import ExchangeRate

    base, index = codes[0], {c: i for i, c in enumerate(codes)}
    rows: list[tuple[int, date, float]] = []
    for day, src, dst, rate in ExchangeRate.objects.filter(
        from_currency__in=codes, to_currency__in=codes
    ).values_list("day", "from_currency", "to_currency", "rate"):
        if dst == base:
            rows.append((index[src], day, float(rate)))
        elif src == base:
            rows.append((index[dst], day, float(Decimal(1) / rate)))
    frame = pl.DataFrame(
        rows, schema={"code": pl.Int64, "day": pl.Date, "rate": pl.Float64}, orient="row"
    )
    # a direct rate wins over an inverted one of the same day
    return frame.unique(["code", "day"], keep="first", maintain_order=True).sort("day")


def unknown_currency_message(*, as_of: date) -> str:
    """What stops the refresh when orders carry a currency without any rate."""
    from rapport.sales.choices import COUNTED_STATUSES
    from rapport.sales.models import Order

    codes = currency_codes()
    found = (
        Order.objects.filter(status__in=COUNTED_STATUSES, ordered_at__date__lte=as_of)
        .exclude(currency__in=codes)
        .values_list("currency", flat=True)
        .distinct()[:5]
    )
    return _(
        "Orders in %(currencies)s cannot be added to amounts in %(base)s: there is no exchange "
        "rate for them. Enter or import the rates (Orders → Exchange rates, or rapport rates "
        "import FILE.csv), then refresh again."
    ) % {"currencies": ", ".join(sorted(found)) or "?", "base": settings.RAPPORT_CURRENCY}


def conversion_rates(orders: pl.DataFrame, codes: list[str]) -> np.ndarray:
    """The rate that turns each order's amounts (columns code, day) into the organisation's
    currency: 1 for its own currency; CurrencyError when an order is in a currency without any
    rate, or older than the first rate of its currency."""
    code = orders["code"].to_numpy()
    rate = np.ones(orders.height)
    foreign = code > 0
    if (code < 0).any():
        raise CurrencyError("unknown")
    if not foreign.any():
        return rate
    rates = rates_frame(codes)
    picked = (
        orders.select(pl.int_range(pl.len()).alias("i"), pl.col("code").cast(pl.Int64), "day")
        .filter(pl.col("code") > 0)
        .sort("day")
        .join_asof(rates, on="day", by="code", strategy="backward", check_sortedness=False)
    )
    missing = picked.filter(pl.col("rate").is_null())
    if missing.height:
        first = missing.sort("day").row(0, named=True)
        raise CurrencyError(
            _(
                "Orders in %(currency)s from %(day)s on have no exchange rate on or before their "
                "day, so they cannot be added to amounts in %(base)s. Enter or import the rates "
                "(Orders → Exchange rates, or rapport rates import FILE.csv), then refresh again."
            )
            % {
                "currency": codes[first["code"]],
                "day": first["day"].isoformat(),
                "base": codes[0],
            }
        )
    rate[picked["i"].to_numpy()] = picked["rate"].to_numpy()
    return rate
