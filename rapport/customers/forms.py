"""Web forms: they collect input and hand it to the services, which do the validating."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.customers.choices import (
    BuyingRole,
    Channel,
    ConsentMethod,
    CustomerSource,
    Gender,
    IncomeBand,
    Language,
)
from rapport.customers.models import Customer
from rapport.customers.numbers import parse_customer_number
from rapport.customers.validation import CUSTOMER_FIELDS

# The profile the customer form edits: every customer field but the external id (set by imports
# and integrations) and the referrer (a customer-number field of its own).
FORM_PROFILE_FIELDS = tuple(
    f for f in CUSTOMER_FIELDS if f not in ("external_id", "referred_by_id")
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


class CustomerForm(forms.Form):
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
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
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DATE)
    celebrates_lunar_birthday = forms.BooleanField(
        label=_("Celebrates the lunar birthday"), required=False
    )
    occupation = forms.CharField(label=_("Occupation"), max_length=120, required=False)
    income_band = forms.ChoiceField(
        label=_("Income band"), choices=IncomeBand.choices, required=False
    )
    family_situation = forms.CharField(
        label=_("Family situation"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hobbies = forms.CharField(
        label=_("Hobbies"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    personality = forms.CharField(
        label=_("Personality notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices, required=False
    )
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=[("", "—"), *Channel.choices], required=False
    )
    customer_since = forms.DateField(label=_("Customer since"), required=False, widget=DATE)
    source = forms.ChoiceField(label=_("Source"), choices=CustomerSource.choices, required=False)
    referred_by = forms.CharField(
        label=_("Referred by"),
        required=False,
        max_length=20,
        help_text=_("The customer number of the customer who referred them, e.g. C0000042."),
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

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
        kwargs["addresses"] = [{"line1": d["address"], "city": d["city"]}] if d["address"] else []
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
    name = forms.CharField(label=_("Name"), max_length=200)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    website = forms.URLField(label=_("Website"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    tax_id = forms.CharField(label=_("Tax id"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


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
