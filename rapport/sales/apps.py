from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "rapport.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from rapport.core import timeline
        from rapport.sales.models import Order
        from rapport.sales.selectors import order_timeline

        timeline.register("order", order_timeline, covers=(Order,))
