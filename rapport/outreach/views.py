"""Pages of keeping in touch: the moments calendar, campaigns, events and coupons."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rapport.core.registry import customer_filters
from rapport.customers.selectors import customer_queryset
from rapport.outreach.moments import moments_between, window


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


def allowed_filters(request: HttpRequest) -> dict[str, str]:
    """The list filters in the query string that the user may use."""
    names = {f.name for f in customer_filters(request.user)} | {"tag", "preferred_language"}
    return {k: v for k, v in request.GET.items() if k in names and v}


@login_required
@perm("outreach.view_campaign")
def moments(request: HttpRequest) -> HttpResponse:
    """This week's or this month's moments of the customers (narrowed by the list filters)."""
    view = "month" if request.GET.get("view") == "month" else "week"
    start, end = window(view, timezone.localdate())
    filters = allowed_filters(request)
    found, total = moments_between(customer_queryset(filters=filters), start, end)
    return render(
        request,
        "outreach/moments.html",
        {
            "view": view,
            "start": start,
            "end": end,
            "moments": found,
            "total": total,
            "filters": [
                (f, f.choices() if f.choices else None, filters.get(f.name, ""))
                for f in customer_filters(request.user)
            ],
        },
    )
