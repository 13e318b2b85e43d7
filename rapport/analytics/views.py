"""Analytics pages. Each page reads selectors and lays out tables and charts; `dashboard` does
the rest the same way for every page — login, permission, filters, the page before the first
refresh, and `?export=<table name>` (any table as CSV, with the page's filters)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics import selectors, services
from rapport.analytics.choices import ChurnDestination, ChurnReason, Segment, TrustLevel
from rapport.analytics.forms import ChurnRecordForm, DashboardFilterForm
from rapport.analytics.tables import Column, Table, counts_table, csv_response
from rapport.core.forms import add_service_errors

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
# What the period filter means on pages whose figures describe the customers as they are now.
AS_SCORED = gettext_lazy(
    "The period does not apply to this page: its figures describe every customer as scored at "
    "the end of the observation. The segment filter applies."
)


# --- Page plumbing --------------------------------------------------------------------------


@dataclass
class Page:
    """What a dashboard page shows: its tables (each downloadable), charts and other context."""

    tables: list[Table]
    charts: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


PageBuilder = Callable[[HttpRequest, dict[str, Any]], Page]


def dashboard(
    page: str, *, default_months: int | None = None, scope: Any = ""
) -> Callable[[PageBuilder], Callable[..., HttpResponse]]:
    """A dashboard page: login, the `analytics.view_report` permission, the filters (the period
    defaults to the last `default_months` months), `scope` (which filters apply, when not both
    to every figure), the page before the first refresh, and the CSV export of its tables. The
    decorated function builds the page from the request and the shared context."""

    def decorate(build: PageBuilder) -> Callable[..., HttpResponse]:
        @login_required
        @permission_required("analytics.view_report", raise_exception=True)
        @wraps(build)
        def view(request: HttpRequest) -> HttpResponse:
            ctx = {**_base(request, page, default_months), "scope": scope}
            template = f"analytics/{page}.html"
            shown = build(request, ctx) if ctx["fit"] else Page([])
            if name := request.GET.get("export"):
                table = next((t for t in shown.tables if t.name == name), None)
                if table is None:
                    raise Http404
                return csv_response(table)
            tables = {t.name: t for t in shown.tables}
            context = {**ctx, **shown.context, "tables": tables, "charts": shown.charts}
            return render(request, template, context)

        return view

    return decorate


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


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _bar(labels: list[Any], datasets: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    return {"type": "bar", "labels": labels, "datasets": datasets, "options": options}


def _series(label: Any, data: list[Any], colour: Any) -> dict[str, Any]:
    return {"label": label, "data": data, "backgroundColor": colour}


def _doughnut(labels: list[Any], data: list[Any], colours: Any) -> dict[str, Any]:
    return {
        "type": "doughnut",
        "labels": labels,
        "datasets": [_series(_("Customers"), data, colours)],
        "options": {},
    }


# --- Pages ----------------------------------------------------------------------------------


@dashboard("index", scope=AS_SCORED)
def index(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    rows = selectors.segment_summary(ctx["filters"])["rows"]
    charts = {
        "segment-customers": _doughnut(
            [r["label"] for r in rows],
            [r["customers"] for r in rows],
            [SEGMENT_COLOURS[r["segment"]] for r in rows],
        )
    }
    return Page([_segments_table(rows)], charts, {"overview": selectors.overview(ctx["filters"])})


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


@dashboard("segments", scope=AS_SCORED)
def segments(request: HttpRequest, ctx: dict[str, Any]) -> Page:
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
    labels = [r["label"] for r in rows]
    charts = {
        "segment-customers": _bar(
            labels,
            [
                _series(
                    _("Customers"),
                    [r["customers"] for r in rows],
                    [SEGMENT_COLOURS[r["segment"]] for r in rows],
                )
            ],
        ),
        "segment-value": _bar(
            labels,
            [
                _series(_("Revenue"), [r["revenue"] for r in rows], "#90caf9"),
                _series(_("CLV (total)"), [r["clv"] for r in rows], "#1565c0"),
            ],
        ),
    }
    return Page(tables, charts, {"data": data})


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
        "p-alive": _bar(
            [f"{i * 10}–{i * 10 + 10} %" for i in range(10)],
            [_series(_("Customers"), data["p_alive_histogram"], "#1565c0")],
        )
    }
    if chart := data["holdout_chart"]:
        tables.append(_holdout_table(chart))
        datasets = [
            _series(_("Actual"), chart["actual"], "#455a64"),
            _series("BG/NBD", chart["bgnbd"], "#1e88e5"),
        ]
        if chart["pareto_nbd"]:
            datasets.append(_series("Pareto/NBD", chart["pareto_nbd"], "#fb8c00"))
        charts["holdout"] = _bar(chart["labels"], datasets)
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


@dashboard("leaky_bucket", default_months=24)
def leaky_bucket(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    filters = ctx["filters"]
    cohort = selectors.cohorts(filters)
    churn = selectors.churn_reasons(filters)
    risk = selectors.churn_risk(filters)
    destinations = churn["destinations"]
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
            **{d["value"]: n for d, n in zip(destinations, r["destinations"], strict=True)},
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
                *[Column(d["value"], d["label"], "int") for d in destinations],
            ],
            reason_rows,
        ),
        counts_table("churn_risk", _("Churn risk"), _("Band"), risk),
    ]
    palette = ["#e53935", "#8e24aa", "#3949ab", "#00897b", "#fdd835"]
    charts = {
        "churn-reasons": _bar(
            [r["label"] for r in churn["reasons"]],
            [
                _series(
                    d["label"],
                    [r["destinations"][i] for r in churn["reasons"]],
                    palette[i % len(palette)],
                )
                for i, d in enumerate(destinations)
            ],
            scales={"x": {"stacked": True}, "y": {"stacked": True}},
        ),
        "churn-destinations": _doughnut(
            [d["label"] for d in destinations],
            [sum(r["destinations"][i] for r in churn["reasons"]) for i in range(len(destinations))],
            palette,
        ),
    }
    context = {
        "cohort": cohort,
        "churn": churn,
        "risk": risk,
        "can_record": request.user.has_perm("analytics.add_churnrecord"),
    }
    return Page(tables, charts, context)


@dashboard(
    "loyalty",
    scope=gettext_lazy(
        "The period does not apply to this page: repeat buying and trust levels describe every "
        "customer as scored at the end of the observation, and the days between purchases cover "
        "the whole history. The segment filter applies."
    ),
)
def loyalty(request: HttpRequest, ctx: dict[str, Any]) -> Page:
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
        counts_table("trust", _("Trust levels"), _("Level"), data["trust"]),
    ]
    charts = {
        "intervals": _bar(
            [r["days"] for r in intervals],
            [_series(_("Intervals"), [r["intervals"] for r in intervals], "#1565c0")],
        ),
        "trust": _doughnut(
            [t["label"] for t in data["trust"]],
            [t["customers"] for t in data["trust"]],
            ["#90caf9", "#42a5f5", "#0d47a1"],
        ),
    }
    return Page(tables, charts, {"data": data, "trust_levels": TrustLevel})


@dashboard("profit", default_months=12)
def profit(request: HttpRequest, ctx: dict[str, Any]) -> Page:
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
            [_series(_("Net contribution"), [d["net_contribution"] for d in deciles], "#1b5e20")],
        ),
    }
    return Page(tables, charts, {"data": data})


@dashboard("products")
def products(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = selectors.products(ctx["filters"])
    complaint_columns = (
        [
            Column("orders", _("Orders with the product"), "int"),
            Column("complaints", _("Complaints"), "int"),
            Column("complaint_rate", _("Complaint rate"), "pct"),
        ]
        if data["complaints_known"]
        else []
    )
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
            _("Return and complaint rates per product")
            if data["complaints_known"]
            else _("Return rate per product"),
            [
                Column("sku", _("SKU")),
                Column("name", _("Product")),
                Column("quantity", _("Sold"), "num"),
                Column("returned", _("Returned"), "num"),
                Column("return_rate", _("Return rate"), "pct"),
                Column("refund", _("Refunds"), "money"),
                *complaint_columns,
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
    rates = [_series(_("Return rate (%)"), [_pct(r["return_rate"]) for r in worst], "#e53935")]
    if data["complaints_known"]:
        rates.append(
            _series(
                _("Complaint rate (%)"), [_pct(r.get("complaint_rate")) for r in worst], "#8e24aa"
            )
        )
    charts = {
        "first-products": _bar(
            [r["name"] for r in top],
            [_series(_("Repeat rate (%)"), [_pct(r["repeat_rate"]) for r in top], "#43a047")],
            indexAxis="y",
        ),
        "return-rates": _bar([r["name"] for r in worst], rates, indexAxis="y"),
    }
    return Page(tables, charts, {"data": data})


@dashboard(
    "promotion",
    scope=gettext_lazy(
        "The segment filter does not apply to this page: a customer's segment today follows from "
        "whether they bought again, which is the outcome compared here. The period selects the "
        "month of the first purchase."
    ),
)
def promotion(request: HttpRequest, ctx: dict[str, Any]) -> Page:
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
    bands = data["bands"]
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
            bands,
        ),
    ]
    charts = {
        "promotion-bands": _bar(
            [str(b["band"]) for b in bands],
            [
                _series(_("Promotion (%)"), [_pct(b["repeat_promo"]) for b in bands], "#fb8c00"),
                _series(
                    _("Matched others (%)"), [_pct(b["repeat_control"]) for b in bands], "#455a64"
                ),
            ],
        )
    }
    return Page(tables, charts, {"data": data})


SWITCHING_INDICATORS = {
    "tenure": gettext_lazy("Tenure"),
    "categories": gettext_lazy("Product categories held"),
    "referral": gettext_lazy("Referral ties"),
}
SWITCHING_LEVELS = {
    "tenure": {
        "<1y": gettext_lazy("under a year"),
        "1-3y": gettext_lazy("1 to 3 years"),
        "3y+": gettext_lazy("3 years or more"),
    },
    "categories": {
        "0-1": gettext_lazy("none or one"),
        "2-3": gettext_lazy("two or three"),
        "4+": gettext_lazy("four or more"),
    },
    "referral": {
        "none": gettext_lazy("no referral ties"),
        "referred": gettext_lazy("came by referral"),
        "referrer": gettext_lazy("referred others"),
        "both": gettext_lazy("both"),
    },
}


@dashboard(
    "switching",
    scope=gettext_lazy(
        "The period does not apply to this page: retention is measured over the year before the "
        "end of the observation. The segment filter applies to today's switching cost only."
    ),
)
def switching(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = selectors.switching(ctx["filters"])
    retention_cols = [
        Column("customers", _("Customers"), "int"),
        Column("retained", _("Bought again within a year"), "int"),
        Column("retention", _("Retention"), "pct"),
    ]
    for key, rows in data["indicators"].items():
        levels = SWITCHING_LEVELS.get(key, {})
        order = list(levels)
        rows.sort(key=lambda r, order=order: order.index(r["level"]) if r["level"] in order else 99)
        for r in rows:
            r["label"] = levels.get(r["level"], r["level"])
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
                SWITCHING_INDICATORS.get(k, k),
                [Column("label", _("Level")), *retention_cols],
                rows,
            )
            for k, rows in data["indicators"].items()
        ],
        counts_table(
            "switching_now", _("Customers by switching cost today"), _("Band"), data["current"]
        ),
    ]
    charts = {
        "retention-bands": _bar(
            [b["label"] for b in data["bands"]],
            [_series(_("Retention (%)"), [_pct(b["retention"]) for b in data["bands"]], "#1565c0")],
        )
    }
    return Page(tables, charts, {"data": data})


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
