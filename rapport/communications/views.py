"""Logging a contact from the customer page, and marking a remembered detail as done."""

from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.communications import selectors, services
from rapport.communications.choices import InteractionKind
from rapport.communications.forms import InteractionForm
from rapport.communications.models import RememberedDetail
from rapport.core.forms import add_service_errors
from rapport.core.pagination import keyset_page
from rapport.customers.models import Customer


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


@login_required
@perm("communications.view_interaction")
def interaction_list(request: HttpRequest) -> HttpResponse:
    """The communication log: every contact with a customer, newest first."""
    kind = request.GET.get("kind", "")
    kind = kind if kind in InteractionKind.values else ""
    mine = request.GET.get("mine") == "1"
    page = keyset_page(
        selectors.interaction_log(kind=kind, mine_only_for=request.user.pk if mine else None),
        ordering=["-occurred_at", "-id"],
        cursor=request.GET.get("cursor"),
        size=50,
    )
    rows = [(i, selectors.interaction_title(i.kind, i.direction)) for i in page.items]
    return render(
        request,
        "communications/interaction_list.html",
        {"page": page, "rows": rows, "kind": kind, "kinds": InteractionKind.choices, "mine": mine},
    )


@lru_cache(maxsize=16)
def blank_interaction_form(language: str) -> str:
    """The empty interaction form, rendered once per language in each process: nothing in it
    depends on the customer or the user (the CSRF token and the action URL stay in the page), and
    rendering its widgets was a large part of the customer page's CPU time."""
    return render_to_string("communications/_interaction_fields.html", {"form": InteractionForm()})


@login_required
@perm("communications.add_interaction")
@require_POST
def interaction_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        details = (
            [{"text": d["detail"], "kind": d["detail_kind"] or "other"}] if d["detail"] else []
        )
        try:
            services.interaction_log(
                by=request.user,
                customer_id=customer.pk,
                kind=d["kind"],
                direction=d["direction"],
                subject=d["subject"],
                summary=d["summary"],
                details=details,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Interaction logged."))
            return redirect(customer)
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect(customer)


@login_required
@perm("communications.change_remembereddetail")
@require_POST
def detail_archive(request: HttpRequest, customer_pk: int, pk: int) -> HttpResponse:
    get_object_or_404(RememberedDetail, pk=pk, customer_id=customer_pk)
    services.detail_archive(by=request.user, detail_id=pk)
    return redirect("customers:detail", pk=customer_pk)
