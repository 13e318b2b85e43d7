"""The loyalty and trust page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.choices import TrustLevel
from rapport.analytics.selectors.loyalty import loyalty as loyalty_data
from rapport.analytics.tables import Column, Table, counts_table
from rapport.analytics.views.base import Page, bar, dashboard, doughnut, series


@dashboard(
    "loyalty",
    scope=gettext_lazy(
        "The period does not apply to this page: repeat buying and trust levels describe every "
        "customer as scored at the end of the observation, and the days between purchases cover "
        "the whole history. The segment filter applies."
    ),
    not_applying=("period",),
)
def loyalty(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = loyalty_data(ctx["filters"])
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
                Column(
                    "median",
                    _("Median (days)"),
                    "num",
                    help=gettext_lazy(
                        "Half of the gaps between two purchases of the same customer are shorter."
                    ),
                ),
                Column("mean", _("Mean (days)"), "num"),
            ],
            data["medians"],
        ),
        counts_table("trust", _("Trust levels"), _("Level"), data["trust"]),
    ]
    charts = {
        "intervals": bar(
            [r["days"] for r in intervals],
            [series(_("Intervals"), [r["intervals"] for r in intervals], "#1565c0")],
        ),
        "trust": doughnut(
            [t["label"] for t in data["trust"]],
            [t["customers"] for t in data["trust"]],
            ["#90caf9", "#42a5f5", "#0d47a1"],
        ),
    }
    return Page(tables, charts, {"data": data, "trust_levels": TrustLevel})
