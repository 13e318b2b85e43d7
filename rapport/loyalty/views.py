"""Pages of membership and loyalty: tiers and the referral leaderboard; points and referrals from
the customer page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.exceptions import ValidationError
from rapport.core.forms import add_service_errors
from rapport.customers.models import Customer
from rapport.loyalty import selectors, services
from rapport.loyalty.forms import TierForm
from rapport.loyalty.models import Tier


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


@login_required
@perm("loyalty.view_tier")
def index(request: HttpRequest) -> HttpResponse:
    form = TierForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("loyalty.add_tier"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        if form.is_valid():
            try:
                services.tier_create(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("loyalty:index")
    tiers = Tier.objects.order_by("rank")
    counts = selectors.tier_counts()
    return render(
        request,
        "loyalty/index.html",
        {
            "tiers": [(t, counts.get(t.pk, 0)) for t in tiers],
            "form": form,
            "leaders": selectors.leaderboard(),
        },
    )


@login_required
@perm("loyalty.view_referral")
def tree(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_pk)
    return render(
        request,
        "loyalty/tree.html",
        {"customer": customer, "tree": selectors.referral_tree(customer.pk)},
    )


@login_required
@perm("loyalty.add_pointsentry")
@require_POST
def points(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_pk)
    try:
        amount = int(request.POST.get("points", "0"))
    except ValueError:
        amount = 0
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("action") == "adjust":
            if not request.user.has_perm("loyalty.adjust_points"):
                from django.core.exceptions import PermissionDenied

                raise PermissionDenied
            services.points_adjust(
                customer_id=customer.pk, points=amount, reason=reason, by=request.user
            )
        else:
            services.points_spend(
                customer_id=customer.pk, points=amount, reason=reason, by=request.user
            )
        services.tier_evaluate(customer_id=customer.pk, by=request.user)
        messages.success(request, _("The points are recorded."))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect(customer.get_absolute_url())


@login_required
@perm("loyalty.add_referral")
@require_POST
def referral(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_pk)
    try:
        services.referral_record(
            referred_id=customer.pk, code=request.POST.get("code", ""), by=request.user
        )
        messages.success(request, _("The customer is linked to the one who referred them."))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect(customer.get_absolute_url())
