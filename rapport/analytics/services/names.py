"""The SQL names of the tables the refresh reads, as the owning apps' models define them, and
which orders count as purchases, as the sales app defines it — never literals here (issue 8).

    n = sql_names()
    f"SELECT o.{n.order_total} FROM {n.order} o WHERE o.{n.order_status} IN ({n.counted})"

with `counted_statuses()` bound as the parameters of `{n.counted}`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Model


@dataclass(frozen=True)
class SqlNames:
    """Quoted table and column names (`connection.ops.quote_name`)."""

    order: str
    order_id: str
    order_customer: str
    ordered_at: str
    order_status: str
    order_total: str
    order_cost: str
    promotion_code: str
    order_currency: str
    line: str
    line_id: str
    line_order: str
    line_product: str
    line_quantity: str
    return_: str
    return_line: str
    returned_at: str
    return_quantity: str
    refund_amount: str
    customer: str
    customer_id: str
    customer_since: str
    referred_by: str
    counted: str  # one placeholder per counted status: "%s, %s, %s"


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[Model], field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def counted_statuses() -> list[str]:
    """The order statuses that are purchases (rapport.sales.choices.COUNTED_STATUSES), as query
    parameters."""
    from rapport.sales.choices import COUNTED_STATUSES

    return [str(s) for s in COUNTED_STATUSES]


def sql_names() -> SqlNames:
    from rapport.customers.models import Customer
    from rapport.sales.models import Order, OrderLine, Return

    return SqlNames(
        order=_table(Order),
        order_id=_column(Order, "id"),
        order_customer=_column(Order, "customer"),
        ordered_at=_column(Order, "ordered_at"),
        order_status=_column(Order, "status"),
        order_total=_column(Order, "total"),
        order_cost=_column(Order, "cost"),
        promotion_code=_column(Order, "promotion_code"),
        order_currency=_column(Order, "currency"),
        line=_table(OrderLine),
        line_id=_column(OrderLine, "id"),
        line_order=_column(OrderLine, "order"),
        line_product=_column(OrderLine, "product"),
        line_quantity=_column(OrderLine, "quantity"),
        return_=_table(Return),
        return_line=_column(Return, "order_line"),
        returned_at=_column(Return, "returned_at"),
        return_quantity=_column(Return, "quantity"),
        refund_amount=_column(Return, "refund_amount"),
        customer=_table(Customer),
        customer_id=_column(Customer, "id"),
        customer_since=_column(Customer, "customer_since"),
        referred_by=_column(Customer, "referred_by"),
        counted=", ".join(["%s"] * len(counted_statuses())),
    )
