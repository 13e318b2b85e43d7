"""The complaints dashboard's summary: the tables that read every complaint, order and customer
(the Pareto counts, handling figures, complaints per 1,000 units, repurchase, common problems)
computed by the
scheduled task `refresh_dashboard_summary` (RAPPORT_COMPLAINT_SUMMARY_CRON, every 15 minutes by
default; `rapport complaints summarize` does the same) and kept in one row, so the page reads that
row and says when it was computed. Remedy costs and satisfaction stay live: they read small
tables.

The summary holds the same rows the live computation gives (`live_tables`), by ids, and is read
back through the same step that adds the products and causes (`present`)."""

from __future__ import annotations

import time
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.complaints.models import DashboardSummary

SECTIONS = {"pareto", "figures", "per_thousand", "repurchase", "common"}


def compute() -> dict[str, Any]:
    """Every summarised table, by ids (JSON-able but for Decimal units)."""
    from rapport.complaints import metrics, reports
    from rapport.complaints.notices import common_problem_rows

    return {
        "pareto": {by: reports.pareto_rows(by) for by in reports.PARETO_BY},
        "figures": asdict(metrics.all_figures()),
        "per_thousand": reports.per_thousand_rows(),
        "repurchase": reports.repurchase(),
        "common": common_problem_rows(),
    }


def present(tables: dict[str, Any]) -> dict[str, Any]:
    """The tables as the page shows them: products and causes attached, units as Decimal."""
    from rapport.complaints.metrics import Figures
    from rapport.complaints.notices import with_objects
    from rapport.complaints.reports import pareto_labelled, per_thousand_with_products

    per_thousand = [dict(r, units=Decimal(r["units"])) for r in tables["per_thousand"]]
    return {
        "pareto": {by: pareto_labelled(by, rows) for by, rows in tables["pareto"].items()},
        "figures": Figures(**tables["figures"]),
        "per_thousand": per_thousand_with_products(per_thousand),
        "repurchase": tables["repurchase"],
        "common": with_objects(tables["common"]),
    }


def live_tables() -> dict[str, Any]:
    """The same tables computed now (what the summary must equal right after a refresh)."""
    return present(compute())


def summary_refresh() -> DashboardSummary:
    """Recompute the summary; the previous one is replaced in the same transaction."""
    started = time.perf_counter()
    computed_at = timezone.now()
    tables = compute()
    with transaction.atomic():
        DashboardSummary.objects.all().delete()
        return DashboardSummary.objects.create(
            computed_at=computed_at, seconds=round(time.perf_counter() - started, 3), tables=tables
        )


def summary_latest() -> DashboardSummary | None:
    return DashboardSummary.objects.order_by("-computed_at").first()


def summary_tables() -> tuple[dict[str, Any], DashboardSummary]:
    """The dashboard's summarised tables and the summary they come from (computed now when there
    is none yet: a new installation, before the first scheduled run)."""
    summary = summary_latest()
    if summary is None or set(summary.tables) != SECTIONS:  # none yet, or an older layout
        summary = summary_refresh()
    return present(summary.tables), summary
