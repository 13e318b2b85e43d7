from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from rapport.core.forms import fields_from_columns
from rapport.sales.choices import OrderStatus, SalesChannel
from rapport.sales.importing.columns import PRODUCT_COLUMNS
from rapport.sales.models import Product


class ProductForm(forms.Form):
    """Built from the product columns (rapport.sales.importing.columns): one name for a field on
    the form, in the import and in the export."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


ProductForm.base_fields = {
    **fields_from_columns(
        Product, PRODUCT_COLUMNS, ("sku", "name", "category", "price", "unit_cost", "active")
    ),
    **ProductForm.base_fields,
}
for _amount in ("price", "unit_cost"):
    ProductForm.base_fields[_amount].min_value = 0
    ProductForm.base_fields[_amount].validators.append(MinValueValidator(0))
ProductForm.base_fields["active"].initial = True


class OrderForm(forms.Form):
    customer = forms.CharField(label=_("Customer number"), max_length=20)
    ordered_at = forms.DateTimeField(
        label=_("Ordered at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=OrderStatus.choices, initial=OrderStatus.PAID
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", "—"), *SalesChannel.choices], required=False
    )
    promotion_code = forms.CharField(label=_("Promotion code"), max_length=40, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OrderLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=3, min_value=0)
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=16,
        decimal_places=2,
        required=False,
        help_text=_("Leave empty for the list price."),
    )
    discount = forms.DecimalField(
        label=_("Discount"), max_digits=16, decimal_places=2, required=False, min_value=0
    )


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=3, min_num=1, validate_min=True)


class ExchangeRateForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    from_currency = forms.CharField(label=_("From currency"), max_length=3)
    to_currency = forms.CharField(label=_("To currency"), max_length=3)
    rate = forms.CharField(label=_("Rate (1 from = rate to)"), max_length=30)


class ExchangeRatesUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file with the columns day, from, to and rate"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
