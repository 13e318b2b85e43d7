from django.contrib import admin

from rapport.sales.models import Order, OrderLine, Product


class LineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category", "price", "unit_cost", "active")
    search_fields = ("sku", "name")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "ordered_at", "status", "total")
    search_fields = ("=number",)
    raw_id_fields = ("customer", "organisation")
    inlines = [LineInline]
    show_full_result_count = False
