"""The deal history over HTTP: products, orders with their lines, returns, customer key figures.

Endpoints translate between JSON and rapport.sales.services / selectors, nothing more.
"""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from rapport.api.pagination import Paged, PageParams
from rapport.api.permissions import require
from rapport.core.pagination import keyset_page
from rapport.customers.models import Customer, Organisation
from rapport.sales import services
from rapport.sales.api_schemas import (
    ExchangeRateFilters,
    ExchangeRateIn,
    ExchangeRateOut,
    ExchangeRatesIn,
    KeyFiguresOut,
    OrderFilters,
    OrderIn,
    OrderOut,
    ProductFilters,
    ProductIn,
    ProductOut,
    ProductPatch,
    ReturnFilters,
    ReturnIn,
    ReturnOut,
)
from rapport.sales.models import ExchangeRate, Order, OrderLine, Product, Return
from rapport.sales.selectors import customer_key_figures

router = Router(tags=["sales"])


# Products -------------------------------------------------------------------------------------


@router.get("/products", response=Paged[ProductOut], summary="Products by SKU")
def product_list(request: HttpRequest, filters: Query[ProductFilters], page: Query[PageParams]):
    require(request, "sales.view_product")
    qs = Product.objects.all()
    if filters.q:
        qs = qs.filter(Q(sku__istartswith=filters.q) | Q(name__icontains=filters.q))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    return keyset_page(qs, ordering=["sku"], cursor=page.cursor, size=page.limit)


@router.post("/products", response={201: ProductOut}, summary="Add a product")
def product_create(request: HttpRequest, payload: ProductIn):
    require(request, "sales.add_product")
    return Status(201, services.product_create(by=request.user, **payload.model_dump()))


@router.get("/products/{int:product_id}", response=ProductOut, summary="One product")
def product_detail(request: HttpRequest, product_id: int):
    require(request, "sales.view_product")
    return Product.objects.get(pk=product_id)


@router.patch("/products/{int:product_id}", response=ProductOut, summary="Change a product")
def product_update(request: HttpRequest, product_id: int, payload: ProductPatch):
    require(request, "sales.change_product")
    fields = payload.model_dump(exclude_unset=True, exclude={"version"})
    return services.product_update(
        product_id=product_id, by=request.user, expected_version=payload.version, **fields
    )


# Orders ---------------------------------------------------------------------------------------


def _orders() -> QuerySet[Order]:
    lines = OrderLine.objects.select_related("product").prefetch_related("returns").order_by("id")
    return Order.objects.select_related("customer").prefetch_related(
        Prefetch("lines", queryset=lines)
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filter_orders(qs: QuerySet[Order], filters: OrderFilters) -> QuerySet[Order]:
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.organisation is not None:
        qs = qs.filter(organisation_id=filters.organisation)
    # Whole local days, as bounds on the column so the index on ordered_at serves them.
    if filters.ordered_from:
        qs = qs.filter(ordered_at__gte=_day_start(filters.ordered_from))
    if filters.ordered_to:
        qs = qs.filter(ordered_at__lt=_day_start(filters.ordered_to + timedelta(days=1)))
    if filters.promotion_code:
        qs = qs.filter(promotion_code=filters.promotion_code)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


def _check_references(payload: OrderIn) -> None:
    """A reference in the body to a row that does not exist is a field error (400), not a 404."""
    errors: dict[str, list[str]] = {}
    if not Customer.objects.filter(pk=payload.customer_id).exists():
        errors["customer_id"] = [_("No such customer.")]
    org = payload.organisation_id
    if org is not None and not Organisation.objects.filter(pk=org).exists():
        errors["organisation_id"] = [_("No such organisation.")]
    if errors:
        raise ValidationError(errors)


@router.get("/orders", response=Paged[OrderOut], summary="Orders with their lines, newest first")
def order_list(request: HttpRequest, filters: Query[OrderFilters], page: Query[PageParams]):
    require(request, "sales.view_order")
    qs = _filter_orders(_orders(), filters)
    return keyset_page(qs, ordering=["-ordered_at", "-id"], cursor=page.cursor, size=page.limit)


@router.post("/orders", response={201: OrderOut}, summary="Record an order with its lines")
def order_create(request: HttpRequest, payload: OrderIn):
    require(request, "sales.add_order")
    _check_references(payload)
    fields = payload.model_dump(exclude={"lines", "channel"})
    order = services.order_create(
        by=request.user,
        **fields,
        channel=payload.channel or "",
        lines=[line.model_dump() for line in payload.lines],
    )
    return Status(201, _orders().get(pk=order.pk))


@router.get("/orders/{int:order_id}", response=OrderOut, summary="One order with lines and returns")
def order_detail(request: HttpRequest, order_id: int):
    require(request, "sales.view_order")
    return _orders().get(pk=order_id)


# Returns --------------------------------------------------------------------------------------


@router.get("/returns", response=Paged[ReturnOut], summary="Returns, newest first")
def return_list(request: HttpRequest, filters: Query[ReturnFilters], page: Query[PageParams]):
    require(request, "sales.view_return")
    qs = Return.objects.all()
    if filters.customer is not None:
        qs = qs.filter(order_line__order__customer_id=filters.customer)
    if filters.order is not None:
        qs = qs.filter(order_line__order_id=filters.order)
    return keyset_page(qs, ordering=["-returned_at", "-id"], cursor=page.cursor, size=page.limit)


@router.post(
    "/orders/{int:order_id}/returns", response={201: ReturnOut}, summary="Take back part of a line"
)
def return_create(request: HttpRequest, order_id: int, payload: ReturnIn):
    require(request, "sales.add_return")
    order = Order.objects.only("pk").get(pk=order_id)
    if not OrderLine.objects.filter(pk=payload.order_line_id, order=order).exists():
        raise ValidationError({"order_line_id": [_("This order has no such line.")]})
    return Status(201, services.return_create(by=request.user, **payload.model_dump()))


# Key figures ----------------------------------------------------------------------------------


@router.get(
    "/customers/{int:customer_id}/key-figures",
    response=KeyFiguresOut,
    summary="What the customer has bought so far",
)
def key_figures(request: HttpRequest, customer_id: int):
    require(request, "customers.view_customer", "sales.view_order")
    Customer.objects.only("pk").get(pk=customer_id)  # a missing customer is a 404, not zeros
    return customer_key_figures(customer_id=customer_id)


# Exchange rates -----------------------------------------------------------------------------------


@router.get(
    "/exchange-rates", response=Paged[ExchangeRateOut], summary="Exchange rates, newest first"
)
def exchange_rate_list(
    request: HttpRequest, filters: Query[ExchangeRateFilters], page: Query[PageParams]
):
    require(request, "sales.view_exchangerate")
    qs = ExchangeRate.objects.select_related("entered_by")
    if filters.currency:
        qs = qs.filter(from_currency=filters.currency.strip().upper())
    return keyset_page(qs, ordering=["-day", "-id"], cursor=page.cursor, size=page.limit)


@router.post(
    "/exchange-rates", response={201: ExchangeRateOut}, summary="Enter or correct one day's rate"
)
def exchange_rate_set(request: HttpRequest, payload: ExchangeRateIn):
    require(request, "sales.add_exchangerate")
    return Status(201, services.exchange_rate_set(by=request.user, **payload.model_dump()))


@router.post(
    "/exchange-rates/import",
    response={201: dict[str, int]},
    summary="Import rates: every row checked first, all saved or none",
)
def exchange_rates_import(request: HttpRequest, payload: ExchangeRatesIn):
    require(request, "sales.add_exchangerate")
    rows = [r.model_dump() for r in payload.rates]
    return Status(201, {"imported": services.exchange_rates_import(by=request.user, rows=rows)})
