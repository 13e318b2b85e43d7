"""The refresh: read → summary → fit → score → reports → write (docs/analytics.md, "The refresh")."""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta

import polars as pl
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rapport.analytics.choices import AnalyticsEventType, ClvBasis
from rapport.analytics.models import AnalyticsEvent, ModelFit, Report
from rapport.analytics.services.database import analytics_session, end_of
from rapport.analytics.services.fitting import (
    HOLDOUT_WEEKS,
    finite,
    fit_fields,
    fit_models,
    holdout_check,
)
from rapport.analytics.services.history import categories_held, read_history
from rapport.analytics.services.reports import build_reports
from rapport.analytics.services.scoring import SCORE_COLUMNS, score_customers
from rapport.analytics.services.sources import (
    SATISFACTION_SOURCES,
    SWITCHING_COST_SOURCES,
    combined_sources,
)
from rapport.analytics.services.summary import (
    btyd_inputs,
    purchase_days,
    summary_polars,
    summary_sql,
    validation_inputs,
)
from rapport.analytics.services.writing import write_scores
from rapport.core.actors import SCHEDULER
from rapport.core.events import emit

log = logging.getLogger(__name__)

STRATEGIES = ("auto", "sql", "polars")


def _strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    if strategy == "auto":  # measured in bench/analytics_refresh.py
        return "polars"
    return strategy


def analytics_refresh(
    *,
    as_of: date | None = None,
    horizon_weeks: int = 52,
    discount_rate: float = 0.10,
    strategy: str = "auto",
    holdout_weeks: int = HOLDOUT_WEEKS,
    reports: bool = True,
    clv_basis: str | None = None,
) -> ModelFit:
    """Recompute every customer's score and the dashboards' reports; returns the new ModelFit.

    Stages (seconds in ModelFit.stages): read (the order history, once), summary, fit (BG/NBD,
    Gamma-Gamma; Pareto/NBD and the holdout check on a sample), score, reports, write (one
    transaction).
    """
    started, clock = timezone.now(), time.perf_counter()
    stages: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = round(now - clock, 3)
        clock = now

    as_of = as_of or timezone.localdate()
    strategy = _strategy(strategy)
    clv_basis = clv_basis or settings.RAPPORT_ANALYTICS_CLV_BASIS
    if clv_basis not in ClvBasis.values:
        raise ValueError(f"clv_basis must be one of {ClvBasis.values}")
    calibration_end = as_of - timedelta(weeks=holdout_weeks)
    with analytics_session():
        history = read_history(as_of=as_of)
        if history.converted and strategy == "sql":
            strategy = "polars"  # the database's sums would add the currencies unconverted
        lap("read")
        days = purchase_days(history.orders)
        if strategy == "sql":
            summary = summary_sql(as_of=as_of, calibration_end=calibration_end)
        else:
            summary = summary_polars(
                orders=history.orders, calibration_end=calibration_end, days=days
            )
        lap("summary")

        inputs = btyd_inputs(summary, as_of=as_of)
        validation = validation_inputs(days, as_of=as_of, horizon_weeks=horizon_weeks)
        fits = fit_models(inputs, validation) if inputs.height else None
        holdout = (
            holdout_check(summary, calibration_end=calibration_end, as_of=as_of)
            if inputs.height
            else {}
        )
        lap("fit")

        if fits is not None:
            end = end_of(as_of)
            scores = score_customers(
                inputs,
                fits,
                as_of=as_of,
                horizon_weeks=horizon_weeks,
                discount_rate=discount_rate,
                facts=history.customers,
                categories=categories_held(history),
                service_cost=history.service_cost,
                satisfaction=combined_sources(SATISFACTION_SOURCES, end, "satisfaction", "mean"),
                extra_points=combined_sources(SWITCHING_COST_SOURCES, as_of, "points", "sum"),
                clv_basis=clv_basis,
            )
        else:
            scores = pl.DataFrame(schema=dict.fromkeys(SCORE_COLUMNS, pl.Float64))
        lap("score")

        built = build_reports(history, days, scores) if reports else {}
        lap("reports")

        computed_at = timezone.now()
        with transaction.atomic():
            write_scores(scores, computed_at=computed_at)
            fit = ModelFit.objects.create(
                as_of=as_of,
                horizon_weeks=horizon_weeks,
                discount_rate=discount_rate,
                started_at=started,
                computed_at=computed_at,
                duration_seconds=0.0,
                customers=scores.height,
                purchase_days=int(summary["purchase_days"].sum() or 0),
                summary_strategy=strategy,
                clv_basis=clv_basis,
                holdout=finite(holdout),
                stages={},
                **fit_fields(fits),
            )
            for kind, payload in built.items():
                Report.objects.update_or_create(
                    kind=kind,
                    defaults={"data": finite(payload), "fit": fit, "computed_at": computed_at},
                )
        lap("write")
    fit.stages = stages
    fit.duration_seconds = round(sum(stages.values()), 3)
    ModelFit.objects.filter(pk=fit.pk).update(stages=stages, duration_seconds=fit.duration_seconds)
    emit(
        AnalyticsEvent,
        by=SCHEDULER,
        type=AnalyticsEventType.REFRESHED,
        fit=fit,
        parameters={"customers": fit.customers, "seconds": round(fit.duration_seconds, 1)},
    )
    log.info(
        "analytics refresh: %d customers in %.1f s %s", scores.height, fit.duration_seconds, stages
    )
    return fit
