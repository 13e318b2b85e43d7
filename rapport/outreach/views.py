"""Pages of keeping in touch: the moments calendar, campaigns, events and coupons."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.registry import customer_filters
from rapport.customers.selectors import customer_queryset
from rapport.outreach.moments import moments_page, window


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


def allowed_filters(request: HttpRequest) -> dict[str, str]:
    """The list filters in the query string that the user may use."""
    names = {f.name for f in customer_filters(request.user)} | {"tag", "preferred_language"}
    return {k: v for k, v in request.GET.items() if k in names and v}


@login_required
@perm("outreach.view_campaign")
def moments(request: HttpRequest) -> HttpResponse:
    """This week's or this month's moments of the customers (narrowed by the list filters), a
    page at a time: the holidays, then the personal moments by day and name."""
    from urllib.parse import urlencode

    view = "month" if request.GET.get("view") == "month" else "week"
    start, end = window(view, timezone.localdate())
    filters = allowed_filters(request)
    after = request.GET.get("after", "")
    page = moments_page(customer_queryset(filters=filters), start, end, after=after)
    return render(
        request,
        "outreach/moments.html",
        {
            "view": view,
            "start": start,
            "end": end,
            "moments": page.holidays + page.moments,
            "later": page.after and "?" + urlencode({"view": view, **filters, "after": page.after}),
            "first": bool(after) and "?" + urlencode({"view": view, **filters}),
            "filters": [
                (f, f.choices() if f.choices else None, filters.get(f.name, ""))
                for f in customer_filters(request.user)
            ],
        },
    )


# Campaigns -------------------------------------------------------------------------------------


@login_required
@perm("outreach.view_campaign")
def campaign_list(request: HttpRequest) -> HttpResponse:
    from django.db.models import Count

    from rapport.outreach.models import Campaign
    from rapport.outreach.services import redemption_rates

    campaigns = list(
        Campaign.objects.select_related("coupon")
        .annotate(n=Count("deliveries"))
        .order_by("-pk")[:200]
    )
    rates = {r["pk"]: r for r in redemption_rates()}
    for c in campaigns:
        c.rate = rates.get(c.pk)
    return render(request, "outreach/campaign_list.html", {"campaigns": campaigns})


@login_required
@perm("outreach.add_campaign")
def campaign_create(request: HttpRequest) -> HttpResponse:
    from django.shortcuts import redirect

    from rapport.core.exceptions import ValidationError
    from rapport.core.forms import add_service_errors
    from rapport.outreach import services
    from rapport.outreach.forms import CampaignForm

    filters = [f for f in customer_filters(request.user) if f.name not in ("tag",)]
    form = CampaignForm(request.POST or None, filters=filters)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                by=request.user,
                name=data["name"],
                kind=data["kind"],
                channel=data["channel"],
                schedule=data["schedule"],
                days=data["days"] or 0,
                churn_threshold=data["churn_threshold"] or "medium",
                send_at=data["send_at"],
                coupon_id=data["coupon"].pk if data["coupon"] else None,
                event_id=data["event"].pk if data["event"] else None,
                audience=form.audience(),
                messages=form.messages(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("outreach:campaign", campaign.pk)
    return render(request, "form.html", {"form": form, "title": _("New campaign")})


@login_required
@perm("outreach.view_campaign")
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from django.shortcuts import get_object_or_404

    from rapport.outreach import services
    from rapport.outreach.models import Campaign

    campaign = get_object_or_404(Campaign.objects.select_related("coupon"), pk=pk)
    languages = [m.language for m in campaign.messages.all()]
    language = request.GET.get("language") or (languages[0] if languages else "en")
    previews = services.preview(campaign, language) if languages else []
    runs = list(campaign.runs.order_by("-pk")[:10])
    return render(
        request,
        "outreach/campaign_detail.html",
        {
            "campaign": campaign,
            "languages": languages,
            "language": language,
            "previews": previews,
            "audience_size": services.audience_queryset(campaign).count(),
            "runs": [(r, services.run_progress(r)) for r in runs],
        },
    )


@login_required
@perm("outreach.view_campaign")
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    from django.shortcuts import get_object_or_404

    from rapport.outreach import services
    from rapport.outreach.models import Campaign

    campaign = get_object_or_404(Campaign, pk=pk)
    runs = list(campaign.runs.order_by("-pk")[:10])
    return render(
        request,
        "outreach/_progress.html",
        {"campaign": campaign, "runs": [(r, services.run_progress(r)) for r in runs]},
    )


@login_required
@perm("outreach.send_campaign")
def campaign_send(request: HttpRequest, pk: int) -> HttpResponse:
    from django.contrib import messages
    from django.shortcuts import get_object_or_404, redirect

    from rapport.core.exceptions import ValidationError
    from rapport.outreach import services
    from rapport.outreach.choices import Schedule
    from rapport.outreach.models import Campaign

    if request.method != "POST":
        return redirect("outreach:campaign", pk)
    campaign = get_object_or_404(Campaign, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "test":
            services.test_send(
                by=request.user,
                campaign=campaign,
                language=request.POST.get("language", "en"),
                to=request.user.email,
            )
            messages.success(
                request, _("A test message went to %(email)s.") % {"email": request.user.email}
            )
        elif action == "activate":
            services.campaign_set_state(by=request.user, campaign_id=pk, state="active")
            if campaign.schedule == Schedule.ONCE and campaign.send_at is None:
                services.campaign_start(by=request.user, campaign_id=pk)
                messages.success(request, _("The campaign is being sent."))
            else:
                messages.success(request, _("The campaign is active: it runs when it is due."))
        elif action == "pause":
            services.campaign_set_state(by=request.user, campaign_id=pk, state="paused")
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect("outreach:campaign", pk)


@login_required
@perm("outreach.view_coupon")
def coupon_list(request: HttpRequest) -> HttpResponse:
    from django.contrib import messages
    from django.shortcuts import redirect

    from rapport.core.exceptions import ValidationError
    from rapport.core.forms import add_service_errors
    from rapport.outreach import services
    from rapport.outreach.forms import CouponForm, RedeemForm
    from rapport.outreach.models import Coupon

    form = (
        CouponForm(request.POST or None) if request.POST.get("form") == "coupon" else CouponForm()
    )
    redeem = (
        RedeemForm(request.POST or None) if request.POST.get("form") == "redeem" else RedeemForm()
    )
    if request.method == "POST":
        if request.POST.get("form") == "coupon" and request.user.has_perm("outreach.add_coupon"):
            if form.is_valid():
                try:
                    services.coupon_create(by=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    return redirect("outreach:coupons")
        elif request.POST.get("form") == "redeem" and request.user.has_perm(
            "outreach.add_couponredemption"
        ):
            if redeem.is_valid():
                from rapport.sales.models import Order

                order = Order.objects.filter(
                    number=redeem.cleaned_data["order_number"].strip()
                ).first()
                try:
                    services.coupon_redeem(
                        by=request.user,
                        code=redeem.cleaned_data["code"],
                        order_id=order.pk if order else 0,
                    )
                except ValidationError as exc:
                    add_service_errors(redeem, exc, {"order_id": "order_number"})
                else:
                    messages.success(request, _("The coupon is redeemed on the order."))
                    return redirect("outreach:coupons")
        else:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
    coupons = Coupon.objects.select_related("product").order_by("-pk")[:200]
    return render(
        request, "outreach/coupon_list.html", {"coupons": coupons, "form": form, "redeem": redeem}
    )


# Events ----------------------------------------------------------------------------------------


@login_required
@perm("outreach.view_companyevent")
def event_list(request: HttpRequest) -> HttpResponse:
    from django.db.models import Count, Q
    from django.shortcuts import redirect

    from rapport.core.exceptions import ValidationError
    from rapport.core.forms import add_service_errors
    from rapport.outreach import services
    from rapport.outreach.forms import EventForm
    from rapport.outreach.models import CompanyEvent

    form = EventForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("outreach.add_companyevent"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        if form.is_valid():
            try:
                event = services.event_create(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("outreach:event", event.pk)
    events = CompanyEvent.objects.annotate(
        invited=Count("invitations"),
        coming=Count("invitations", filter=Q(invitations__rsvp="yes")),
        came=Count("invitations", filter=Q(invitations__attended=True)),
    ).order_by("-starts_at")[:200]
    return render(request, "outreach/event_list.html", {"events": events, "form": form})


@login_required
@perm("outreach.view_companyevent")
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from django.contrib import messages
    from django.shortcuts import get_object_or_404, redirect

    from rapport.outreach import services
    from rapport.outreach.models import CompanyEvent

    event = get_object_or_404(CompanyEvent, pk=pk)
    if request.method == "POST":
        if not request.user.has_perm("outreach.change_invitation"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        ids = [int(v) for v in request.POST.getlist("attended") if v.isdigit()]
        n = services.attendance_record(by=request.user, event_id=event.pk, customer_ids=ids)
        messages.success(request, _("Attendance recorded for %(n)s customers.") % {"n": n})
        return redirect("outreach:event", event.pk)
    invitations = event.invitations.select_related("customer").order_by("customer__sort_name")[
        :1000
    ]
    return render(
        request, "outreach/event_detail.html", {"event": event, "invitations": invitations}
    )
