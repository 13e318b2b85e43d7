"""Staff pages of after-sales service: the queue, requests and visits, the technicians' week,
promises and their report, routine maintenance, and product notices."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.exceptions import ConflictError, ValidationError
from rapport.core.pagination import keyset_page
from rapport.customers.models import Customer
from rapport.service import selectors, services
from rapport.service.choices import CommitmentState, Remedy, RequestState
from rapport.service.models import Commitment, Recall, RecallNotice, ServiceRequest, Visit


def perm(codename: str):  # noqa: ANN201
    return permission_required(codename, raise_exception=True)


def _errors(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ConflictError):
        messages.error(request, exc.message)
        return
    assert isinstance(exc, ValidationError)
    for field_messages in exc.message_dict.values():
        for message in field_messages:
            messages.error(request, message)


def _when(value: str) -> datetime | None:
    parsed = parse_datetime(value or "")
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@login_required
@perm("service.view_servicerequest")
def home(request: HttpRequest) -> HttpResponse:
    page = keyset_page(
        ServiceRequest.objects.filter(state=RequestState.OPEN).select_related(
            "customer", "product"
        ),
        ordering=["created_at", "id"],
        cursor=request.GET.get("cursor"),
        size=50,
    )
    return render(
        request,
        "service/home.html",
        {
            "page": page,
            "due": selectors.due_maintenance(50),
            "my_promises": selectors.commitment_queue(owner_id=request.user.pk).order_by("due_at")[
                :50
            ],
            "now": timezone.now(),
        },
    )


@login_required
@perm("service.add_servicerequest")
@require_POST
def request_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_pk)
    try:
        created = services.request_open(
            by=request.user,
            customer_id=customer.pk,
            kind=request.POST.get("kind", ""),
            description=request.POST.get("description", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect(customer)
    return redirect(created)


@login_required
@perm("service.view_servicerequest")
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = get_object_or_404(
        ServiceRequest.objects.select_related("customer", "product"), pk=pk
    )
    return render(
        request,
        "service/request_detail.html",
        {
            "req": service_request,
            "visits": service_request.visits.select_related("technician").order_by("starts_at"),
            "technicians": get_user_model().objects.filter(is_active=True).order_by("username"),
        },
    )


@login_required
@perm("service.add_visit")
@require_POST
def visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = get_object_or_404(ServiceRequest, pk=pk)
    starts = _when(request.POST.get("starts_at", ""))
    if starts is None:
        messages.error(request, _("Enter when the visit starts."))
        return redirect(service_request)
    hours = float(request.POST.get("hours") or 1)
    try:
        services.visit_schedule(
            by=request.user,
            customer_id=service_request.customer_id,
            kind=service_request.kind,
            starts_at=starts,
            ends_at=starts + timedelta(hours=hours),
            technician_id=int(request.POST.get("technician") or 0) or None,
            request_id=service_request.pk,
            product_id=service_request.product_id,
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect(service_request)


@login_required
@perm("service.change_visit")
@require_POST
def visit_done(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(Visit, pk=pk)
    try:
        services.visit_done(
            by=request.user,
            visit_id=pk,
            parts_cost=request.POST.get("parts_cost") or 0,
            labour_minutes=int(request.POST.get("labour_minutes") or 0),
            labour_cost=request.POST.get("labour_cost") or 0,
            notes=request.POST.get("notes", ""),
            expected_version=int(request.POST.get("version") or 0) or None,
        )
    except (ValidationError, ConflictError) as exc:
        _errors(request, exc)
    return redirect(visit.request or visit.customer)


@login_required
@perm("service.view_visit")
def calendar(request: HttpRequest) -> HttpResponse:
    """Visits per technician and week (Monday to Sunday)."""
    day = parse_date(request.GET.get("week", "")) or timezone.localdate()
    monday = day - timedelta(days=day.weekday())
    technician = int(request.GET.get("technician") or 0) or None
    context = selectors.week_calendar(technician, monday)
    context.update(
        {
            "technician": technician,
            "technicians": get_user_model()
            .objects.filter(service_visits__isnull=False)
            .distinct()
            .order_by("username"),
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
        }
    )
    return render(request, "service/calendar.html", context)


@login_required
@perm("service.add_commitment")
@require_POST
def commitment_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_pk)
    hours = request.POST.get("within_hours", "")
    try:
        services.commitment_make(
            by=request.user,
            customer_id=customer.pk,
            text=request.POST.get("text", ""),
            owner_id=request.user.pk,
            due_at=_when(request.POST.get("due_at", "")),
            within_working_hours=float(hours) if hours else None,
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect(customer)


@login_required
@perm("service.change_commitment")
@require_POST
def commitment_close(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = get_object_or_404(Commitment.objects.select_related("customer"), pk=pk)
    try:
        services.commitment_close(
            by=request.user,
            commitment_id=pk,
            kept=request.POST.get("kept") == "1",
            expected_version=int(request.POST.get("version") or 0) or None,
        )
    except (ValidationError, ConflictError) as exc:
        _errors(request, exc)
    return redirect(request.POST.get("next") or commitment.customer.get_absolute_url())


@login_required
@perm("service.view_commitment")
def promises(request: HttpRequest) -> HttpResponse:
    """Broken promises per person and department; every open promise, soonest due first."""
    page = keyset_page(
        selectors.commitment_queue(state=CommitmentState.OPEN),
        ordering=["due_at", "id"],
        cursor=request.GET.get("cursor"),
        size=50,
    )
    return render(
        request,
        "service/promises.html",
        {"report": selectors.promise_report(), "page": page, "now": timezone.now()},
    )


@login_required
@perm("service.add_visit")
@require_POST
def maintenance_run(request: HttpRequest) -> HttpResponse:
    count = services.maintenance_generate(by=request.user)
    messages.info(request, _("%(count)s routine maintenance visits added.") % {"count": count})
    return redirect("service:home")


@login_required
@perm("service.view_recall")
def recall_list(request: HttpRequest) -> HttpResponse:
    from rapport.sales.models import Product

    return render(
        request,
        "service/recall_list.html",
        {
            "recalls": Recall.objects.select_related("product").order_by("-pk")[:100],
            "products": Product.objects.filter(active=True)
            .order_by("name")
            .values_list("pk", "sku", "name")[:500],
        },
    )


@login_required
@perm("service.add_recall")
@require_POST
def recall_create(request: HttpRequest) -> HttpResponse:
    language = request.LANGUAGE_CODE
    try:
        recall = services.recall_create(
            by=request.user,
            product_id=int(request.POST.get("product") or 0),
            batch=request.POST.get("batch", ""),
            ordered_from=parse_date(request.POST.get("ordered_from", "") or "") or None,
            ordered_to=parse_date(request.POST.get("ordered_to", "") or "") or None,
            title={language: request.POST.get("title", "")},
            body={language: request.POST.get("body", "")},
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("service:recall_list")
    return redirect(recall)


@login_required
@perm("service.view_recall")
def recall_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recall = get_object_or_404(Recall.objects.select_related("product"), pk=pk)
    page = keyset_page(
        RecallNotice.objects.filter(recall=recall).select_related("customer"),
        ordering=["id"],
        cursor=request.GET.get("cursor"),
        size=100,
    )
    return render(
        request,
        "service/recall_detail.html",
        {
            "recall": recall,
            "title": recall.text_in("title", request.LANGUAGE_CODE),
            "body": recall.text_in("body", request.LANGUAGE_CODE),
            "affected": len(selectors.affected_customer_ids(recall)),
            "counts": selectors.recall_counts(recall),
            "page": page,
            "remedies": Remedy.choices,
        },
    )


@login_required
@perm("service.change_recall")
@require_POST
def recall_notify(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        told = services.recall_notify(by=request.user, recall_id=pk)
        messages.info(request, _("%(count)s customers told.") % {"count": told})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("service:recall_detail", pk=pk)


@login_required
@perm("service.change_recall")
@require_POST
def notice_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a customer's answer given by phone or in person."""
    notice = get_object_or_404(RecallNotice, pk=pk)
    try:
        services.recall_answer(by=request.user, notice_id=pk, remedy=request.POST.get("remedy", ""))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("service:recall_detail", pk=notice.recall_id)


@login_required
@perm("service.view_trainingsession")
def training(request: HttpRequest) -> HttpResponse:
    """Training sessions with how many registered and came; knowledge articles and how often
    each resolved a question."""
    from django.db.models import Count, Q

    from rapport.service.models import Article, TrainingSession

    sessions = TrainingSession.objects.annotate(
        registered=Count("attendances"),
        came=Count("attendances", filter=Q(attendances__attended=True)),
    ).order_by("-starts_at")[:100]
    articles = Article.objects.prefetch_related("translations").order_by("-resolved_count", "pk")[
        :100
    ]
    return render(request, "service/training.html", {"sessions": sessions, "articles": articles})
