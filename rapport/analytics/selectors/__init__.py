"""Reads for the analytics pages, the customer page and the API, one module per dashboard.

The dashboards read the reports the refresh precomputed (one small row per page) and filter or
re-aggregate them in polars; only churn records and customer names are read live.

    common         the filters, the reports as frames, helpers shared by the pages
    customers      the customer card, list cards and the customer-list segment filter
    segments       overview and segments
    future         the models, the holdout check, P(alive), top customers by CLV
    leaky_bucket   cohorts, churn reasons and destinations, churn risk
    loyalty        repeat buying, days between purchases, trust levels
    profit         revenue, margin, cost to serve, net contribution
    products       first products, returns and complaints, products bought together
    promotion      promotion buyers against matched buyers
    switching      retention by switching cost

Other apps import these names from here (and only these): `customer_analytics`, `scores_for`,
`filter_customers_by_segment`, `Filters`, `latest_fit`.
"""

from rapport.analytics.selectors.common import Filters, latest_fit
from rapport.analytics.selectors.customers import (
    customer_analytics,
    filter_customers_by_segment,
    scores_for,
)

__all__ = [
    "Filters",
    "customer_analytics",
    "filter_customers_by_segment",
    "latest_fit",
    "scores_for",
]
