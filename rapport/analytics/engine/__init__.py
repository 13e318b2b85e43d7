"""Customer-analytics engine: RFM summaries, BG/NBD, the modified BG/NBD, Pareto/NBD, Gamma-Gamma,
CLV, validation and the choice of the model that scores the customers.

Pure Python on numpy/scipy/polars — no Django imports — so it runs in scripts, tasks and the CLI.
Time unit: weeks. Typical use::

    from rapport.analytics import engine
    cal = engine.rfm_summary(transactions, "1997-09-30")
    bg = engine.bgnbd.fit(cal["frequency"], cal["recency"], cal["T"])
    gg = engine.gammagamma.fit(cal["frequency"], cal["monetary"])
    scores = engine.score(cal, bg, gg, horizon_weeks=52, annual_discount_rate=0.1)
"""

from . import bgnbd, clv, gammagamma, holdout, mbgnbd, paretonbd, selection, simulate, summary
from ._fit import FitResult
from .bgnbd import BGNBDFit
from .clv import customer_lifetime_value, score
from .gammagamma import GammaGammaFit
from .holdout import HoldoutComparison, holdout_comparison
from .mbgnbd import MBGNBDFit
from .paretonbd import ParetoNBDFit
from .summary import (
    calibration_holdout_summary,
    daily_transactions,
    rfm_summary,
    transactions_frame,
)

__all__ = [
    "BGNBDFit",
    "FitResult",
    "GammaGammaFit",
    "HoldoutComparison",
    "MBGNBDFit",
    "ParetoNBDFit",
    "bgnbd",
    "calibration_holdout_summary",
    "clv",
    "customer_lifetime_value",
    "daily_transactions",
    "gammagamma",
    "holdout",
    "holdout_comparison",
    "mbgnbd",
    "paretonbd",
    "rfm_summary",
    "score",
    "selection",
    "simulate",
    "summary",
    "transactions_frame",
]
