from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.complaints.choices import Category, Channel, Severity, Target, subtype_choices


class RecordForm(forms.Form):
    """The complaint form (step 1): who, how, against what, what they ask for."""

    customer = forms.CharField(
        label=_("Customer number"),
        max_length=20,
        required=False,
        help_text=_("For example C0000042 or 42. Leave empty for a new person (below)."),
    )
    on_behalf_of = forms.TypedChoiceField(
        label=_("On behalf of an organisation"),
        choices=[("", "—")],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("When the customer complains as a contact person of an organisation."),
    )
    new_name = forms.CharField(label=_("New person: full name"), max_length=200, required=False)
    new_email = forms.EmailField(label=_("New person: email"), required=False)
    new_phone = forms.CharField(label=_("New person: phone"), max_length=40, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    subtype = forms.ChoiceField(
        label=_("Sub-type"), choices=[("", "—"), *subtype_choices()], required=False
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.NORMAL
    )
    target = forms.ChoiceField(label=_("Against"), choices=Target.choices, initial=Target.FREE_TEXT)
    order_number = forms.CharField(label=_("Order number"), max_length=40, required=False)
    product_sku = forms.CharField(label=_("Product SKU"), max_length=64, required=False)
    batch = forms.CharField(label=_("Batch / lot"), max_length=40, required=False)
    subject_text = forms.CharField(label=_("What it is about"), max_length=200, required=False)
    visit = forms.IntegerField(
        label=_("Service visit number"),
        required=False,
        min_value=1,
        help_text=_("When the complaint is against a service visit."),
    )
    request = forms.CharField(label=_("What the customer asks for"), max_length=500, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    mail = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from rapport.customers.models import OrganisationContact
        from rapport.customers.numbers import parse_customer_number

        raw = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        pk = parse_customer_number(str(raw)) if raw else None
        if pk is not None:
            roles = OrganisationContact.objects.filter(person_id=pk).select_related("organisation")
            self.fields["on_behalf_of"].choices = [  # type: ignore[attr-defined]
                ("", "—"),
                *((r.pk, str(r.organisation)) for r in roles),
            ]

    def clean_customer(self) -> int | None:
        from rapport.customers.numbers import parse_customer_number

        raw = self.cleaned_data["customer"]
        if not raw:
            return None
        pk = parse_customer_number(raw)
        if pk is None:
            raise forms.ValidationError(_("Enter a customer number."))
        return pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("customer") and not data.get("new_name") and "customer" not in self.errors:
            self.add_error(
                "customer", _("Enter a customer number, or the name of a new person below.")
            )
        return data

    def service_fields(self) -> dict[str, Any]:
        from rapport.sales.models import Order, Product

        data = dict(self.cleaned_data)
        data.pop("mail", None)
        contact, visit = data.pop("on_behalf_of", None), data.pop("visit", None)
        for key in ("new_name", "new_email", "new_phone"):
            data.pop(key, None)
        fields: dict[str, Any] = {
            "customer_id": data.pop("customer"),
            **{k: data[k] for k in ("channel", "category", "subtype", "severity", "target")},
            **{k: data[k] for k in ("batch", "subject_text", "request", "description")},
        }
        if contact:
            fields["organisation_contact_id"] = contact
        if visit:
            fields["subject_id"] = visit
        number, sku = data.get("order_number"), data.get("product_sku")
        if number:
            order_id = Order.objects.filter(number=number).values_list("pk", flat=True).first()
            if order_id is None:
                raise forms.ValidationError({"order_number": _("No such order.")})
            fields["order_id"] = order_id
        if sku:
            product_id = Product.objects.filter(sku=sku).values_list("pk", flat=True).first()
            if product_id is None:
                raise forms.ValidationError({"product_sku": _("No such product.")})
            fields["product_id"] = product_id
        return fields
