"""Web forms: they collect input and hand it to the services, which do the validating."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.core.forms import fields_from_columns
from rapport.customers.choices import (
    BuyingRole,
    Channel,
    ConsentMethod,
)
from rapport.customers.importing.columns import CUSTOMER_COLUMNS, ORGANISATION_COLUMNS
from rapport.customers.models import Customer, Organisation
from rapport.customers.numbers import parse_customer_number
from rapport.customers.validation import CUSTOMER_FIELDS

# The profile the customer form edits: every customer field but the external id (set by imports
# and integrations) and the referrer (a customer-number field of its own).
FORM_PROFILE_FIELDS = tuple(
    f for f in CUSTOMER_FIELDS if f not in ("external_id", "referred_by_id")
)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


class CustomerForm(forms.Form):
    """The customer form. Its profile fields are built from the customer columns
    (rapport.customers.importing.columns: the import's and the export's), with the model's rules,
    so a field has one name on the form, in the import and in the export."""

    phones = forms.CharField(
        label=_("Phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, in any format; the first is the main number."),
    )
    emails = forms.CharField(
        label=_("Email addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line; the first is the main address."),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    referred_by = forms.CharField(
        label=_("Referred by"),
        required=False,
        max_length=20,
        help_text=_("The customer number of the customer who referred them, e.g. C0000042."),
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    field_order = (
        "family_name",
        "given_name",
        "phones",
        "emails",
        "address",
        "city",
        "gender",
        "birthday",
        "celebrates_lunar_birthday",
        "occupation",
        "income_band",
        "family_situation",
        "hobbies",
        "personality",
        "preferred_language",
        "preferred_channel",
        "customer_since",
        "source",
        "referred_by",
        "tags",
        "notes",
    )

    def clean_referred_by(self) -> int | None:
        value = self.cleaned_data["referred_by"].strip()
        if not value:
            return None
        number = parse_customer_number(value)
        if number is None or not Customer.objects.filter(pk=number).exists():
            raise forms.ValidationError(_("No customer has this number."))
        return number

    def service_kwargs(self) -> dict:
        """The cleaned data in the shape the customer services take."""
        d = self.cleaned_data
        kwargs = {name: d[name] for name in FORM_PROFILE_FIELDS}
        kwargs["referred_by_id"] = d["referred_by"]
        kwargs["phones"] = _lines(d["phones"])
        kwargs["emails"] = _lines(d["emails"])
        kwargs["addresses"] = (
            [{"line1": d["address"], "city": d["city"]}] if d["address"] or d["city"] else []
        )
        kwargs["tags"] = [t.strip() for t in d["tags"].split(",") if t.strip()]
        if kwargs["customer_since"] is None:
            kwargs.pop("customer_since")
        return kwargs

    @classmethod
    def initial_for(cls, customer: Customer) -> dict:
        address = next(iter(customer.addresses.all()), None)
        return {
            **{f: getattr(customer, f) for f in FORM_PROFILE_FIELDS},
            "phones": "\n".join(
                p.number for p in sorted(customer.phones.all(), key=lambda p: not p.is_primary)
            ),
            "emails": "\n".join(
                e.address for e in sorted(customer.emails.all(), key=lambda e: not e.is_primary)
            ),
            "address": address.line1 if address else "",
            "city": address.city if address else "",
            "referred_by": customer.referred_by.number if customer.referred_by_id else "",
            "tags": ", ".join(t.name for t in customer.tags.all()),
            "version": customer.version,
        }


CustomerForm.base_fields.update(
    fields_from_columns(Customer, CUSTOMER_COLUMNS, FORM_PROFILE_FIELDS)
)


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    granted = forms.TypedChoiceField(
        label=_("Consent"),
        choices=[("1", _("given")), ("0", _("withdrawn"))],
        coerce=lambda v: v == "1",
    )
    method = forms.ChoiceField(label=_("How"), choices=ConsentMethod.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class OrganisationForm(forms.Form):
    """Built from the organisation columns (rapport.customers.importing.columns), like the customer
    form."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


OrganisationForm.base_fields = {
    **fields_from_columns(
        Organisation,
        ORGANISATION_COLUMNS,
        ("name", "industry", "website", "phone", "email", "tax_id", "address", "city", "notes"),
    ),
    **OrganisationForm.base_fields,
}


class ContactForm(forms.Form):
    person = forms.CharField(label=_("Person (customer number)"), max_length=20)
    buying_role = forms.ChoiceField(label=_("Role in buying"), choices=BuyingRole.choices)
    job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    is_primary = forms.BooleanField(label=_("Main contact"), required=False)

    def clean_person(self) -> Customer:
        number = parse_customer_number(self.cleaned_data["person"])
        customer = Customer.objects.filter(pk=number).first() if number else None
        if customer is None:
            raise forms.ValidationError(_("No customer has this number."))
        return customer
