from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "rapport.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from rapport.core import registry, timeline
        from rapport.core.choices import ChangeAction
        from rapport.sales import panels
        from rapport.sales.api_schemas import KeyFiguresOut
        from rapport.sales.models import Order
        from rapport.sales.selectors import order_timeline

        timeline.register("order", order_timeline, covers=(Order,))
        registry.register_customer_panel(
            registry.CustomerPanel(
                name="key_figures",
                template="sales/_key_figures.html",
                context=panels.key_figures_panel,
                permission="sales.view_order",
                slot="summary",
                order=10,
            )
        )
        registry.register_customer_api_section(
            registry.CustomerApiSection(
                name="key_figures",
                schema=KeyFiguresOut | None,
                resolve=panels.key_figures_section,
                description="What the customer has bought so far. Null without access to orders.",
                permission="sales.view_order",
                order=20,
            )
        )
        registry.register_change_titles(
            "sales",
            "order",
            {
                ChangeAction.CREATE: _("Order %(record)s placed"),
                ChangeAction.UPDATE: _("Order %(record)s changed"),
                ChangeAction.DELETE: _("Order %(record)s deleted"),
            },
        )
        _register_import_export(registry)
        registry.register_urls("sales/", "rapport.sales.urls")
        registry.register_api_router("rapport.sales.api:router")
        registry.register_nav(
            registry.NavItem(_("Orders"), "sales:order_list", "sales.view_order", order=30)
        )
        registry.register_nav(
            registry.NavItem(_("Products"), "sales:product_list", "sales.view_product", order=40)
        )


def _register_import_export(registry) -> None:  # noqa: ANN001
    from rapport.sales import exporting
    from rapport.sales.importing.columns import ORDER_COLUMNS, PRODUCT_COLUMNS

    for order, (kind, label, importer, view, columns, export, queryset, rows) in enumerate(
        (
            (
                "products",
                _("products"),
                "rapport.sales.importing.products:ProductImporter",
                "sales.view_product",
                PRODUCT_COLUMNS,
                exporting.PRODUCT_EXPORT,
                exporting.product_queryset,
                exporting.product_rows,
            ),
            (
                "orders",
                _("orders"),
                "rapport.sales.importing.orders:OrderImporter",
                "sales.view_order",
                ORDER_COLUMNS,
                exporting.ORDER_EXPORT,
                exporting.order_queryset,
                exporting.order_rows,
            ),
        ),
        start=10,
    ):
        registry.register_import_kind(
            registry.ImportKindSpec(
                kind=kind,
                label=label,
                importer=importer,
                targets=lambda columns=columns: columns,
                view_permission=view,
                order=order,
            )
        )
        registry.register_export_kind(
            registry.ExportKindSpec(
                kind=kind,
                label=label,
                columns=export,
                queryset=queryset,
                rows=rows,
                view_permission=view,
                order=order,
            )
        )
