"""Analytics pages. Each view checks a permission, reads selectors and lays out tables and charts;
every table can be downloaded as CSV with `?export=<table name>` and the page's filters."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics import selectors, services
from rapport.analytics.choices import ChurnDestination, ChurnReason, Segment, TrustLevel
from rapport.analytics.forms import ChurnRecordForm, DashboardFilterForm
from rapport.core.forms import add_service_errors
from rapport.core.money import money, number

PAGES = (
    ("index", gettext_lazy("Overview")),
    ("segments", gettext_lazy("Segments")),
    ("future", gettext_lazy("Future")),
    ("leaky_bucket", gettext_lazy("Leaky bucket")),
    ("loyalty", gettext_lazy("Loyalty & trust")),
    ("profit", gettext_lazy("Profit & performance")),
    ("products", gettext_lazy("Products")),
    ("promotion", gettext_lazy("Promotions")),
    ("switching", gettext_lazy("Switching cost")),
)
SEGMENT_COLOURS = {
    "champions": "#1b5e20",
    "loyal": "#43a047",
    "potential_loyalists": "#9ccc65",
    "new": "#29b6f6",
    "at_risk": "#ffa726",
    "cant_lose": "#e53935",
    "hibernating": "#90a4ae",
    "lost": "#546e7a",
}


# --- Tables and CSV -----------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: Any
    kind: str = "text"  # text, int, num, money, pct


@dataclass
class Table:
    name: str
    title: Any
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: Any = ""
    display: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.display = [[_cell(row.get(c.key), c.kind) for c in self.columns] for row in self.rows]


def _cell(value: Any, kind: str) -> str:
    if value is None or value == "":
        return "—"
    if kind == "money":
        return money(value)
    if kind == "pct":
        return f"{number(value * 100, 1)} %"
    if kind == "pp":  # a difference of two percentages
        return _("%(n)s points") % {"n": number(value * 100, 1)}
    if kind == "int":
        return number(value)
    if kind == "num":
        return number(value, 2)
    if kind == "num3":
        return number(value, 3)
    return str(value)


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 6)
    text = str(value)
    if kind == "text" and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text  # a spreadsheet would run it as a formula
    return text


def csv_response(table: Table) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(row.get(c.key), c.kind) for c in table.columns])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = slugify(f"analytics-{table.name}-{date.today().isoformat()}")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


# --- Page plumbing --------------------------------------------------------------------------


def dashboard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login, the `analytics.view_report` permission, and the shared context."""

    @login_required
    @permission_required("analytics.view_report", raise_exception=True)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, **kwargs)

    return wrapper


def _base(request: HttpRequest, page: str, default_months: int | None = None) -> dict[str, Any]:
    fit = selectors.latest_fit()
    form = DashboardFilterForm(request.GET or None)
    default = (None, None)
    if fit and default_months:
        default = selectors.default_period(fit.as_of, default_months)
    filters = form.filters(default) if request.GET else selectors.Filters(*default)
    if not request.GET:
        form = DashboardFilterForm(
            initial={"period_from": filters.period_from, "period_to": filters.period_to}
        )
    pages = [(key, label, reverse(f"analytics:{key}")) for key, label in PAGES]
    return {
        "fit": fit,
        "form": form,
        "filters": filters,
        "page": page,
        "pages": pages,
        "title": dict(PAGES)[page],
        "segment_label": Segment(filters.segment).label if filters.segment else "",
    }


def _respond(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    tables: list[Table] = (),
    charts: dict[str, Any] | None = None,
) -> HttpResponse:
    if name := request.GET.get("export"):
        for table in tables:
            if table.name == name:
                return csv_response(table)
        raise Http404
    context = {**context, "tables": {t.name: t for t in tables}, "charts": charts or {}}
    return render(request, template, context)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _bar(labels: list[Any], datasets: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    return {"type": "bar", "labels": labels, "datasets": datasets, "options": options}


# --- Pages ----------------------------------------------------------------------------------


@dashboard
def index(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "index")
    if not ctx["fit"]:
        return _respond(request, "analytics/index.html", ctx)
    data = selectors.segment_summary(ctx["filters"])
    table = _segments_table(data["rows"])
    charts = {
        "segment-customers": {
            "type": "doughnut",
            "labels": [r["label"] for r in data["rows"]],
            "datasets": [
                {
                    "label": _("Customers"),
                    "data": [r["customers"] for r in data["rows"]],
                    "backgroundColor": [SEGMENT_COLOURS[r["segment"]] for r in data["rows"]],
                }
            ],
            "options": {},
        }
    }
    return _respond(
        request, "analytics/index.html", {**ctx, "overview": selectors.overview()}, [table], charts
    )


def _segments_table(rows: list[dict[str, Any]]) -> Table:
    return Table(
        "segments",
        _("Segments"),
        [
            Column("label", _("Segment")),
            Column("customers", _("Customers"), "int"),
            Column("share", _("Share"), "pct"),
            Column("revenue", _("Revenue"), "money"),
            Column("net_contribution", _("Net contribution"), "money"),
            Column("clv", _("CLV (total)"), "money"),
            Column("clv_mean", _("CLV per customer"), "money"),
            Column("p_alive_mean", _("Mean P(alive)"), "pct"),
            Column("repeat_rate", _("Repeat-purchase rate"), "pct"),
        ],
        rows,
    )


@dashboard
def segments(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "segments")
    if not ctx["fit"]:
        return _respond(request, "analytics/segments.html", ctx)
    data = selectors.segment_summary(ctx["filters"])
    for row in data["grid"]:
        for c in row["cells"]:
            c["colour"] = SEGMENT_COLOURS[c["segment"]]
            c["intensity"] = (
                round(85 * c["customers"] / data["grid_max"]) if data["grid_max"] else 0
            )
    grid_rows = [
        {"r": row["r"], "f": c["f"], "segment": c["label"], "customers": c["customers"]}
        for row in data["grid"]
        for c in row["cells"]
    ]
    tables = [
        _segments_table(data["rows"]),
        Table(
            "rfm_grid",
            _("RFM grid"),
            [
                Column("r", _("R score"), "int"),
                Column("f", _("F score"), "int"),
                Column("segment", _("Segment")),
                Column("customers", _("Customers"), "int"),
            ],
            grid_rows,
        ),
    ]
    rows = data["rows"]
    colours = [SEGMENT_COLOURS[r["segment"]] for r in rows]
    charts = {
        "segment-customers": _bar(
            [r["label"] for r in rows],
            [
                {
                    "label": _("Customers"),
                    "data": [r["customers"] for r in rows],
                    "backgroundColor": colours,
                }
            ],
        ),
        "segment-value": _bar(
            [r["label"] for r in rows],
            [
                {
                    "label": _("Revenue"),
                    "data": [r["revenue"] for r in rows],
                    "backgroundColor": "#90caf9",
                },
                {
                    "label": _("CLV (total)"),
                    "data": [r["clv"] for r in rows],
                    "backgroundColor": "#1565c0",
                },
            ],
        ),
    }
    return _respond(request, "analytics/segments.html", {**ctx, "data": data}, tables, charts)


MODEL_NAMES = {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "gamma_gamma": "Gamma-Gamma"}


@dashboard
def future(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "future")
    if not ctx["fit"]:
        return _respond(request, "analytics/future.html", ctx)
    data = selectors.future(ctx["filters"], ctx["fit"])
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
    top = data["top"]
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
            top,
        ),
    ]
    chart = data["holdout_chart"]
    if chart:
        holdout_rows = [
            {
                "group": g,
                "customers": n,
                "actual": a,
                "bgnbd": b,
                "pareto_nbd": (chart["pareto_nbd"] or [None] * len(chart["labels"]))[i],
            }
            for i, (g, n, a, b) in enumerate(
                zip(
                    chart["labels"],
                    chart["customers"],
                    chart["actual"],
                    chart["bgnbd"],
                    strict=True,
                )
            )
        ]
        tables.append(
            Table(
                "holdout",
                _("Holdout: repeat purchases per customer"),
                [
                    Column("group", _("Purchases in calibration")),
                    Column("customers", _("Customers"), "int"),
                    Column("actual", _("Actual"), "num"),
                    Column("bgnbd", _("BG/NBD"), "num"),
                    Column("pareto_nbd", _("Pareto/NBD"), "num"),
                ],
                holdout_rows,
            )
        )
    charts: dict[str, Any] = {
        "p-alive": _bar(
            [f"{i * 10}–{i * 10 + 10} %" for i in range(10)],
            [
                {
                    "label": _("Customers"),
                    "data": data["p_alive_histogram"],
                    "backgroundColor": "#1565c0",
                }
            ],
        )
    }
    if chart:
        datasets = [
            {"label": _("Actual"), "data": chart["actual"], "backgroundColor": "#455a64"},
            {"label": "BG/NBD", "data": chart["bgnbd"], "backgroundColor": "#1e88e5"},
        ]
        if chart["pareto_nbd"]:
            datasets.append(
                {"label": "Pareto/NBD", "data": chart["pareto_nbd"], "backgroundColor": "#fb8c00"}
            )
        charts["holdout"] = _bar(chart["labels"], datasets)
    return _respond(
        request,
        "analytics/future.html",
        {**ctx, "data": data, "model_names": MODEL_NAMES},
        tables,
        charts,
    )


@dashboard
def leaky_bucket(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "leaky_bucket", default_months=24)
    if not ctx["fit"]:
        return _respond(request, "analytics/leaky_bucket.html", ctx)
    filters = ctx["filters"]
    cohort = selectors.cohorts(filters)
    churn = selectors.churn_reasons(filters)
    risk = selectors.churn_risk(filters)
    cohort_rows = [
        {
            "cohort": r["cohort"],
            "customers": r["customers"],
            **{f"m{k}": s for k, s in enumerate(r["shares"])},
        }
        for r in cohort["rows"]
    ]
    reason_rows = [
        {
            "label": r["label"],
            "count": r["count"],
            **{
                d["value"]: n for d, n in zip(churn["destinations"], r["destinations"], strict=True)
            },
        }
        for r in churn["reasons"]
    ]
    tables = [
        Table(
            "cohorts",
            _("Cohort retention"),
            [
                Column("cohort", _("First purchase")),
                Column("customers", _("Customers"), "int"),
                *[Column(f"m{k}", _("Month %(k)s") % {"k": k}, "pct") for k in cohort["offsets"]],
            ],
            cohort_rows,
        ),
        Table(
            "churn_reasons",
            _("Churn reasons"),
            [
                Column("label", _("Reason")),
                Column("count", _("Customers"), "int"),
                *[Column(d["value"], d["label"], "int") for d in churn["destinations"]],
            ],
            reason_rows,
        ),
        Table(
            "churn_risk",
            _("Churn risk"),
            [
                Column("label", _("Band")),
                Column("customers", _("Customers"), "int"),
                Column("share", _("Share"), "pct"),
            ],
            risk,
        ),
    ]
    palette = ["#e53935", "#8e24aa", "#3949ab", "#00897b", "#fdd835"]
    charts = {
        "churn-reasons": _bar(
            [r["label"] for r in churn["reasons"]],
            [
                {
                    "label": d["label"],
                    "data": [r["destinations"][i] for r in churn["reasons"]],
                    "backgroundColor": palette[i % len(palette)],
                }
                for i, d in enumerate(churn["destinations"])
            ],
            scales={"x": {"stacked": True}, "y": {"stacked": True}},
        ),
        "churn-destinations": {
            "type": "doughnut",
            "labels": [d["label"] for d in churn["destinations"]],
            "datasets": [
                {
                    "label": _("Customers"),
                    "backgroundColor": palette,
                    "data": [
                        sum(r["destinations"][i] for r in churn["reasons"])
                        for i in range(len(churn["destinations"]))
                    ],
                }
            ],
            "options": {},
        },
    }
    return _respond(
        request,
        "analytics/leaky_bucket.html",
        {
            **ctx,
            "cohort": cohort,
            "churn": churn,
            "risk": risk,
            "can_record": request.user.has_perm("analytics.add_churnrecord"),
        },
        tables,
        charts,
    )


@dashboard
def loyalty(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "loyalty")
    if not ctx["fit"]:
        return _respond(request, "analytics/loyalty.html", ctx)
    data = selectors.loyalty(ctx["filters"])
    intervals = [
        {
            "days": label,
            "intervals": n,
            "share": n / data["interval_total"] if data["interval_total"] else None,
        }
        for label, n in data["intervals"]
    ]
    tables = [
        Table(
            "repeat",
            _("Repeat-purchase rate"),
            [
                Column("label", _("Segment")),
                Column("customers", _("Customers"), "int"),
                Column("repeaters", _("Bought on two or more days"), "int"),
                Column("repeat_rate", _("Repeat-purchase rate"), "pct"),
            ],
            data["repeat"],
        ),
        Table(
            "intervals",
            _("Days between purchases"),
            [
                Column("days", _("Days")),
                Column("intervals", _("Intervals"), "int"),
                Column("share", _("Share"), "pct"),
            ],
            intervals,
        ),
        Table(
            "interval_medians",
            _("Typical interval per segment"),
            [
                Column("label", _("Segment")),
                Column("intervals", _("Intervals"), "int"),
                Column("median", _("Median (days)"), "num"),
                Column("mean", _("Mean (days)"), "num"),
            ],
            data["medians"],
        ),
        Table(
            "trust",
            _("Trust levels"),
            [
                Column("label", _("Level")),
                Column("customers", _("Customers"), "int"),
                Column("share", _("Share"), "pct"),
            ],
            data["trust"],
        ),
    ]
    charts = {
        "intervals": _bar(
            [r["days"] for r in intervals],
            [
                {
                    "label": _("Intervals"),
                    "data": [r["intervals"] for r in intervals],
                    "backgroundColor": "#1565c0",
                }
            ],
        ),
        "trust": {
            "type": "doughnut",
            "labels": [t["label"] for t in data["trust"]],
            "datasets": [
                {
                    "label": _("Customers"),
                    "data": [t["customers"] for t in data["trust"]],
                    "backgroundColor": ["#90caf9", "#42a5f5", "#0d47a1"],
                }
            ],
            "options": {},
        },
    }
    return _respond(
        request,
        "analytics/loyalty.html",
        {**ctx, "data": data, "trust_levels": TrustLevel},
        tables,
        charts,
    )


@dashboard
def profit(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "profit", default_months=12)
    if not ctx["fit"]:
        return _respond(request, "analytics/profit.html", ctx)
    data = selectors.profit(ctx["filters"])
    columns = [
        Column("label", _("Segment")),
        Column("customers", _("Customers"), "int"),
        Column("revenue", _("Revenue"), "money"),
        Column("cost_of_goods", _("Cost of goods"), "money"),
        Column("gross_margin", _("Gross margin"), "money"),
        Column("margin_rate", _("Margin %"), "pct"),
        Column("cost_to_serve", _("Cost to serve"), "money"),
        Column("net_contribution", _("Net contribution"), "money"),
        Column("net_per_customer", _("Net contribution per customer"), "money"),
    ]
    totals = {**data["totals"], "label": _("All")}
    monthly = data["monthly"]
    monthly_rows = [
        {"month": m, "revenue": r, "gross_margin": g, "net_contribution": n}
        for m, r, g, n in zip(
            monthly["months"],
            monthly["revenue"],
            monthly["gross_margin"],
            monthly["net_contribution"],
            strict=True,
        )
    ]
    tables = [
        Table("profit_by_segment", _("Profit by segment"), columns, [*data["rows"], totals]),
        Table(
            "profit_by_month",
            _("Profit by month"),
            [
                Column("month", _("Month")),
                Column("revenue", _("Revenue"), "money"),
                Column("gross_margin", _("Gross margin"), "money"),
                Column("net_contribution", _("Net contribution"), "money"),
            ],
            monthly_rows,
        ),
        Table(
            "cost_to_serve",
            _("Cost to serve by kind"),
            [Column("kind", _("Kind")), Column("amount", _("Amount"), "money")],
            data["kinds"],
        ),
        Table(
            "top_profit",
            _("Top customers by net contribution (all time)"),
            [
                Column("name", _("Customer")),
                Column("segment_label", _("Segment")),
                Column("net_contribution", _("Net contribution"), "money"),
                Column("revenue", _("Revenue"), "money"),
                Column("clv", _("CLV"), "money"),
            ],
            data["top"],
        ),
    ]
    deciles = data["deciles"]
    charts = {
        "profit-monthly": {
            "type": "line",
            "labels": monthly["months"],
            "options": {},
            "datasets": [
                {"label": _("Revenue"), "data": monthly["revenue"], "borderColor": "#90caf9"},
                {
                    "label": _("Gross margin"),
                    "data": monthly["gross_margin"],
                    "borderColor": "#1e88e5",
                },
                {
                    "label": _("Net contribution"),
                    "data": monthly["net_contribution"],
                    "borderColor": "#1b5e20",
                },
            ],
        },
        "profit-deciles": _bar(
            [str(d["decile"]) for d in deciles],
            [
                {
                    "label": _("Net contribution"),
                    "data": [d["net_contribution"] for d in deciles],
                    "backgroundColor": "#1b5e20",
                }
            ],
        ),
    }
    return _respond(request, "analytics/profit.html", {**ctx, "data": data}, tables, charts)


@dashboard
def products(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "products")
    if not ctx["fit"]:
        return _respond(request, "analytics/products.html", ctx)
    data = selectors.products(ctx["filters"])
    tables = [
        Table(
            "first_products",
            _("First products and repeat buying"),
            [
                Column("sku", _("SKU")),
                Column("name", _("Product")),
                Column("category", _("Category")),
                Column("first_buyers", _("First-time buyers"), "int"),
                Column("repeaters", _("Bought again"), "int"),
                Column("repeat_rate", _("Repeat rate"), "pct"),
            ],
            data["first"],
        ),
        Table(
            "returns",
            _("Return rate per product"),
            [
                Column("sku", _("SKU")),
                Column("name", _("Product")),
                Column("quantity", _("Sold"), "num"),
                Column("returned", _("Returned"), "num"),
                Column("return_rate", _("Return rate"), "pct"),
                Column("refund", _("Refunds"), "money"),
            ],
            data["returns"],
        ),
        Table(
            "pairs",
            _("Products bought together"),
            [
                Column("a_name", _("Product A")),
                Column("b_name", _("Product B")),
                Column("together", _("Orders with both"), "int"),
                Column("support", _("Support"), "pct"),
                Column("confidence", _("Confidence A → B"), "pct"),
                Column("lift", _("Lift"), "num"),
            ],
            data["pairs"],
        ),
    ]
    top = data["first"][:15]
    worst = data["returns"][:15]
    charts = {
        "first-products": _bar(
            [r["name"] for r in top],
            [
                {
                    "label": _("Repeat rate (%)"),
                    "data": [_pct(r["repeat_rate"]) for r in top],
                    "backgroundColor": "#43a047",
                }
            ],
            indexAxis="y",
        ),
        "return-rates": _bar(
            [r["name"] for r in worst],
            [
                {
                    "label": _("Return rate (%)"),
                    "data": [_pct(r["return_rate"]) for r in worst],
                    "backgroundColor": "#e53935",
                }
            ],
            indexAxis="y",
        ),
    }
    return _respond(request, "analytics/products.html", {**ctx, "data": data}, tables, charts)


@dashboard
def promotion(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "promotion")
    if not ctx["fit"]:
        return _respond(request, "analytics/promotion.html", ctx)
    data = selectors.promotion(ctx["filters"])
    cols = [
        Column("repeat_promo", _("Repeat rate, promotion"), "pct"),
        Column("repeat_control", _("Repeat rate, matched others"), "pct"),
        Column("repeat_diff", _("Difference"), "pp"),
        Column("repeat_ci", _("± 95 %"), "pp"),
        Column("spend_promo", _("Later spend, promotion"), "money"),
        Column("spend_control", _("Later spend, matched others"), "money"),
        Column("spend_diff", _("Difference"), "money"),
        Column("spend_ci", _("± 95 %"), "money"),
    ]
    overall = [data["overall"]] if data["overall"] else []
    tables = [
        Table(
            "promotion",
            _("Promotion buyers against matched buyers"),
            [
                Column("promo_buyers", _("Promotion buyers"), "int"),
                Column("matched", _("Matched"), "int"),
                Column("controls", _("Comparison buyers"), "int"),
                *cols,
            ],
            overall,
        ),
        Table(
            "promotion_bands",
            _("By first-purchase value band"),
            [
                Column("band", _("Band"), "int"),
                Column("matched", _("Promotion buyers"), "int"),
                Column("controls", _("Comparison buyers"), "int"),
                *cols,
            ],
            data["bands"],
        ),
    ]
    bands = data["bands"]
    charts = {
        "promotion-bands": _bar(
            [str(b["band"]) for b in bands],
            [
                {
                    "label": _("Promotion (%)"),
                    "data": [_pct(b["repeat_promo"]) for b in bands],
                    "backgroundColor": "#fb8c00",
                },
                {
                    "label": _("Matched others (%)"),
                    "data": [_pct(b["repeat_control"]) for b in bands],
                    "backgroundColor": "#455a64",
                },
            ],
        )
    }
    return _respond(request, "analytics/promotion.html", {**ctx, "data": data}, tables, charts)


@dashboard
def switching(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "switching")
    if not ctx["fit"]:
        return _respond(request, "analytics/switching.html", ctx)
    data = selectors.switching(ctx["filters"])
    retention_cols = [
        Column("customers", _("Customers"), "int"),
        Column("retained", _("Bought again within a year"), "int"),
        Column("retention", _("Retention"), "pct"),
    ]
    labels = {
        "tenure": _("Tenure"),
        "categories": _("Product categories held"),
        "referral": _("Referral ties"),
    }
    levels = {
        "tenure": {
            "<1y": _("under a year"),
            "1-3y": _("1 to 3 years"),
            "3y+": _("3 years or more"),
        },
        "categories": {"0-1": _("none or one"), "2-3": _("two or three"), "4+": _("four or more")},
        "referral": {
            "none": _("no referral ties"),
            "referred": _("came by referral"),
            "referrer": _("referred others"),
            "both": _("both"),
        },
    }
    for key, rows in data["indicators"].items():
        order = list(levels.get(key, {}))
        rows.sort(key=lambda r, order=order: order.index(r["level"]) if r["level"] in order else 99)
        for r in rows:
            r["label"] = levels.get(key, {}).get(r["level"], r["level"])
    tables = [
        Table(
            "retention_by_band",
            _("Retention by switching-cost band"),
            [Column("label", _("Band")), *retention_cols],
            data["bands"],
        ),
        Table(
            "retention_by_points",
            _("Retention by switching-cost points"),
            [Column("level", _("Points"), "int"), *retention_cols],
            data["points"],
        ),
        *[
            Table(
                f"retention_by_{k}",
                labels.get(k, k),
                [Column("label", _("Level")), *retention_cols],
                rows,
            )
            for k, rows in data["indicators"].items()
        ],
        Table(
            "switching_now",
            _("Customers by switching cost today"),
            [
                Column("label", _("Band")),
                Column("customers", _("Customers"), "int"),
                Column("share", _("Share"), "pct"),
            ],
            data["current"],
        ),
    ]
    charts = {
        "retention-bands": _bar(
            [b["label"] for b in data["bands"]],
            [
                {
                    "label": _("Retention (%)"),
                    "data": [_pct(b["retention"]) for b in data["bands"]],
                    "backgroundColor": "#1565c0",
                }
            ],
        )
    }
    return _respond(request, "analytics/switching.html", {**ctx, "data": data}, tables, charts)


# --- Churn records ------------------------------------------------------------------------


@login_required
@permission_required("analytics.add_churnrecord", raise_exception=True)
def churn_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that a customer left (from the customer card)."""
    from rapport.customers.models import Customer

    customer = get_object_or_404(Customer, pk=pk)
    form = ChurnRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.churn_record(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            messages.success(request, _("Recorded why %(name)s left.") % {"name": customer})
            return redirect(customer)
    return render(
        request,
        "analytics/churn_form.html",
        {
            "form": form,
            "customer": customer,
            "reasons": ChurnReason,
            "destinations": ChurnDestination,
        },
    )
