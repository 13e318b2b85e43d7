"""The future page: the models, the holdout check, P(alive), top customers by CLV."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.selectors.future import future as future_data
from rapport.analytics.tables import Column, Table
from rapport.analytics.views.base import Page, bar, dashboard, series

MODEL_NAMES = {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "gamma_gamma": "Gamma-Gamma"}


@dashboard(
    "future",
    scope=gettext_lazy(
        "The period does not apply to this page: the models are fitted on the whole history and "
        "forecast from the end of the observation. The segment filter applies to the "
        "probability of being active and the top customers."
    ),
)
def future(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = future_data(ctx["filters"], ctx["fit"])
    params = [
        {
            "model": MODEL_NAMES[m["model"]],
            "parameter": p["name"],
            "estimate": p["estimate"],
            "se": p["se"],
            "log_likelihood": m["log_likelihood"],
        }
        for m in data["models"]
        for p in m["params"]
    ]
    tables = [
        Table(
            "parameters",
            _("Fitted parameters"),
            [
                Column("model", _("Model")),
                Column("parameter", _("Parameter")),
                Column("estimate", _("Estimate"), "num3"),
                Column("se", _("Standard error"), "num3"),
                Column("log_likelihood", _("Log-likelihood"), "num"),
            ],
            params,
        ),
        Table(
            "top_clv",
            _("Top customers by CLV"),
            [
                Column("name", _("Customer")),
                Column("segment_label", _("Segment")),
                Column("clv", _("CLV"), "money"),
                Column("p_alive", _("P(alive)"), "pct"),
                Column("expected_purchases", _("Expected purchases"), "num"),
                Column("revenue", _("Revenue so far"), "money"),
            ],
            data["top"],
        ),
    ]
    charts: dict[str, Any] = {
        "p-alive": bar(
            [f"{i * 10}–{i * 10 + 10} %" for i in range(10)],
            [series(_("Customers"), data["p_alive_histogram"], "#1565c0")],
        )
    }
    if chart := data["holdout_chart"]:
        tables.append(_holdout_table(chart))
        datasets = [
            series(_("Actual"), chart["actual"], "#455a64"),
            series("BG/NBD", chart["bgnbd"], "#1e88e5"),
        ]
        if chart["pareto_nbd"]:
            datasets.append(series("Pareto/NBD", chart["pareto_nbd"], "#fb8c00"))
        charts["holdout"] = bar(chart["labels"], datasets)
    return Page(tables, charts, {"data": data, "model_names": MODEL_NAMES})


def _holdout_table(chart: dict[str, Any]) -> Table:
    pareto = chart["pareto_nbd"] or [None] * len(chart["labels"])
    rows = [
        {"group": g, "customers": n, "actual": a, "bgnbd": b, "pareto_nbd": p}
        for g, n, a, b, p in zip(
            chart["labels"],
            chart["customers"],
            chart["actual"],
            chart["bgnbd"],
            pareto,
            strict=True,
        )
    ]
    return Table(
        "holdout",
        _("Holdout: repeat purchases per customer"),
        [
            Column("group", _("Purchases in calibration")),
            Column("customers", _("Customers"), "int"),
            Column("actual", _("Actual"), "num"),
            Column("bgnbd", _("BG/NBD"), "num"),
            Column("pareto_nbd", _("Pareto/NBD"), "num"),
        ],
        rows,
    )
