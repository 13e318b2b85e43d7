"""Request and response bodies of the sales API: products, orders with lines, returns."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema
from pydantic import field_validator

from rapport.api.pagination import RequestBody
from rapport.api.types import Day, Moment, RecordId
from rapport.sales.choices import OrderStatus, SalesChannel
from rapport.sales.models import OrderLine

# Columns are 14 digits with 2 decimals: anything larger would fail in the database, not here.
AMOUNT_LIMIT = Decimal("1000000000000")
QUANTITY_LIMIT = Decimal("1000000000")  # an order line's quantity: 12 digits, 3 after the point
CENT = Decimal("0.01")


class KeyFiguresOut(Schema):
    """What the customer has bought so far (cancelled orders left out)."""

    total_spent: Decimal
    orders: int
    first_purchase: datetime | None
    last_purchase: datetime | None
    average_order_value: Decimal | None

    @field_validator("total_spent")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        # SQLite's SUM drops the scale (320 instead of 320.00); show money the same everywhere.
        return value.quantize(CENT)


# Products -------------------------------------------------------------------------------------


class ProductIn(RequestBody):
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    category: str = Field("", max_length=100)
    price: Decimal = Field(lt=AMOUNT_LIMIT)
    unit_cost: Decimal = Field(Decimal("0"), lt=AMOUNT_LIMIT)
    active: bool = True


class ProductPatch(RequestBody):
    version: int = Field(description="The version you read; a newer one on the server gives 409.")
    sku: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=100)
    price: Decimal | None = Field(None, lt=AMOUNT_LIMIT)
    unit_cost: Decimal | None = Field(None, lt=AMOUNT_LIMIT)
    active: bool | None = None


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    price: Decimal
    unit_cost: Decimal
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ProductFilters(Schema):
    q: str | None = Field(None, description="SKU prefix or part of the name.")
    category: str | None = None
    active: bool | None = None


# Orders and returns ---------------------------------------------------------------------------


class OrderLineIn(RequestBody):
    product_id: int
    quantity: Decimal = Field(Decimal("1"), gt=0, lt=QUANTITY_LIMIT, decimal_places=3)
    unit_price: Decimal | None = Field(None, lt=AMOUNT_LIMIT, description="Defaults to the price.")
    discount: Decimal | None = Field(None, lt=AMOUNT_LIMIT, description="An amount off the line.")
    batch: str = Field("", max_length=40, description="The production batch or lot, if tracked.")


class OrderIn(RequestBody):
    customer_id: int
    organisation_id: int | None = Field(
        None, description="The organisation the customer bought for."
    )
    lines: list[OrderLineIn]
    ordered_at: Moment | None = Field(None, description="Defaults to now.")
    number: str = Field("", max_length=40, description="Generated when left empty.")
    status: OrderStatus = OrderStatus.PAID
    channel: SalesChannel | None = None
    promotion_code: str = Field("", max_length=40)
    currency: str = Field("", max_length=3, description="Defaults to the system currency.")
    notes: str = ""


class ReturnIn(RequestBody):
    order_line_id: int
    quantity: Decimal = Field(gt=0, lt=QUANTITY_LIMIT, decimal_places=3)
    refund_amount: Decimal | None = Field(
        None, lt=AMOUNT_LIMIT, description="Defaults to the line's price for that quantity."
    )
    reason: str = Field("", max_length=200)
    returned_at: Moment | None = Field(None, description="Defaults to now.")


class ReturnOut(Schema):
    id: int
    order_line_id: int
    returned_at: datetime
    quantity: Decimal
    refund_amount: Decimal
    reason: str


class OrderLineOut(Schema):
    id: int
    product_id: int
    sku: str
    product_name: str
    batch: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    line_total: Decimal
    returns: list[ReturnOut]

    @staticmethod
    def resolve_sku(obj: OrderLine) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_product_name(obj: OrderLine) -> str:
        return obj.product.name


class OrderCustomerOut(Schema):
    id: int
    number: str
    display_name: str


class OrderOut(Schema):
    id: int
    number: str
    customer: OrderCustomerOut
    organisation_id: int | None
    ordered_at: datetime
    status: str
    channel: str
    promotion_code: str
    currency: str
    total: Decimal
    cost: Decimal
    notes: str
    version: int
    lines: list[OrderLineOut]


class OrderFilters(Schema):
    customer: RecordId | None = Field(None, description="Customer id.")
    organisation: RecordId | None = Field(None, description="Organisation id.")
    ordered_from: Day | None = Field(None, description="First day, inclusive.")
    ordered_to: Day | None = Field(None, description="Last day, inclusive.")
    promotion_code: str | None = None
    status: OrderStatus | None = None


class ReturnFilters(Schema):
    customer: RecordId | None = Field(None, description="Customer id.")
    order: RecordId | None = Field(None, description="Order id.")


# Exchange rates ---------------------------------------------------------------------------------


class ExchangeRateIn(RequestBody):
    day: date
    from_currency: str = Field(max_length=3, description="Three-letter code, e.g. USD.")
    to_currency: str = Field(max_length=3, description="Usually the organisation's currency.")
    rate: Decimal = Field(gt=0, description="1 from_currency = rate to_currency.")


class ExchangeRatesIn(RequestBody):
    rates: list[ExchangeRateIn] = Field(description="Saved all together, or none on any error.")


class ExchangeRateOut(Schema):
    id: int
    day: date
    from_currency: str
    to_currency: str
    rate: Decimal
    entered_by: str | None = None
    entered_at: datetime

    @staticmethod
    def resolve_entered_by(obj) -> str | None:  # noqa: ANN001 - a model instance
        return obj.entered_by.get_username() if obj.entered_by else None


class ExchangeRateFilters(Schema):
    currency: str = Field("", description="Only rates from this currency.")
