"""The rules, as data and as polars expressions: RFM quintiles and segments, churn-risk and
switching-cost bands, trust levels and switching-cost points (docs/analytics.md)."""

from __future__ import annotations

import numpy as np
import polars as pl

from rapport.analytics.choices import ChurnRiskBand, Segment, SwitchingCostBand, TrustLevel
from rapport.analytics.services.arrays import index_of

# Segment by R (rows, 5 = bought most recently) and F (columns, 1..5). An "at risk" customer
# whose M score is 5 is "can't lose" instead (see `assign_segments`).
S = Segment
SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    #    F=1            F=2                    F=3                    F=4          F=5
    5: (S.NEW, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.CHAMPIONS, S.CHAMPIONS),
    4: (S.NEW, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.LOYAL, S.LOYAL),
    3: (S.HIBERNATING, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.LOYAL, S.LOYAL),
    2: (S.HIBERNATING, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),
    1: (S.LOST, S.LOST, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),
}
CHURN_BANDS = (0.3, 0.7)  # churn risk < 0.3 low, < 0.7 medium, else high
DISSATISFIED_REFUND_SHARE = 0.2  # refunds above this share of revenue: not (yet) emotional trust
DISSATISFIED_BELOW = 3.5  # mean satisfaction (1–5) below this: not emotional trust
BEHAVIOURAL_MIN_DAYS, BEHAVIOURAL_MIN_TENURE, ACTIVE_WITHIN = 4, 365, 365
SWITCHING_BANDS = (1, 3)  # points <= 1 low, <= 3 medium, else high
INTERVAL_BINS = (7, 14, 30, 60, 90, 180, 365)  # upper bounds in days; the last bin is 366+
CHURN_LABELS = (str(ChurnRiskBand.LOW), str(ChurnRiskBand.MEDIUM), str(ChurnRiskBand.HIGH))
SWITCHING_LABELS = (
    str(SwitchingCostBand.LOW),
    str(SwitchingCostBand.MEDIUM),
    str(SwitchingCostBand.HIGH),
)
SEGMENT_CODES = {s: i for i, s in enumerate(Segment.values)}


def segment_codes(segments: pl.DataFrame, customers: np.ndarray) -> np.ndarray:
    """Each customer's segment as an index into Segment.values (-1 if not scored)."""
    codes = segments["segment"].replace_strict(SEGMENT_CODES, return_dtype=pl.Int64).to_numpy()
    at = index_of(segments["customer_id"].to_numpy(), customers)
    return np.where(at >= 0, codes[np.maximum(at, 0)], -1)


def _quintile(column: pl.Expr, n: int) -> pl.Expr:
    """1 + ⌊5 × share of customers with a strictly lower value⌋: ties get the same score."""
    return (1 + (5 * (column.rank("min") - 1) / max(n, 1)).floor()).clip(1, 5).cast(pl.Int16)


def assign_rfm(frame: pl.DataFrame) -> pl.DataFrame:
    """r/f/m quintile scores: recency (fewer days since the last purchase is better), frequency
    (purchase days) and monetary (net spend)."""
    n = frame.height
    return frame.with_columns(
        _quintile(-pl.col("recency_days"), n).alias("r_score"),
        _quintile(pl.col("purchase_days"), n).alias("f_score"),
        _quintile(pl.col("monetary_total"), n).alias("m_score"),
    )


def assign_segments(frame: pl.DataFrame) -> pl.DataFrame:
    """The named segment from SEGMENT_GRID[r][f]; at risk with M = 5 becomes can't lose."""
    lookup = {r * 10 + f: str(row[f - 1]) for r, row in SEGMENT_GRID.items() for f in range(1, 6)}
    cell = (pl.col("r_score") * 10 + pl.col("f_score")).cast(pl.Int64)
    segment = cell.replace_strict(lookup, return_dtype=pl.String)
    return frame.with_columns(
        pl.when((segment == str(S.AT_RISK)) & (pl.col("m_score") == 5))
        .then(pl.lit(str(S.CANT_LOSE)))
        .otherwise(segment)
        .alias("segment")
    )


def band(
    column: pl.Expr,
    cuts: tuple[float, float],
    labels: tuple[str, str, str],
    inclusive: bool = False,
) -> pl.Expr:
    low = column <= cuts[0] if inclusive else column < cuts[0]
    mid = column <= cuts[1] if inclusive else column < cuts[1]
    return (
        pl.when(low)
        .then(pl.lit(labels[0]))
        .when(mid)
        .then(pl.lit(labels[1]))
        .otherwise(pl.lit(labels[2]))
    )


def trust_expr() -> pl.Expr:
    """Trust level from purchase days, tenure, recency, refunds and (when known) satisfaction.
    Only refunds for returned goods count as a sign of dissatisfaction: other costs to serve
    (loyalty rewards, say) are not complaints."""
    dissatisfied = (pl.col("refunds") > DISSATISFIED_REFUND_SHARE * pl.col("revenue")) | (
        pl.col("satisfaction").fill_null(5.0) < DISSATISFIED_BELOW
    )
    behavioural = (
        (pl.col("purchase_days") >= BEHAVIOURAL_MIN_DAYS)
        & (pl.col("tenure_days") >= BEHAVIOURAL_MIN_TENURE)
        & (pl.col("recency_days") <= ACTIVE_WITHIN)
    )
    return (
        pl.when(~dissatisfied & behavioural)
        .then(pl.lit(str(TrustLevel.BEHAVIOURAL)))
        .when(~dissatisfied & (pl.col("purchase_days") >= 2))
        .then(pl.lit(str(TrustLevel.EMOTIONAL)))
        .otherwise(pl.lit(str(TrustLevel.COGNITIVE)))
    )


def switching_points() -> pl.Expr:
    """Points that tie a customer to us: tenure (1 y, 3 y), categories held (2, 4), referrals
    made, came by referral, plus points from registered sources (membership, commitments)."""
    return (
        (pl.col("tenure_days") >= 365).cast(pl.Int16)
        + (pl.col("tenure_days") >= 1095).cast(pl.Int16)
        + (pl.col("categories_held") >= 2).cast(pl.Int16)
        + (pl.col("categories_held") >= 4).cast(pl.Int16)
        + (pl.col("referrals_made") >= 1).cast(pl.Int16)
        + pl.col("was_referred").cast(pl.Int16)
        + pl.col("extra_points").fill_null(0).round().cast(pl.Int16)
    ).clip(0, 32767)
