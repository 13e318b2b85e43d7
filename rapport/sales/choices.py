from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("placed")
    PAID = "paid", _("paid")
    DELIVERED = "delivered", _("delivered")
    CANCELLED = "cancelled", _("cancelled")


class SalesChannel(models.TextChoices):
    STORE = "store", _("store")
    ONLINE = "online", _("online")
    PHONE = "phone", _("phone")
    SALES_REP = "sales_rep", _("sales representative")
    OTHER = "other", pgettext_lazy("sales channel", "other")


# The order statuses that are purchases: what the analytics count as a purchase day, revenue and
# spend (docs/analytics.md, "Which orders count"). A "placed" order is not paid yet and may never
# be; a cancelled one was not bought.
COUNTED_STATUSES: tuple[str, ...] = (OrderStatus.PAID, OrderStatus.DELIVERED)
