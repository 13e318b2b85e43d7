from django.contrib import admin

from rapport.customers.models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    Organisation,
    OrganisationContact,
    Tag,
)


class PhoneInline(admin.TabularInline):
    model = CustomerPhone
    extra = 0


class EmailInline(admin.TabularInline):
    model = CustomerEmail
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("id", "display_name", "primary_phone", "primary_email", "customer_since")
    search_fields = ("=id", "=primary_phone", "=primary_email", "sort_name")
    readonly_fields = ("display_name", "version", "created_at", "updated_at")
    raw_id_fields = ("referred_by", "created_by")
    inlines = [PhoneInline, EmailInline]
    show_full_result_count = False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "industry", "city")
    search_fields = ("name",)


admin.site.register(OrganisationContact, raw_id_fields=("person", "organisation"))
admin.site.register(Tag)
