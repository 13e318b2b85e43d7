"""Privacy pages: a person's access export (page and file), the erasure, the read log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from rapport.core.forms import add_service_errors, text_checked_by_form
from rapport.core.pagination import keyset_page
from rapport.customers.models import Customer
from rapport.privacy import selectors, services
from rapport.privacy.choices import ReadKind
from rapport.privacy.forms import EraseForm


def _export(request: HttpRequest, pk: int) -> selectors.AccessExport:
    customer = get_object_or_404(Customer, pk=pk)
    export = selectors.person_export(customer)
    services.read_log(
        by=request.user,
        kind=ReadKind.ACCESS_EXPORT,
        count=1,
        customer_id=customer.pk,
        filters={"format": "json" if request.path.endswith(".json") else "html"},
    )
    return export


@login_required
@permission_required("privacy.export_person", raise_exception=True)
def access_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything held about the person, as a page in their language (to print or send)."""
    export = _export(request, pk)
    with translation.override(export.language):
        return render(
            request,
            "privacy/export.html",
            {
                "export": export,
                "profile_rows": [
                    (heading, text)
                    for (_name, heading), text in zip(
                        export.profile.columns, export.profile.texts[0], strict=True
                    )
                ],
            },
        )


@login_required
@permission_required("privacy.export_person", raise_exception=True)
def access_export_json(request: HttpRequest, pk: int) -> HttpResponse:
    """The same as one machine-readable JSON file."""
    export = _export(request, pk)
    response = HttpResponse(export.json_bytes(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.number}-access.json"'
    return response


@text_checked_by_form
@login_required
@permission_required("privacy.erase_customer", raise_exception=True)
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, with the reason, and erase the person's data."""
    customer = get_object_or_404(Customer, pk=pk)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_erase(
                by=request.user, customer=customer, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            messages.success(
                request,
                _("The personal data of %(number)s was erased.") % {"number": customer.number},
            )
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "privacy/erase.html",
        {"form": form, "customer": customer, "erasure": selectors.latest_erasure(customer.pk)},
    )


@login_required
@permission_required("privacy.view_personaldataread", raise_exception=True)
def reads(request: HttpRequest) -> HttpResponse:
    """Who read personal data in bulk: when, what, which filter, how many records."""
    kind = request.GET.get("kind", "")
    if kind not in ReadKind.values:
        kind = ""
    user = request.GET.get("user", "").replace("\x00", "")[:150]
    qs = selectors.read_log_queryset(kind=kind, user=user)
    try:
        page = keyset_page(
            qs, ordering=["-time", "-id"], cursor=request.GET.get("cursor"), size=100
        )
    except (ValueError, TypeError, ValidationError):  # a cursor that is not ours: the first page
        page = keyset_page(qs, ordering=["-time", "-id"], cursor=None, size=100)
    return render(
        request,
        "privacy/reads.html",
        {"page": page, "kinds": ReadKind.choices, "kind": kind, "user": user},
    )
