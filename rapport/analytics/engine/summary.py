"""Per-customer RFM summaries (frequency, recency, T, monetary) from a transaction table.

Conventions (the ones Fader & Hardie use for CDNOW, and lifetimes' ``summary_data_from_transaction_data``):

* the time unit is the week (days / 7);
* a customer's orders on the same calendar day are ONE transaction whose value is their sum;
* ``frequency`` is the number of repeat purchase days (the first purchase day is not counted);
* ``recency`` (t_x) is the time from the first to the last purchase day, 0 when frequency is 0;
* ``T`` is the time from the first purchase day to the end of the observation (calibration) period;
* ``monetary`` is the mean value of the repeat purchase days (0 when frequency is 0).

Refunds and zero-value orders — the rule this module applies (the refresh applies the same one to
the database's orders and returns; docs/analytics.md, "Which orders count"):

* a row with amount >= 0 is an order (zero-value orders are orders: CDNOW's published summary counts
  eight customers whose only order was worth 0.00); a row with amount < 0 is a refund;
* a (customer, day) is a purchase day iff it has at least one order row; ``paid`` is the sum of the
  customer's purchase-day values (0: the customer never paid anything);
* a refund is netted against the customer's latest purchase day on or before the refund's day (the
  same day, or the purchase it most likely refunds); a day's value never goes below 0; a refund
  before the customer's first purchase cannot be matched and is ignored;
* rows after the observation end are not read at all (no refund from the future reduces a past
  purchase).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

__all__ = [
    "DAYS_PER_WEEK",
    "calibration_holdout_summary",
    "daily_transactions",
    "rfm_summary",
    "transactions_frame",
]

DAYS_PER_WEEK = 7.0

DateLike = dt.date | dt.datetime | str | np.datetime64


def _to_date(value: DateLike) -> dt.date:
    """Coerce a date-like value to ``datetime.date`` (ISO strings accepted)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]").astype(dt.date)
    return dt.date.fromisoformat(str(value))


def transactions_frame(
    customers: Sequence[Any] | np.ndarray | pl.Series,
    dates: Sequence[Any] | np.ndarray | pl.Series,
    amounts: Sequence[float] | np.ndarray | pl.Series | None = None,
) -> pl.DataFrame:
    """Build the canonical ``customer, date, amount`` frame from three columns (numpy arrays,
    lists or polars Series). Missing amounts default to 0 (count-only data)."""
    cust = pl.Series("customer", customers)
    date = pl.Series("date", dates)
    if date.dtype == pl.Datetime or isinstance(date.dtype, pl.Datetime):
        date = date.dt.date()
    elif date.dtype == pl.String:
        date = date.str.to_date()
    elif date.dtype != pl.Date:
        date = date.cast(pl.Date)
    if amounts is None:
        amount = pl.Series("amount", np.zeros(len(cust)))
    else:
        amount = pl.Series("amount", amounts).cast(pl.Float64)
    if not (len(cust) == len(date) == len(amount)):
        raise ValueError("customers, dates and amounts must have the same length")
    return pl.DataFrame([cust, date.alias("date"), amount])


def _normalise(
    transactions: pl.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str | None,
) -> pl.DataFrame:
    """Rename/cast the caller's columns to ``customer`` (any type), ``date`` (Date), ``amount``."""
    missing = [
        c for c in (customer_col, date_col, amount_col) if c and c not in transactions.columns
    ]
    if missing:
        raise KeyError(f"missing column(s) {missing}; present: {transactions.columns}")
    date = pl.col(date_col)
    dtype = transactions.schema[date_col]
    if isinstance(dtype, pl.Datetime):
        date = date.dt.date()
    elif dtype == pl.String:
        date = date.str.to_date()
    amount = pl.col(amount_col).cast(pl.Float64) if amount_col else pl.lit(0.0)
    return transactions.select(
        pl.col(customer_col).alias("customer"), date.alias("date"), amount.alias("amount")
    )


def daily_transactions(
    transactions: pl.DataFrame,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    amount_col: str | None = "amount",
    until: DateLike | None = None,
) -> pl.DataFrame:
    """Collapse order rows to purchase days: one row per (customer, date) with the netted value,
    following the module's rule for refunds and zero-value orders (rows after ``until`` are left
    out)."""
    tx = _normalise(transactions, customer_col, date_col, amount_col)
    if until is not None:
        tx = tx.filter(pl.col("date") <= _to_date(until))
    days = (
        tx.group_by("customer", "date")
        .agg(
            pl.col("amount").filter(pl.col("amount") >= 0).sum().alias("bought"),
            (-pl.col("amount").filter(pl.col("amount") < 0).sum()).alias("refunded"),
            (pl.col("amount") >= 0).any().alias("is_purchase"),
        )
        .sort("customer", "date")
    )
    purchases = days.filter(pl.col("is_purchase")).select("customer", "date", "bought")
    refunds = (
        days.filter(pl.col("refunded") > 0)
        .select("customer", pl.col("date").alias("refund_date"), "refunded")
        .sort("refund_date")
        .join_asof(
            purchases.select("customer", "date").sort("date"),
            left_on="refund_date",
            right_on="date",
            by="customer",
            strategy="backward",
            check_sortedness=False,  # both sides sorted by date above
        )
        .filter(pl.col("date").is_not_null())
        .group_by("customer", "date")
        .agg(pl.col("refunded").sum())
    )
    return (
        purchases.join(refunds, on=["customer", "date"], how="left")
        .select(
            "customer",
            "date",
            (pl.col("bought") - pl.col("refunded").fill_null(0.0))
            .clip(lower_bound=0.0)
            .alias("value"),
        )
        .sort("customer", "date")
    )


def _summarise(days: pl.DataFrame, end: dt.date) -> pl.DataFrame:
    """RFM per customer from purchase days already restricted to ``date <= end``."""
    first = pl.col("date").min()
    n = pl.len()
    # repeat days = every purchase day but the first (summed directly: no float cancellation)
    repeat_value = pl.col("value").sort_by("date").slice(1).sum()
    return (
        days.group_by("customer")
        .agg(
            (n - 1).cast(pl.Int64).alias("frequency"),
            ((pl.col("date").max() - first).dt.total_days() / DAYS_PER_WEEK).alias("recency"),
            ((pl.lit(end) - first).dt.total_days() / DAYS_PER_WEEK).alias("T"),
            repeat_value.alias("_repeat_value"),
            first.alias("first_purchase"),
            pl.col("value").sum().alias("paid"),
        )
        .with_columns(
            pl.when(pl.col("frequency") > 0)
            .then(pl.col("_repeat_value") / pl.col("frequency"))
            .otherwise(0.0)
            .alias("monetary")
        )
        .select("customer", "frequency", "recency", "T", "monetary", "first_purchase", "paid")
        .sort("customer")
    )


def rfm_summary(
    transactions: pl.DataFrame,
    observation_end: DateLike,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    amount_col: str | None = "amount",
) -> pl.DataFrame:
    """Per-customer ``customer, frequency, recency, T, monetary, first_purchase, paid`` (sorted by
    customer) for purchases on or before ``observation_end`` (inclusive). Times in weeks.

    Customers whose first purchase is after ``observation_end`` are not in the result.
    """
    end = _to_date(observation_end)
    days = daily_transactions(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        until=end,
    )
    return _summarise(days, end)


def calibration_holdout_summary(
    transactions: pl.DataFrame,
    calibration_end: DateLike,
    observation_end: DateLike,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    amount_col: str | None = "amount",
) -> pl.DataFrame:
    """Calibration RFM plus holdout actuals for every customer first seen by ``calibration_end``.

    Adds ``frequency_holdout`` (purchase days in ``(calibration_end, observation_end]``),
    ``monetary_holdout`` (their mean value, 0 if none) and ``duration_holdout`` (weeks).
    """
    cal_end, obs_end = _to_date(calibration_end), _to_date(observation_end)
    if obs_end <= cal_end:
        raise ValueError("observation_end must be after calibration_end")

    def days_until(end: dt.date) -> pl.DataFrame:
        return daily_transactions(
            transactions,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            until=end,
        )

    cal = _summarise(days_until(cal_end), cal_end)
    days = days_until(obs_end)
    hold = (
        days.filter((pl.col("date") > cal_end) & (pl.col("date") <= obs_end))
        .group_by("customer")
        .agg(
            pl.len().cast(pl.Int64).alias("frequency_holdout"),
            pl.col("value").mean().alias("monetary_holdout"),
        )
    )
    duration = (obs_end - cal_end).days / DAYS_PER_WEEK
    return (
        cal.join(hold, on="customer", how="left")
        .with_columns(
            pl.col("frequency_holdout").fill_null(0),
            pl.col("monetary_holdout").fill_null(0.0),
            pl.lit(duration).alias("duration_holdout"),
        )
        .sort("customer")
    )
