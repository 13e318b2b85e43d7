"""Complaint pages: the queues, recording a complaint, one complaint with only the steps the
user may take, and the export of a queue."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.complaints import rules, selectors, services
from rapport.complaints.choices import (
    Action,
    Category,
    Channel,
    RemedyKind,
    State,
)
from rapport.complaints.forms import RecordForm
from rapport.complaints.models import Cause, Complaint
from rapport.core.exceptions import ConflictError
from rapport.core.forms import add_service_errors
from rapport.core.pagination import keyset_page

EXPORT_LIMIT = 100_000


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


def _filters(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "") for k in selectors.FILTERS}


@login_required
@perm("complaints.view_complaint")
def queue(request: HttpRequest) -> HttpResponse:
    """A queue of complaints, most urgent deadline first, keyset-paged."""
    from rapport.staff.models import Department

    tab = request.GET.get("tab", "all")
    tab = tab if tab in selectors.TABS else "all"
    filters = _filters(request)
    qs = selectors.queue(request.user, tab, filters)
    export = request.GET.get("export", "")
    if export in ("csv", "xlsx"):
        return _export(qs, export)
    page = selectors.queue_page(
        request.user, tab, filters, cursor=request.GET.get("cursor"), size=50
    )
    context = {
        "page": page,
        "tab": tab,
        "tabs": selectors.tab_labels(),
        "filters": filters,
        "states": State.choices,
        "categories": Category.choices,
        "channels": Channel.choices,
        "departments": list(Department.objects.filter(active=True)),
        "causes": list(Cause.objects.filter(active=True)),
        "now": timezone.now(),
    }
    template = "complaints/_queue_table.html" if request.htmx else "complaints/queue.html"
    return render(request, template, context)


EXPORT_COLUMNS = (
    "reference",
    "received_at",
    "customer",
    "channel",
    "category",
    "subtype",
    "state",
    "department",
    "cause",
    "product",
    "batch",
    "due_at",
    "severity",
)


def _export_rows(qs) -> Any:  # noqa: ANN001
    values = qs.order_by("due_at", "id").values_list(
        "reference",
        "received_at",
        "customer_id",
        "channel",
        "category",
        "subtype",
        "state",
        "department__code",
        "cause__code",
        "product__sku",
        "batch",
        "due_at",
        "severity",
    )[:EXPORT_LIMIT]
    for row in values.iterator(chunk_size=2000):
        out = list(row)
        out[1] = out[1].isoformat() if out[1] else ""
        out[11] = out[11].isoformat() if out[11] else ""
        out[2] = f"C{out[2]:07d}"
        yield ["" if v is None else v for v in out]


def _export(qs, kind: str) -> HttpResponse:  # noqa: ANN001
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if kind == "csv":

        class Echo:
            def write(self, value: str) -> str:
                return value

        writer = csv.writer(Echo())
        rows = (writer.writerow(r) for r in [list(EXPORT_COLUMNS), *_export_rows(qs)])
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="complaints-{stamp}.csv"'
        return response
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("complaints")
    sheet.append(list(EXPORT_COLUMNS))
    for row in _export_rows(qs):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="complaints-{stamp}.xlsx"'
    return response


@login_required
@perm("complaints.add_complaint")
def record(request: HttpRequest) -> HttpResponse:
    """Record a complaint (step 1): from the customer page (?customer=…) or a queue."""
    from rapport.complaints.suggest import suggestion

    if request.method == "POST":
        form = RecordForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    fields = form.service_fields()
                    if fields["customer_id"] is None:
                        fields["customer_id"] = _new_person(request, form.cleaned_data)
                    complaint = services.complaint_record(by=request.user, **fields)
                mail = _draft(form.cleaned_data.get("mail"))
                if mail is not None:
                    type(mail).objects.filter(pk=mail.pk).update(handled=True, complaint=complaint)
                    # the files that came with the mail go to the complaint recorded from it
                    mail.attachments.filter(complaint__isnull=True).update(complaint=complaint)
            except ValidationError as exc:
                add_service_errors(form, exc, {"customer_id": "customer"})
            else:
                messages.success(
                    request,
                    _("Complaint %(reference)s recorded; the customer has been told.")
                    % {"reference": complaint.reference},
                )
                return redirect("complaints:detail", complaint.pk)
    else:
        initial = {}
        if request.GET.get("customer"):
            initial["customer"] = request.GET["customer"]
        mail = _draft(request.GET.get("mail"))
        if mail is not None:
            initial.update(
                channel="email",
                description=mail.body or mail.subject,
                customer=mail.customer_id or "",
                new_email="" if mail.customer_id else mail.from_address,
                mail=mail.pk,
            )
        form = RecordForm(initial=initial)
    return render(request, "complaints/record.html", {"form": form, "suggest": suggestion})


def _new_person(request: HttpRequest, data: dict[str, Any]) -> int:
    """The complainant created on the spot (needs the right to add customers)."""
    from rapport.customers.services import customer_create

    if not request.user.has_perm("customers.add_customer"):
        raise ValidationError({"customer": [_("You may not add customers; enter a number.")]})
    name = data["new_name"].strip()
    given, _sep, family = name.partition(" ")  # "Anna Nováková": given name first
    if not family:  # "王小明": one word, kept whole as the family-first name
        family, given = name, ""
    return customer_create(
        by=request.user,
        family_name=family,
        given_name=given,
        emails=[data["new_email"]] if data.get("new_email") else [],
        phones=[data["new_phone"]] if data.get("new_phone") else [],
    ).pk


def _draft(value: Any) -> Any:
    from rapport.complaints.models import InboundMail

    try:
        return InboundMail.objects.filter(pk=int(value), handled=False).first()
    except (TypeError, ValueError):
        return None


@login_required
@perm("complaints.add_complaint")
def inbox(request: HttpRequest) -> HttpResponse:
    """Incoming mail that opened no complaint: unknown senders, no reference."""
    from rapport.complaints.models import InboundMail

    page = keyset_page(
        InboundMail.objects.filter(handled=False),
        ordering=["-received_at", "-id"],
        cursor=request.GET.get("cursor"),
        size=50,
    )
    return render(request, "complaints/inbox.html", {"page": page})


@login_required
@perm("complaints.view_complaint")
def suggest(request: HttpRequest) -> HttpResponse:
    """htmx: the suggested category and department for the description typed so far."""
    from rapport.complaints.suggest import suggestion

    text = request.GET.get("description", "")[:2000]
    return render(request, "complaints/_suggestion.html", {"s": suggestion(text)})


def _get(request: HttpRequest, pk: int) -> Complaint:
    try:
        return selectors.complaint_for(request.user, pk)
    except Complaint.DoesNotExist:
        raise Http404 from None


@login_required
@perm("complaints.view_complaint")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One complaint: its form, the steps this user may take now, and its own timeline."""
    from rapport.staff.models import Department

    complaint = _get(request, pk)
    remedy = selectors.latest_remedy(complaint)
    can_change = request.user.has_perm("complaints.change_complaint")
    actions = rules.allowed_actions(complaint, request.user, remedy=remedy) if can_change else []
    context = {
        "complaint": complaint,
        "remedy": remedy,
        "remedies": list(complaint.remedies.prefetch_related("approvals__approved_by")),
        "events": selectors.complaint_events(complaint),
        "actions": [(a, Action(a).label) for a in actions],
        "departments": list(Department.objects.filter(active=True)),
        "causes": list(Cause.objects.filter(active=True)),
        "remedy_kinds": RemedyKind.choices,
        "attachments": list(complaint.attachments.order_by("pk")),
        "routed_to": complaint.department_id or services._default_department_id(complaint.category),
        "now": timezone.now(),
        "subject_url": _subject_url(complaint),
    }
    return render(request, "complaints/detail.html", context)


def _subject_url(complaint: Complaint) -> str:
    """The link to the record of another app the complaint is against (a service visit)."""
    from rapport.core.registry import linkable_record

    kind = linkable_record(complaint.target) if complaint.subject_id else None
    found = kind.describe(complaint.subject_id, complaint.customer_id) if kind else None
    return found[1] if found else ""


@login_required
@perm("complaints.change_complaint")
@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one step; what the table refuses is refused here with its reason."""
    complaint = _get(request, pk)
    post = request.POST

    def num(name: str) -> int | None:
        try:
            return int(post.get(name, ""))
        except ValueError:
            return None

    try:
        services.complaint_act(
            by=request.user,
            complaint_id=complaint.pk,
            action=post.get("action", ""),
            expected_version=num("version"),
            reason=post.get("reason", ""),
            department_id=num("department"),
            cause_id=num("cause"),
            cause_note=post.get("cause_note", ""),
            responsible=post.get("responsible", ""),
            kind=post.get("kind", ""),
            amount=post.get("amount") or 0,
            currency=post.get("currency", ""),
            description=post.get("description", ""),
            penalty=post.get("penalty", ""),
            summary=post.get("summary", ""),
            lesson=post.get("lesson", ""),
        )
    except ConflictError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Step saved."))
    return redirect("complaints:detail", complaint.pk)


@login_required
@perm("complaints.view_complaint_report")
def dashboard(request: HttpRequest) -> HttpResponse:
    """The Pareto chart, handling figures, complaints per 1,000 units, repurchase and common
    problems from the summary the schedule refreshes (rapport.complaints.summary), with the time
    it was computed; remedy costs and satisfaction (small tables) live."""
    from rapport.complaints import reports
    from rapport.complaints.summary import summary_tables

    by = request.GET.get("by", "cause")
    by = by if by in reports.PARETO_BY else "cause"
    tables, summary = summary_tables()
    rows = tables["pareto"][by]
    if request.GET.get("export") == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([by, "count", "share_percent", "cumulative_percent"])
        for r in rows:
            writer.writerow([r["label"], r["count"], r["share"], r["cumulative"]])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="complaints-pareto-{by}.csv"'
        return response
    groups = {
        "solved": _("Complaint solved"),
        "not_solved": _("Complaint not solved"),
        "never": _("Never complained"),
    }
    context = {
        "by": by,
        "by_choices": [
            ("cause", _("Cause")),
            ("category", _("Category")),
            ("product", _("Product")),
            ("department", _("Department")),
        ],
        "pareto": rows,
        "charts": {
            "pareto": reports.pareto_chart(rows, _("Complaints"), _("Cumulative share (%)"))
        },
        "figures": tables["figures"],
        "per_thousand": tables["per_thousand"],
        "costs": reports.remedy_costs(),
        "cause_costs": reports.remedy_costs_by_cause(),
        "satisfaction": reports.satisfaction(),
        "repurchase": [dict(r, label=groups[r["group"]]) for r in tables["repurchase"]],
        "common": tables["common"],
        "summary": summary,
        "can_notify": request.user.has_perm("complaints.approve_complaint"),
    }
    return render(request, "complaints/dashboard.html", context)


@login_required
@perm("complaints.view_complaint_report")
@require_POST
def dashboard_refresh(request: HttpRequest) -> HttpResponse:
    """Ask the task worker to recompute the dashboard's summary now."""
    from rapport.complaints.tasks import refresh_dashboard_summary

    refresh_dashboard_summary.enqueue()
    messages.success(
        request, _("The figures are being recomputed; reload the page in a minute to see them.")
    )
    return redirect("complaints:dashboard")


@login_required
@perm("complaints.approve_complaint")
@require_POST
def notice(request: HttpRequest) -> HttpResponse:
    """Send a notice about a common problem to every buyer of the product (or batch)."""
    from rapport.complaints.notices import notice_send

    try:
        product_id = int(request.POST.get("product", ""))
    except ValueError:
        raise Http404 from None
    subject = request.POST.get("subject", "").strip()[:200]
    body = request.POST.get("body", "").strip()
    if not subject or not body:
        messages.error(request, _("Write a subject and a text for the notice."))
    else:
        n = notice_send(
            by=request.user,
            product_id=product_id,
            batch=request.POST.get("batch", ""),
            subject=subject,
            body=body,
        )
        messages.success(request, _("Notice sent to %(count)s buyers.") % {"count": n})
    return redirect("complaints:dashboard")


@login_required
@perm("complaints.change_complaint")
@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    from rapport.complaints.attachments import attachment_add

    complaint = _get(request, pk)
    try:
        attachment_add(by=request.user, complaint=complaint, upload=request.FILES.get("file"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("File attached."))
    return redirect("complaints:detail", complaint.pk)


@login_required
@perm("complaints.view_complaint")
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """The file, to someone who may see the complaint (never a public URL)."""
    from django.http import FileResponse

    complaint = _get(request, pk)
    found = complaint.attachments.filter(pk=attachment_id).first()
    if found is None:
        raise Http404
    return FileResponse(
        found.file.open("rb"),
        as_attachment=not found.content_type.startswith("image/"),
        filename=found.name,
        content_type=found.content_type,
    )
