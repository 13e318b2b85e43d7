"""The profit and performance page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.selectors.profit import profit as profit_data
from rapport.analytics.tables import Column, Table
from rapport.analytics.views.base import Page, bar, dashboard, series

MARGIN_HELP = gettext_lazy("The share of revenue left after paying for the goods sold.")
SERVE_HELP = gettext_lazy(
    "What keeping the customers cost on top of the goods: refunds today, complaint remedies "
    "and loyalty rewards once recorded."
)
NET_HELP = gettext_lazy("What the customers left you with: gross margin less cost to serve.")


@dashboard("profit", default_months=12)
def profit(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = profit_data(ctx["filters"], ctx["fit"].as_of)
    columns = [
        Column("label", _("Segment")),
        Column("customers", _("Customers"), "int"),
        Column("revenue", _("Revenue"), "money"),
        Column("cost_of_goods", _("Cost of goods"), "money"),
        Column("gross_margin", _("Gross margin"), "money"),
        Column("margin_rate", _("Margin %"), "pct", help=MARGIN_HELP),
        Column("cost_to_serve", _("Cost to serve"), "money", help=SERVE_HELP),
        Column("net_contribution", _("Net contribution"), "money", help=NET_HELP),
        Column("net_per_customer", _("Net contribution per customer"), "money"),
    ]
    totals = {**data["totals"], "label": _("All")}
    monthly = data["monthly"]
    partial = monthly["partial"]
    so_far = _("%(month)s (days 1–%(day)s so far)")
    monthly_rows = [
        {
            "month": so_far % {"month": m, "day": monthly["partial_days"]} if m == partial else m,
            "revenue": r,
            "gross_margin": g,
            "net_contribution": n,
        }
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
        "profit-monthly": _monthly_chart(monthly),
        "profit-deciles": bar(
            [str(d["decile"]) for d in deciles],
            [series(_("Net contribution"), [d["net_contribution"] for d in deciles], "#1b5e20")],
        ),
    }
    return Page(tables, charts, {"data": data})


def _monthly_chart(monthly: dict[str, Any]) -> dict[str, Any]:
    """Revenue, gross margin and net contribution by month. A month still in progress is not
    drawn as a fall: its lines stop before it, and its figures so far are dashed points."""
    lines = (
        (_("Revenue"), "revenue", "#90caf9"),
        (_("Gross margin"), "gross_margin", "#1e88e5"),
        (_("Net contribution"), "net_contribution", "#1b5e20"),
    )
    at = monthly["months"].index(monthly["partial"]) if monthly["partial"] else None
    datasets = []
    for label, key, colour in lines:
        values = list(monthly[key])
        full = values if at is None else [*values[:at], None, *values[at + 1 :]]
        datasets.append({"label": label, "data": full, "borderColor": colour})
        if at is not None:
            datasets.append(
                {
                    "label": _("%(figure)s, month so far") % {"figure": label},
                    "data": [v if i in (at - 1, at) else None for i, v in enumerate(values)],
                    "borderColor": colour,
                    "borderDash": [6, 4],
                    "pointStyle": "rectRot",
                }
            )
    return {"type": "line", "labels": monthly["months"], "options": {}, "datasets": datasets}
