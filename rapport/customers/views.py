"""Customer and organisation pages. Each view checks a permission and calls services/selectors."""

from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.exceptions import ConflictError
from rapport.core.forms import add_service_errors, require_version, text_checked_by_form
from rapport.core.models import ObjectChange
from rapport.core.privacy import personal_data_read
from rapport.core.registry import customer_filters
from rapport.core.selectors import change_title, conflict_context, labelled_changes
from rapport.core.timeline import customer_timeline
from rapport.customers import selectors, services
from rapport.customers.choices import CustomerSource, Gender, Language
from rapport.customers.forms import ConsentForm, ContactForm, CustomerForm, OrganisationForm
from rapport.customers.models import Customer, Organisation, OrganisationContact, Tag
from rapport.customers.panels import render_panels
from rapport.customers.search import search_customers

ALIASES = {"referred_by_id": "referred_by", "addresses": "address"}
LIST_FILTERS = ("tag", "source", "gender", "preferred_language", "income_band")


def list_filters(request: HttpRequest) -> dict[str, str]:
    """The list's filters from the query string: the customer file's own, and those other apps
    registered that the user may use."""
    names = (*LIST_FILTERS, *(f.name for f in customer_filters(request.user)))
    return {k: request.GET[k] for k in names if request.GET.get(k)}


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


@login_required
@perm("customers.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    filters = list_filters(request)
    sort = request.GET.get("sort", "newest")
    cursor = request.GET.get("cursor")
    if query:
        customers, next_cursor = search_customers(query, limit=50), None
        prefetch_related_objects(customers, "tags", "consents")
    else:
        page = selectors.customer_list(filters=filters, sort=sort, cursor=cursor)
        customers, next_cursor = page.items, page.next_cursor
    # Many customers' data on one page: logged like an export (who, when, which filter, how many),
    # in one insert. The search words are not logged: they name people.
    personal_data_read(
        by=request.user,
        kind="web_list",
        count=len(customers),
        filters={**filters, "sort": sort, "page": bool(cursor), "search": bool(query)},
    )
    context = {
        "customers": customers,
        "next_cursor": next_cursor,
        "query": query,
        "filters": filters,
        "sort": sort,
        "tags": Tag.objects.all(),
        "sources": CustomerSource.choices,
        "genders": Gender.choices,
        "languages": Language.choices,
        "extra_filters": [
            (f, f.choices() if f.choices else []) for f in customer_filters(request.user)
        ],
    }
    template = "customers/_results.html" if request.htmx else "customers/list.html"
    return render(request, template, context)


@login_required
@perm("customers.view_customer")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        customer = selectors.customer_detail(customer_id=pk)
    except Customer.DoesNotExist:
        from rapport.customers.views_merge import merged_redirect

        if merge := merged_redirect(pk):  # merged into another record: its page lives there now
            return redirect(merge.into, permanent=True)
        raise Http404 from None
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "panels": render_panels(request, customer),
            "timeline": customer_timeline(
                pk, limit=50, with_changes=request.user.has_perm("core.view_objectchange")
            ),
            "consent_form": blank_consent_form(get_language()),
        },
    )


@lru_cache(maxsize=16)
def blank_consent_form(language: str) -> str:
    """The empty consent form, rendered once per language in each process (nothing in it
    depends on the customer or the user; rendering widgets is a large part of a page's CPU)."""
    return ConsentForm().as_div()


@text_checked_by_form
@login_required
@perm("customers.add_customer")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, ALIASES)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer})
            return redirect(customer)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "title": _("New customer"), "cancel_url": "/customers/"},
    )


@text_checked_by_form
@login_required
@perm("customers.change_customer")
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(
        Customer.objects.prefetch_related("phones", "emails", "addresses", "tags"), pk=pk
    )
    form = require_version(
        CustomerForm(request.POST or None, initial=CustomerForm.initial_for(customer))
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                customer_id=pk,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **form.service_kwargs(),
            )
        except ConflictError as exc:
            return render(
                request,
                "customers/customer_form.html",
                {
                    "form": form,
                    "title": _("Edit %(name)s") % {"name": customer},
                    "cancel_url": customer.get_absolute_url(),
                    "conflict": conflict_context(exc, Customer, request.path),
                },
                status=409,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, ALIASES)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(customer)
    return render(
        request,
        "customers/customer_form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": customer},
            "cancel_url": customer.get_absolute_url(),
        },
    )


@login_required
@perm("customers.delete_customer")
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    if request.method == "POST":
        try:
            services.customer_delete(customer_id=pk, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(customer)
        messages.success(request, _("Customer %(name)s deleted.") % {"name": customer})
        return redirect("customers:list")
    return render(request, "customers/confirm_delete.html", {"object": customer})


@login_required
@perm("core.view_objectchange")
def customer_history(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    rows = (
        ObjectChange.objects.filter(customer_id=pk)
        .select_related("content_type")
        .order_by("-time")[:500]
    )
    changes = [(c, change_title(c), labelled_changes(c)) for c in rows]
    return render(request, "customers/history.html", {"customer": customer, "changes": changes})


@login_required
@perm("customers.change_customer")
@require_POST
def consent_set(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.consent_set(customer=customer, by=request.user, **form.cleaned_data)
        messages.success(request, _("Consent recorded."))
    else:
        messages.error(request, _("Choose a channel, the answer and how it was given."))
    return redirect(customer)


# Organisations ----------------------------------------------------------------------------


@login_required
@perm("customers.view_organisation")
def organisation_list(request: HttpRequest) -> HttpResponse:
    page = selectors.organisation_list(
        query=request.GET.get("q", ""), cursor=request.GET.get("cursor")
    )
    return render(
        request,
        "customers/organisation_list.html",
        {"page": page, "query": request.GET.get("q", "")},
    )


@login_required
@perm("customers.view_organisation")
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        org = selectors.organisation_detail(organisation_id=pk)
    except Organisation.DoesNotExist:
        raise Http404 from None
    return render(
        request, "customers/organisation_detail.html", {"org": org, "contact_form": ContactForm()}
    )


@text_checked_by_form
@login_required
@perm("customers.add_organisation")
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            org = services.organisation_create(by=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(org)
    return render(request, "form.html", {"form": form, "title": _("New organisation")})


@text_checked_by_form
@login_required
@perm("customers.change_organisation")
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organisation, pk=pk)
    initial = {f: getattr(org, f) for f in OrganisationForm.base_fields if f != "version"} | {
        "version": org.version
    }
    form = require_version(OrganisationForm(request.POST or None, initial=initial))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.organisation_update(
                organisation_id=pk,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **data,
            )
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(org)
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": org},
            "cancel_url": org.get_absolute_url(),
        },
    )


@login_required
@perm("customers.add_organisationcontact")
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organisation, pk=pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        services.contact_add(organisation=org, by=request.user, **form.cleaned_data)
        messages.success(request, _("Contact added."))
    else:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    return redirect(org)


@login_required
@perm("customers.delete_organisationcontact")
@require_POST
def contact_remove(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    # The contact must belong to the organisation the address names.
    get_object_or_404(OrganisationContact.objects.only("pk"), pk=contact_pk, organisation_id=pk)
    services.contact_remove(contact_id=contact_pk, by=request.user)
    return redirect("customers:organisation_detail", pk=pk)
