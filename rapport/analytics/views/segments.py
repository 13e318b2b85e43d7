"""The overview and segments pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.selectors.common import recent_events
from rapport.analytics.selectors.segments import overview, segment_summary
from rapport.analytics.tables import Column, Table
from rapport.analytics.views.base import (
    AS_SCORED,
    SEGMENT_COLOURS,
    Page,
    bar,
    dashboard,
    doughnut,
    series,
)


@dashboard("index", scope=AS_SCORED, not_applying=("period",))
def index(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    rows = segment_summary(ctx["filters"])["rows"]
    charts = {
        "segment-customers": doughnut(
            [r["label"] for r in rows],
            [r["customers"] for r in rows],
            [SEGMENT_COLOURS[r["segment"]] for r in rows],
        )
    }
    return Page(
        [_segments_table(rows)],
        charts,
        {"overview": overview(ctx["filters"]), "events": recent_events()},
    )


HELP = {
    "revenue": gettext_lazy("What the customers have paid so far (paid and delivered orders)."),
    "net": gettext_lazy(
        "Revenue less the cost of the goods and the cost of serving them (refunds, remedies)."
    ),
    "clv": gettext_lazy(
        "What the customers are expected to bring over the horizon, discounted to today."
    ),
    "alive": gettext_lazy(
        "The average chance that a customer of the segment still buys from you (P(alive))."
    ),
    "repeat": gettext_lazy("The share of customers who bought on two or more different days."),
}


def _segments_table(rows: list[dict[str, Any]]) -> Table:
    return Table(
        "segments",
        _("Segments"),
        [
            Column("label", _("Segment")),
            Column("customers", _("Customers"), "int"),
            Column("share", _("Share"), "pct"),
            Column("revenue", _("Revenue"), "money", help=HELP["revenue"]),
            Column("net_contribution", _("Net contribution"), "money", help=HELP["net"]),
            Column("clv", _("CLV (total)"), "money", help=HELP["clv"]),
            Column("clv_mean", _("CLV per customer"), "money"),
            Column("p_alive_mean", _("Still buying (average chance)"), "pct", help=HELP["alive"]),
            Column("repeat_rate", _("Repeat-purchase rate"), "pct", help=HELP["repeat"]),
        ],
        rows,
    )


@dashboard("segments", scope=AS_SCORED, not_applying=("period",))
def segments(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = segment_summary(ctx["filters"])
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
        "segment-customers": bar(
            labels,
            [
                series(
                    _("Customers"),
                    [r["customers"] for r in rows],
                    [SEGMENT_COLOURS[r["segment"]] for r in rows],
                )
            ],
        ),
        "segment-value": bar(
            labels,
            [
                series(_("Revenue"), [r["revenue"] for r in rows], "#90caf9"),
                series(_("CLV (total)"), [r["clv"] for r in rows], "#1565c0"),
            ],
        ),
    }
    return Page(tables, charts, {"data": data})
