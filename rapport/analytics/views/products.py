"""The products page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.selectors.products import products as products_data
from rapport.analytics.tables import Column, Table
from rapport.analytics.views.base import Page, bar, dashboard, pct, series


@dashboard("products")
def products(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = products_data(ctx["filters"])
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
                Column(
                    "repeat_rate",
                    _("Repeat rate"),
                    "pct",
                    help=gettext_lazy(
                        "Of the customers whose first purchase included the product, the share "
                        "who came back on another day."
                    ),
                ),
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
                Column(
                    "return_rate",
                    _("Return rate"),
                    "pct",
                    help=gettext_lazy("The quantity returned as a share of the quantity sold."),
                ),
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
                Column(
                    "support",
                    _("Support"),
                    "pct",
                    help=gettext_lazy("The share of all orders that contain both products."),
                ),
                Column(
                    "confidence",
                    _("Confidence A → B"),
                    "pct",
                    help=gettext_lazy("Of the orders with product A, the share that also hold B."),
                ),
                Column(
                    "lift",
                    _("Lift"),
                    "num",
                    help=gettext_lazy(
                        "How many times more often the two are bought together than by chance; "
                        "above 1, suggest one with the other."
                    ),
                ),
            ],
            data["pairs"],
        ),
    ]
    top = data["first"][:15]
    worst = data["returns"][:15]
    rates = [series(_("Return rate (%)"), [pct(r["return_rate"]) for r in worst], "#e53935")]
    if data["complaints_known"]:
        rates.append(
            series(
                _("Complaint rate (%)"), [pct(r.get("complaint_rate")) for r in worst], "#8e24aa"
            )
        )
    charts = {
        "first-products": bar(
            [r["name"] for r in top],
            [series(_("Repeat rate (%)"), [pct(r["repeat_rate"]) for r in top], "#43a047")],
            indexAxis="y",
        ),
        "return-rates": bar([r["name"] for r in worst], rates, indexAxis="y"),
    }
    return Page(tables, charts, {"data": data})
