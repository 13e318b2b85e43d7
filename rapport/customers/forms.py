"""Web forms: they collect input and hand it to the services, which do the validating."""

from typing import Any

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
    # The birthday as a date of the Chinese lunar calendar (instead of the Gregorian birthday).
    lunar_year = forms.IntegerField(
        label=_("Lunar year of birth"), min_value=1900, max_value=2099, required=False
    )
    lunar_month = forms.IntegerField(
        label=_("Lunar month"), min_value=1, max_value=12, required=False
    )
    lunar_day = forms.IntegerField(label=_("Lunar day"), min_value=1, max_value=30, required=False)
    lunar_leap = forms.BooleanField(label=_("Leap month"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # The form's sections: (title, fields).
    SECTIONS = (
        (
            _("Identity"),
            ("family_name", "given_name", "gender", "birthday", "celebrates_lunar_birthday"),
        ),
        (
            _("Contact"),
            ("phones", "emails", "address", "city", "preferred_language", "preferred_channel"),
        ),
        (
            _("Family and interests"),
            ("family_situation", "hobbies", "personality", "occupation", "income_band"),
        ),
        (_("Marketing"), ("customer_since", "source", "referred_by", "tags")),
        (_("Notes"), ("notes",)),
    )

    def sections(self) -> list[tuple[str, list]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def clean(self) -> dict:
        from rapport.core.calendar import solar_of_lunar

        d = super().clean() or {}
        parts = (d.get("lunar_year"), d.get("lunar_month"), d.get("lunar_day"))
        lunar_changed = {"lunar_year", "lunar_month", "lunar_day", "lunar_leap"} & set(
            self.changed_data
        )
        if lunar_changed and any(p is not None for p in parts):
            if any(p is None for p in parts):
                self.add_error(
                    "lunar_day", _("Give the lunar year, month and day, or leave all three empty.")
                )
                return d
            try:
                d["birthday"] = solar_of_lunar(*parts, bool(d.get("lunar_leap")))  # type: ignore[arg-type]
            except ValueError:
                self.add_error("lunar_day", _("The lunar calendar has no such day that year."))
                return d
            d["celebrates_lunar_birthday"] = True
        return d

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
        from rapport.core.calendar import lunar_date_of, year_known
        from rapport.core.phones import display_phone

        lunar: dict[str, Any] = {}
        if customer.celebrates_lunar_birthday and year_known(customer.birthday):
            year, month, day, leap = lunar_date_of(customer.birthday)  # type: ignore[arg-type]
            lunar = {"lunar_year": year, "lunar_month": month, "lunar_day": day, "lunar_leap": leap}
        return {
            **{f: getattr(customer, f) for f in FORM_PROFILE_FIELDS},
            **lunar,
            "phones": "\n".join(
                display_phone(p.number)
                for p in sorted(customer.phones.all(), key=lambda p: not p.is_primary)
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
