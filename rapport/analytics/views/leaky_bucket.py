"""The leaky-bucket page (cohorts, churn reasons, churn risk) and the churn record form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from rapport.analytics import services
from rapport.analytics.choices import ChurnDestination, ChurnReason
from rapport.analytics.forms import ChurnRecordForm
from rapport.analytics.selectors.leaky_bucket import churn_reasons, churn_risk, cohorts
from rapport.analytics.tables import Column, Table, counts_table
from rapport.analytics.views.base import Page, bar, dashboard, doughnut, series
from rapport.core.forms import add_service_errors


@dashboard("leaky_bucket", default_months=24)
def leaky_bucket(request: HttpRequest, ctx: dict[str, Any]) -> Page:
    filters = ctx["filters"]
    cohort = cohorts(filters, ctx["fit"].as_of)
    churn = churn_reasons(filters)
    risk = churn_risk(filters)
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
        "churn-reasons": bar(
            [r["label"] for r in churn["reasons"]],
            [
                series(
                    d["label"],
                    [r["destinations"][i] for r in churn["reasons"]],
                    palette[i % len(palette)],
                )
                for i, d in enumerate(destinations)
            ],
            scales={"x": {"stacked": True}, "y": {"stacked": True}},
        ),
        "churn-destinations": doughnut(
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
