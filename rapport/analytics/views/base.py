"""What every dashboard page shares: login, permission, filters, the page before the first
refresh, `?export=<table name>` (any table as CSV, with the page's filters), and chart helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.choices import Segment
from rapport.analytics.forms import DashboardFilterForm
from rapport.analytics.selectors.common import Filters, default_period, latest_fit
from rapport.analytics.tables import Table, csv_response

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


@dataclass
class Page:
    """What a dashboard page shows: its tables (each downloadable), charts and other context."""

    tables: list[Table]
    charts: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


PageBuilder = Callable[[HttpRequest, dict[str, Any]], Page]


def dashboard(
    page: str,
    *,
    default_months: int | None = None,
    scope: Any = "",
    not_applying: tuple[str, ...] = (),
) -> Callable[[PageBuilder], Callable[..., HttpResponse]]:
    """A dashboard page: login, the `analytics.view_report` permission, the filters (the period
    defaults to the last `default_months` months), `scope` (which filters apply, when not both
    to every figure; `not_applying` names the filters, "period" or "segment", that the page
    shows disabled with `scope` as the reason), the page before the first refresh, and the CSV
    export of its tables. The decorated function builds the page from the request and the shared
    context."""

    def decorate(build: PageBuilder) -> Callable[..., HttpResponse]:
        @login_required
        @permission_required("analytics.view_report", raise_exception=True)
        @wraps(build)
        def view(request: HttpRequest) -> HttpResponse:
            ctx = {
                **base_context(request, page, default_months),
                "scope": scope,
                "not_applying": not_applying,
            }
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


def base_context(
    request: HttpRequest, page: str, default_months: int | None = None
) -> dict[str, Any]:
    fit = latest_fit()
    form = DashboardFilterForm(request.GET or None)
    default = (None, None)
    if fit and default_months:
        default = default_period(fit.as_of, default_months)
    filters = form.filters(default) if request.GET else Filters(*default)
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


def pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def bar(labels: list[Any], datasets: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    return {"type": "bar", "labels": labels, "datasets": datasets, "options": options}


def series(label: Any, data: list[Any], colour: Any) -> dict[str, Any]:
    return {"label": label, "data": data, "backgroundColor": colour}


def doughnut(labels: list[Any], data: list[Any], colours: Any) -> dict[str, Any]:
    return {
        "type": "doughnut",
        "labels": labels,
        "datasets": [series(_("Customers"), data, colours)],
        "options": {},
    }
