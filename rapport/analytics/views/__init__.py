"""Analytics pages, one module per dashboard. Each page reads its selectors and lays out tables and
charts; `base.dashboard` does the rest the same way for every page — login, permission, filters,
the page before the first refresh, and `?export=<table name>` (any table as CSV, with the page's
filters). `leaky_bucket` also holds the churn record form."""

from rapport.analytics.views.base import PAGES
from rapport.analytics.views.future import future
from rapport.analytics.views.leaky_bucket import churn_record, leaky_bucket
from rapport.analytics.views.loyalty import loyalty
from rapport.analytics.views.products import products
from rapport.analytics.views.profit import profit
from rapport.analytics.views.promotion import promotion
from rapport.analytics.views.segments import index, segments
from rapport.analytics.views.switching import switching

__all__ = [
    "PAGES",
    "churn_record",
    "future",
    "index",
    "leaky_bucket",
    "loyalty",
    "products",
    "profit",
    "promotion",
    "segments",
    "switching",
]
