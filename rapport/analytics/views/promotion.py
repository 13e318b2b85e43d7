"""The promotions page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.selectors.promotion import promotion as promotion_data
from rapport.analytics.tables import Column, Table
from rapport.analytics.views.base import Page, bar, dashboard, pct, series

CI_HELP = gettext_lazy(
    "How far the true difference may plausibly lie from the one measured (an interval that holds it "
    "95 times in 100). "
    "A dash means too few buyers to say: no cell has two buyers on each side."
)


@dashboard(
    "promotion",
    scope=gettext_lazy(
        "The segment filter does not apply to this page: a customer's segment today follows from "
        "whether they bought again, which is the outcome compared here. The period selects the "
        "month of the first purchase."
    ),
    not_applying=("segment",),
)
def promotion(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    data = promotion_data(ctx["filters"])
    cols = [
        Column("repeat_promo", _("Repeat rate, promotion"), "pct"),
        Column("repeat_control", _("Repeat rate, matched others"), "pct"),
        Column("repeat_diff", _("Difference"), "pp"),
        Column("repeat_ci", _("± 95 %"), "pp", help=CI_HELP),
        Column("spend_promo", _("Later spend, promotion"), "money"),
        Column("spend_control", _("Later spend, matched others"), "money"),
        Column("spend_diff", _("Difference"), "money"),
        Column("spend_ci", _("± 95 %"), "money", help=CI_HELP),
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
        "promotion-bands": bar(
            [str(b["band"]) for b in bands],
            [
                series(_("Promotion (%)"), [pct(b["repeat_promo"]) for b in bands], "#fb8c00"),
                series(
                    _("Matched others (%)"), [pct(b["repeat_control"]) for b in bands], "#455a64"
                ),
            ],
        )
    }
    return Page(tables, charts, {"data": data})
