"""The switching-cost page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.selectors.switching import switching as switching_data
from rapport.analytics.tables import Column, Table, counts_table
from rapport.analytics.views.base import Page, bar, dashboard, pct, series

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
    not_applying=("period",),
)
def switching(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = switching_data(ctx["filters"])
    retention_cols = [
        Column("customers", _("Customers"), "int"),
        Column("retained", _("Bought again within a year"), "int"),
        Column(
            "retention",
            _("Retention"),
            "pct",
            help=gettext_lazy(
                "The share of these customers who bought again in the year after the indicators "
                "were measured."
            ),
        ),
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
        "retention-bands": bar(
            [b["label"] for b in data["bands"]],
            [series(_("Retention (%)"), [pct(b["retention"]) for b in data["bands"]], "#1565c0")],
        )
    }
    return Page(tables, charts, {"data": data})
