"""The deal history: products, orders with lines, and returns."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from rapport.core.fields import MoneyField
from rapport.core.models import TimeStampedModel, VersionedModel
from rapport.core.relations import Erase, Export, Repoint, customer_relation
from rapport.sales.choices import OrderStatus, SalesChannel


class Product(VersionedModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    price = MoneyField(_("price"))
    unit_cost = MoneyField(_("unit cost"), default=Decimal("0"))
    active = models.BooleanField(_("active"), default=True)
    # Bought again and again (tea, ink, filters): recommendations may offer it to its buyers again;
    # other products are never recommended to a customer who already has them.
    consumable = models.BooleanField(
        _("consumable (bought again)"), default=False, db_default=False
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("sales:product_detail", args=[self.pk])


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "number", "ordered_at", "status", "channel", "currency", "total", label=_("orders")
    ),
    # Orders and their amounts stay for the accounts (the customer row is anonymised); the notes,
    # free text about the person, go.
    erase=Erase.redacting(notes=""),
)
class Order(VersionedModel):
    number = models.CharField(_("order number"), max_length=40, unique=True)
    # On PostgreSQL an index (id) INCLUDE (customer, organisation, status, ordered_at) serves
    # recalls and routine maintenance from order lines (migration 0007, not in the state).
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,  # served by order_customer_time_idx
    )
    organisation = models.ForeignKey(
        "customers.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    ordered_at = models.DateTimeField(_("ordered at"))
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.PAID
    )
    channel = models.CharField(
        _("channel"), max_length=12, choices=SalesChannel.choices, blank=True
    )
    promotion_code = models.CharField(_("promotion code"), max_length=40, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    # Sum of the lines, kept by the services: the analytics read totals without touching lines.
    total = MoneyField(_("total"), default=Decimal("0"))
    cost = MoneyField(_("cost"), default=Decimal("0"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["customer", "ordered_at"], name="order_customer_time_idx"),
            models.Index(fields=["ordered_at"], name="order_time_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("sales:order_detail", args=[self.pk])


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # served by orderline_product_batch_ord
    )
    # The production batch or lot, where the business tracks it: recalls and complaints name it.
    batch = models.CharField(_("batch / lot"), max_length=40, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = MoneyField(_("unit price"))
    discount = MoneyField(_("discount"), default=Decimal("0"))
    line_total = MoneyField(_("line total"))
    unit_cost = MoneyField(_("unit cost"), default=Decimal("0"))  # cost at sale time

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        indexes = [
            # Who bought product P (of batch B): complaints, notices and recalls, read from the
            # index alone (on PostgreSQL the order is an INCLUDE column: migration 0006).
            models.Index(fields=["product", "batch", "order"], name="orderline_product_batch_ord")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class Return(TimeStampedModel):
    order_line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.CASCADE, related_name="returns"
    )
    returned_at = models.DateTimeField(_("returned at"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    refund_amount = MoneyField(_("refund"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line_id}"


class ExchangeRate(models.Model):
    """How much one unit of `from_currency` is worth in `to_currency` on `day`, entered by hand
    or imported. The analytics convert orders in other currencies with the latest rate on or
    before the order's day (docs/analytics.md, "Currencies")."""

    day = models.DateField(_("day"))
    from_currency = models.CharField(_("from currency"), max_length=3)
    to_currency = models.CharField(_("to currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=10)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(
                fields=["from_currency", "to_currency", "day"], name="exchange_rate_unique_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.day} 1 {self.from_currency} = {self.rate} {self.to_currency}"
