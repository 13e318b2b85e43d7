"""The future page: the models, the holdout check, P(alive), top customers by CLV."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.selectors.future import future as future_data
from rapport.analytics.selectors.future import model_label
from rapport.analytics.tables import Column, Table
from rapport.analytics.views.base import Page, bar, dashboard, series

COLOURS = {"pareto_nbd": "#fb8c00", "mbgnbd": "#43a047", "bgnbd": "#1e88e5"}


@dashboard(
    "future",
    scope=gettext_lazy(
        "The period does not apply to this page: the models are fitted on the whole history and "
        "forecast from the end of the observation. The segment filter applies to the "
        "probability of being active and the top customers."
    ),
    not_applying=("period",),
)
def future(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = future_data(ctx["filters"], ctx["fit"])
    params = [
        {
            "model": m["label"],
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
                Column("clv", _("CLV"), "money", help=CLV_HELP),
                Column("p_alive", _("Still buying from you"), "pct", help=ALIVE_HELP),
                Column(
                    "expected_purchases",
                    _("Expected purchases"),
                    "num",
                    help=gettext_lazy("Days on which the customer is expected to buy."),
                ),
                Column("revenue", _("Revenue so far"), "money"),
            ],
            data["top"],
        ),
        Table(
            "model_choice",
            _("How the forecasting model was chosen"),
            [
                Column("model", _("Model")),
                Column(
                    "error",
                    _("Mean error per customer in the held-back weeks"),
                    "num3",
                    help=gettext_lazy(
                        "How many purchases the forecast was off per customer, on average, "
                        "for weeks the model had not seen. Lower is better."
                    ),
                ),
            ],
            data["selection_errors"],
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
        datasets = [series(_("Actual"), chart["actual"], "#455a64")]
        for name, predicted in chart["predicted"].items():
            datasets.append(series(model_label(name), predicted, COLOURS[name]))
        charts["holdout"] = bar(chart["labels"], datasets)
    return Page(tables, charts, {"data": data})


def _holdout_table(chart: dict[str, Any]) -> Table:
    names = list(chart["predicted"])
    rows = [
        {
            "group": g,
            "customers": n,
            "actual": a,
            **{m: chart["predicted"][m][i] for m in names},
        }
        for i, (g, n, a) in enumerate(
            zip(chart["labels"], chart["customers"], chart["actual"], strict=True)
        )
    ]
    return Table(
        "holdout",
        _("Holdout: repeat purchases per customer"),
        [
            Column("group", _("Purchases in calibration")),
            Column("customers", _("Customers"), "int"),
            Column("actual", _("Actual"), "num"),
            *[Column(m, model_label(m), "num") for m in names],
        ],
        rows,
    )


ALIVE_HELP = gettext_lazy(
    "The chance that this customer still buys from you, judged from when and how often they "
    "bought (P(alive) in the model)."
)
CLV_HELP = gettext_lazy(
    "Customer lifetime value: what the customer is expected to bring over the horizon, "
    "discounted to today (see the note under the table)."
)
