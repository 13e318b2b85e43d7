from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "rapport.imports"
    label = "imports"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        from rapport.core import registry
        from rapport.imports import exports
        from rapport.imports.choices import ImportKind
        from rapport.imports.mapping import BUILTIN_TARGETS

        for order, (kind, importer, view, columns, queryset, rows) in enumerate(
            (
                (
                    ImportKind.CUSTOMERS,
                    "rapport.imports.kinds.customers:CustomerImporter",
                    "customers.view_customer",
                    exports.CUSTOMER_COLUMNS,
                    exports.customer_queryset,
                    exports.customer_rows,
                ),
                (
                    ImportKind.ORGANISATIONS,
                    "rapport.imports.kinds.organisations:OrganisationImporter",
                    "customers.view_organisation",
                    exports.ORGANISATION_COLUMNS,
                    exports.organisation_queryset,
                    exports.organisation_rows,
                ),
                (
                    ImportKind.PRODUCTS,
                    "rapport.imports.kinds.products:ProductImporter",
                    "sales.view_product",
                    exports.PRODUCT_COLUMNS,
                    exports.product_queryset,
                    exports.product_rows,
                ),
                (
                    ImportKind.ORDERS,
                    "rapport.imports.kinds.orders:OrderImporter",
                    "sales.view_order",
                    exports.ORDER_COLUMNS,
                    exports.order_queryset,
                    exports.order_rows,
                ),
            )
        ):
            registry.register_import_kind(
                registry.ImportKindSpec(
                    kind=kind.value,
                    label=kind.label,
                    importer=importer,
                    targets=lambda kind=kind: BUILTIN_TARGETS[kind],
                    view_permission=view,
                    order=order,
                )
            )
            registry.register_export_kind(
                registry.ExportKindSpec(
                    kind=kind.value,
                    label=kind.label,
                    columns=columns,
                    queryset=queryset,
                    rows=rows,
                    view_permission=view,
                    order=order,
                )
            )
        registry.register_urls("imports/", "rapport.imports.urls")
        registry.register_nav(
            registry.NavItem(_("Import"), "imports:list", "imports.import_data", order=90)
        )
