"""Duplicate customers: find them, compare two records side by side, merge them into one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.exceptions import ConflictError
from rapport.customers import services
from rapport.customers.duplicates import duplicate_candidates, duplicate_groups
from rapport.customers.models import Customer, CustomerMerge

MERGE_PERMISSION = "customers.merge_customer"


def _display(customer: Customer, name: str) -> str:
    if name == "referred_by_id":
        return str(customer.referred_by) if customer.referred_by_id else ""
    value = getattr(customer, name)
    field = Customer._meta.get_field(name)
    if field.choices and value:
        return str(getattr(customer, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)


def _comparison(survivor: Customer, other: Customer) -> list[dict]:
    rows = []
    for name in services.MERGE_CHOICE_FIELDS:
        mine, theirs = _display(survivor, name), _display(other, name)
        if not mine and not theirs:
            continue
        field = Customer._meta.get_field(name.removesuffix("_id"))
        rows.append(
            {
                "name": name,
                "label": field.verbose_name,
                "mine": mine,
                "theirs": theirs,
                # The user picks only where both records hold different values.
                "choose": bool(mine and theirs and mine != theirs),
                "result": "theirs" if not mine else "mine",
            }
        )
    for name in services.MERGE_TEXT_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        if mine or theirs:
            label = Customer._meta.get_field(name).verbose_name
            rows.append(
                {"name": name, "label": label, "mine": mine, "theirs": theirs, "joined": True}
            )
    return rows


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
def duplicate_list(request: HttpRequest) -> HttpResponse:
    by = "email" if request.GET.get("by") == "email" else "phone"
    groups, next_after = duplicate_groups(by=by, after=request.GET.get("after") or None)
    return render(
        request,
        "customers/duplicates.html",
        {"groups": groups, "by": by, "next_after": next_after},
    )


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_duplicates(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.prefetch_related("phones", "emails"), pk=pk)
    return render(
        request,
        "customers/customer_duplicates.html",
        {"customer": customer, "candidates": duplicate_candidates(customer)},
    )


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
def customer_merge(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    related = ("phones", "emails", "addresses", "tags")
    survivor = get_object_or_404(
        Customer.objects.select_related("referred_by").prefetch_related(*related), pk=pk
    )
    other = get_object_or_404(
        Customer.objects.select_related("referred_by").prefetch_related(*related), pk=other_pk
    )
    if request.method == "POST":
        take = [
            name
            for name in services.MERGE_CHOICE_FIELDS
            if request.POST.get(f"field_{name}") == "theirs"
        ]
        try:
            result = services.customer_merge(
                survivor_id=survivor.pk,
                other_id=other.pk,
                by=request.user,
                survivor_version=_int(request.POST.get("survivor_version")),
                other_version=_int(request.POST.get("other_version")),
                take_from_other=take,
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return redirect("customers:merge", pk=pk, other_pk=other_pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("customers:merge", pk=pk, other_pk=other_pk)
        except Customer.DoesNotExist as exc:  # the other side merged or deleted them meanwhile
            messages.error(request, str(exc))
            return redirect("customers:list")
        messages.success(
            request,
            _(
                "%(other)s was merged into %(name)s. Nothing was lost: its history is here too "
                "(%(moved)s)."
            )
            % {
                "other": other.number,
                "name": result.customer.display_name,
                "moved": result.summary(),
            },
        )
        return redirect(result.customer)
    return render(
        request,
        "customers/merge.html",
        {"survivor": survivor, "other": other, "rows": _comparison(survivor, other)},
    )


def _int(value: str | None) -> int | None:
    """The version the form was rendered with; a missing one is a conflict, not a free pass."""
    try:
        return int(value or "")
    except ValueError:
        return -1


def merged_redirect(pk: int) -> CustomerMerge | None:
    """Where a merged-away customer's number now lives (old links, bookmarks)."""
    return CustomerMerge.objects.filter(merged_id=pk, undone_at=None).select_related("into").first()


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
@require_POST
def merge_undo(request: HttpRequest, merge_pk: int) -> HttpResponse:
    """Undo a merge: both records as they were, later changes to the kept one kept and named."""
    merge = get_object_or_404(CustomerMerge, pk=merge_pk)
    try:
        result = services.customer_merge_undo(merge_id=merge.pk, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(merge.into)
    messages.success(
        request,
        _("The merge was undone: %(number)s is a record of its own again.")
        % {"number": result.restored.number},
    )
    if result.kept_changes:
        messages.warning(
            request,
            _("Changed on the kept record since the merge, so left as they are now: %(fields)s.")
            % {"fields": ", ".join(result.kept_changes)},
        )
    return redirect(result.restored)
