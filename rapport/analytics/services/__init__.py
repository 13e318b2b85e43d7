"""The analytics services: the refresh (summary → fit → score → write → reports), the extension
points other apps register sources with, and churn records. Definitions: docs/analytics.md.

By concern:
    refresh     `analytics_refresh`, the one entry point that rewrites scores, fits and reports
    database    reading the database into polars (binary COPY on PostgreSQL)
    history     the order history a refresh reads once
    currency    orders in other currencies converted with the exchange-rate table
    summary     the per-customer purchase summary (SQL or polars) and the models' inputs
    fitting     BG/NBD, Gamma-Gamma, Pareto/NBD and the holdout check
    rules       segments, bands, trust levels, switching-cost points (as data and expressions)
    scoring     every customer's score row
    writing     the score table written in bulk
    reports     the dashboards' precomputed reports; products: the products report
    sources     registries of cost-to-serve, satisfaction, switching-cost and complaint sources
    churn       `churn_record`
"""

from rapport.analytics.services.churn import churn_record
from rapport.analytics.services.currency import CurrencyError
from rapport.analytics.services.fitting import COMPARISON_SAMPLE, HOLDOUT_WEEKS
from rapport.analytics.services.refresh import STRATEGIES, analytics_refresh
from rapport.analytics.services.rules import INTERVAL_BINS, SEGMENT_GRID
from rapport.analytics.services.sources import (
    COST_TO_SERVE_SOURCES,
    PRODUCT_COMPLAINT_SOURCES,
    SATISFACTION_SOURCES,
    SWITCHING_COST_SOURCES,
    register_cost_to_serve,
    register_product_complaints,
    register_satisfaction,
    register_switching_cost,
)

__all__ = [
    "COMPARISON_SAMPLE",
    "COST_TO_SERVE_SOURCES",
    "CurrencyError",
    "HOLDOUT_WEEKS",
    "INTERVAL_BINS",
    "PRODUCT_COMPLAINT_SOURCES",
    "SATISFACTION_SOURCES",
    "SEGMENT_GRID",
    "STRATEGIES",
    "SWITCHING_COST_SOURCES",
    "analytics_refresh",
    "churn_record",
    "register_cost_to_serve",
    "register_product_complaints",
    "register_satisfaction",
    "register_switching_cost",
]
