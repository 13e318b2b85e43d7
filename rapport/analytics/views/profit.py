"""The profit and performance page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from rapport.analytics.selectors.profit import profit as profit_data
from rapport.analytics.tables import Column, Table
from rapport.analytics.views.base import Page, bar, dashboard, series


@dashboard("profit", default_months=12)
def profit(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = profit_data(ctx["filters"])
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
        "profit-deciles": bar(
            [str(d["decile"]) for d in deciles],
            [series(_("Net contribution"), [d["net_contribution"] for d in deciles], "#1b5e20")],
        ),
    }
    return Page(tables, charts, {"data": data})
