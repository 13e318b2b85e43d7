from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from rapport.core.exceptions import ConflictError
from rapport.core.forms import add_service_errors, require_version
from rapport.core.pagination import keyset_page
from rapport.core.params import id_param
from rapport.customers.models import Customer
from rapport.customers.numbers import parse_customer_number
from rapport.sales import services
from rapport.sales.forms import (
    ExchangeRateForm,
    ExchangeRatesUploadForm,
    OrderForm,
    OrderLineFormSet,
    ProductForm,
)
from rapport.sales.models import ExchangeRate, Order, OrderLine, Product


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


@login_required
@perm("sales.view_product")
def product_list(request: HttpRequest) -> HttpResponse:
    qs = Product.objects.all()
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(sku__istartswith=q) | qs.filter(name__icontains=q)
    if category := request.GET.get("category"):
        qs = qs.filter(category=category)
    page = keyset_page(qs, ordering=["sku"], cursor=request.GET.get("cursor"), size=100)
    return render(request, "sales/product_list.html", {"page": page, "query": q})


@login_required
@perm("sales.view_product")
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return render(request, "sales/product_detail.html", {"product": product})


@login_required
@perm("sales.add_product")
def product_create(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            product = services.product_create(by=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(product)
    return render(request, "form.html", {"form": form, "title": _("New product")})


@login_required
@perm("sales.change_product")
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    initial = {f: getattr(product, f) for f in ProductForm.base_fields}
    form = require_version(ProductForm(request.POST or None, initial=initial))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.product_update(
                product_id=pk,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **data,
            )
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(product)
    return render(
        request, "form.html", {"form": form, "title": _("Edit %(name)s") % {"name": product}}
    )


@login_required
@perm("sales.view_order")
def order_list(request: HttpRequest) -> HttpResponse:
    qs = Order.objects.select_related("customer")
    if customer := request.GET.get("customer"):
        qs = qs.filter(customer_id=id_param(customer, "customer"))
    if code := request.GET.get("promotion_code"):
        qs = qs.filter(promotion_code=code)
    page = keyset_page(
        qs, ordering=["-ordered_at", "-id"], cursor=request.GET.get("cursor"), size=50
    )
    return render(request, "sales/order_list.html", {"page": page})


@login_required
@perm("sales.view_order")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(
        Order.objects.select_related("customer", "organisation").prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("product").prefetch_related("returns"),
            )
        ),
        pk=pk,
    )
    return render(request, "sales/order_detail.html", {"order": order})


@login_required
@perm("sales.add_order")
def order_create(request: HttpRequest) -> HttpResponse:
    form = OrderForm(request.POST or None, initial={"customer": request.GET.get("customer", "")})
    lines = OrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        d = form.cleaned_data
        skus = {ln["sku"].strip() for ln in lines.cleaned_data if ln}
        products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "id"))
        # A product typed by its whole name (not chosen from the suggestions) is found too.
        for name in skus - products.keys():
            named = list(Product.objects.filter(name__iexact=name).values_list("id", flat=True)[:2])
            if len(named) == 1:
                products[name] = named[0]
        number = _customer_typed(d["customer"])
        try:
            missing = skus - products.keys()
            if missing:
                raise ValidationError(
                    {"lines": [_("Unknown SKU: %(skus)s") % {"skus": ", ".join(sorted(missing))}]}
                )
            if number is None or not Customer.objects.filter(pk=number).exists():
                raise ValidationError({"customer": [_("Choose a customer from the suggestions.")]})
            order = services.order_create(
                by=request.user,
                customer_id=number,
                ordered_at=d["ordered_at"],
                status=d["status"],
                channel=d["channel"],
                promotion_code=d["promotion_code"],
                notes=d["notes"],
                lines=[
                    {
                        "product_id": products[ln["sku"].strip()],
                        "quantity": ln["quantity"],
                        "unit_price": ln.get("unit_price"),
                        "discount": ln.get("discount"),
                    }
                    for ln in lines.cleaned_data
                    if ln
                ],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Order %(number)s saved.") % {"number": order.number})
            return redirect(order)
    number = parse_customer_number(form["customer"].value() or "")
    chosen = Customer.objects.filter(pk=number).first() if number else None
    return render(
        request, "sales/order_form.html", {"form": form, "lines": lines, "chosen": chosen}
    )


def _customer_typed(typed: str) -> int | None:
    """The customer's id from a number ("C0000042", "42"), or from a name, phone or email that
    finds exactly one customer."""
    from rapport.customers.search import search_customer_ids

    if (number := parse_customer_number(typed)) is not None:
        return number
    found = search_customer_ids(typed, limit=2)
    return found[0] if len(found) == 1 else None


def _typed(request: HttpRequest) -> str:
    """What was typed into the field that asks (htmx sends the field under its own name)."""
    return next((v.strip() for v in request.GET.values() if v.strip()), "")[:100]


@login_required
@perm("sales.add_order")
def order_customer_options(request: HttpRequest) -> HttpResponse:
    """Suggestions for the order form's customer field: by name, number, phone or email."""
    from rapport.customers.search import search_customers

    q = _typed(request)
    found = search_customers(q, limit=10) if len(q) >= 1 else []
    options = [(c.number, f"{c.display_name} · {c.number}") for c in found]
    return render(request, "sales/_options.html", {"options": options})


@login_required
@perm("sales.add_order")
def order_product_options(request: HttpRequest) -> HttpResponse:
    """Suggestions for an order line's product: by code (SKU) or any part of the name."""
    q = _typed(request)
    found = (
        Product.objects.filter(active=True).filter(sku__istartswith=q)
        | Product.objects.filter(active=True, name__icontains=q)
        if q
        else Product.objects.none()
    )
    options = [(p.sku, f"{p.name} · {p.sku}") for p in found.order_by("sku")[:10]]
    return render(request, "sales/_options.html", {"options": options})


@login_required
@perm("sales.view_exchangerate")
def exchange_rates(request: HttpRequest) -> HttpResponse:
    """The rate table: the latest rates first, a form to enter one and an upload for a file."""
    can_add = request.user.has_perm("sales.add_exchangerate")
    form = ExchangeRateForm(
        request.POST if request.POST.get("action") == "add" else None,
        initial={"to_currency": settings.RAPPORT_CURRENCY},
    )
    upload = ExchangeRatesUploadForm(
        request.POST if request.POST.get("action") == "import" else None,
        request.FILES if request.POST.get("action") == "import" else None,
    )
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        done = (
            _rate_form_post(request, form) if form.is_bound else _rate_upload_post(request, upload)
        )
        if done:
            return redirect("sales:exchange_rates")
    qs = ExchangeRate.objects.select_related("entered_by")
    if code := request.GET.get("currency", "").strip().upper():
        qs = qs.filter(from_currency=code)
    page = keyset_page(qs, ordering=["-day", "-id"], cursor=request.GET.get("cursor"), size=50)
    context = {"page": page, "form": form, "upload": upload, "can_add": can_add, "code": code}
    return render(request, "sales/exchange_rates.html", context)


def _rate_form_post(request: HttpRequest, form: ExchangeRateForm) -> bool:
    if not form.is_valid():
        return False
    try:
        rate = services.exchange_rate_set(by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    messages.success(request, _("Saved: %(rate)s.") % {"rate": rate})
    return True


def _rate_upload_post(request: HttpRequest, upload: ExchangeRatesUploadForm) -> bool:
    if not upload.is_valid():
        return False
    try:
        rows = services.read_exchange_rates_csv(upload.cleaned_data["file"].read())
        count = services.exchange_rates_import(by=request.user, rows=rows)
    except ValidationError as exc:
        for message in [m for ms in exc.message_dict.values() for m in ms][:50]:
            upload.add_error("file", message)
        return False
    messages.success(request, _("Imported %(count)d exchange rates.") % {"count": count})
    return True
