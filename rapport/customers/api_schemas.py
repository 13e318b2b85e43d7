"""Request and response bodies of the customer API.

Choice fields that the services check are plain strings; the schema lists the allowed values so
the OpenAPI document shows them, and the service's translated message answers a wrong one.
Fields no service checks (address parts, organisation text lengths) are bounded here instead.
"""

from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db.models import TextChoices
from ninja import Field, Schema
from pydantic import StringConstraints, ValidationInfo, field_validator

from rapport.api.pagination import RequestBody
from rapport.api.types import Day, RecordId
from rapport.core.models import ObjectChange
from rapport.core.phones import format_phone
from rapport.core.registry import customer_api_sections, customer_filters
from rapport.customers.choices import (
    AddressKind,
    BuyingRole,
    Channel,
    ConsentMethod,
    CustomerSource,
    Gender,
    IncomeBand,
    Language,
    PhoneKind,
)
from rapport.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    Organisation,
    OrganisationContact,
)
from rapport.customers.validation import TAG_LENGTH


def choice(choices: type[TextChoices], default: Any = "", **kwargs: Any) -> Any:
    """A string field documented with its allowed values ("" means not stated)."""
    values = list(dict.fromkeys(["", *choices.values])) if default == "" else choices.values
    return Field(default, json_schema_extra={"enum": values}, **kwargs)


# Customers: input -----------------------------------------------------------------------------


class PhoneIn(RequestBody):
    number: str = Field(description="Any spelling; without a country code it is read as national.")
    kind: str = choice(PhoneKind, PhoneKind.MOBILE.value)
    is_primary: bool = False


class EmailIn(RequestBody):
    address: str
    is_primary: bool = False


class AddressIn(RequestBody):
    kind: AddressKind = AddressKind.HOME
    line1: str = Field(max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    region: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    country: str = Field("", max_length=2, description="ISO 3166 code, e.g. CN, SK.")


_TEXT = settings.RAPPORT_CUSTOMER_TEXT_LENGTH


class CustomerIn(RequestBody):
    """A new customer. Give a family name or a given name (or both)."""

    family_name: str = Field("", max_length=100)
    given_name: str = Field("", max_length=100)
    external_id: str | None = Field(
        None, max_length=100, description="The customer's id in another system."
    )
    gender: str = choice(Gender)
    birthday: Day | None = None
    celebrates_lunar_birthday: bool = False
    hobbies: str = Field("", max_length=_TEXT)
    personality: str = Field("", max_length=_TEXT)
    family_situation: str = Field("", max_length=_TEXT)
    occupation: str = Field("", max_length=120)
    income_band: str = choice(IncomeBand)
    preferred_language: str = choice(Language)
    preferred_channel: str = choice(Channel)
    customer_since: date | None = Field(None, description="Defaults to today on creation.")
    source: str = choice(CustomerSource)
    referred_by_id: RecordId | None = Field(None, description="The customer who referred this one.")
    notes: str = Field("", max_length=_TEXT)
    phones: list[PhoneIn] = Field(
        default_factory=list,
        max_length=settings.RAPPORT_CUSTOMER_MAX_PHONES,
        description='A plain string stands for {"number": string}.',
    )
    emails: list[EmailIn] = Field(
        default_factory=list,
        max_length=settings.RAPPORT_CUSTOMER_MAX_EMAILS,
        description='A plain string stands for {"address": string}.',
    )
    addresses: list[AddressIn] = Field(
        default_factory=list, max_length=settings.RAPPORT_CUSTOMER_MAX_ADDRESSES
    )
    tags: list[Annotated[str, StringConstraints(max_length=TAG_LENGTH)]] = Field(
        default_factory=list,
        max_length=settings.RAPPORT_CUSTOMER_MAX_TAGS,
        description="Existing tag names; only roles that may add tags create new ones.",
    )

    @field_validator("phones", "emails", mode="before")
    @classmethod
    def _plain_strings(cls, items: Any, info: ValidationInfo) -> Any:
        key = "number" if info.field_name == "phones" else "address"
        if isinstance(items, list):
            return [{key: item} if isinstance(item, str) else item for item in items]
        return items


class CustomerPatch(CustomerIn):
    """Only the fields you send change; phones, emails, addresses and tags are replaced whole."""

    version: int = Field(description="The version you read; a newer one on the server gives 409.")


class ConsentIn(RequestBody):
    channel: Channel
    granted: bool
    method: ConsentMethod = Field(description="How the customer said it.")
    note: str = Field("", max_length=200)
    at: datetime | None = Field(None, description="When the customer said it; defaults to now.")


class CustomerFilterFields(Schema):
    """The customer file's own list filters; other apps' filters are added by
    `customer_filters_schema()`."""

    tag: str | None = Field(None, description="Tag name.")
    source: str | None = None
    gender: str | None = None
    preferred_language: str | None = None
    income_band: str | None = None
    organisation: RecordId | None = Field(None, description="Organisation id: its contact people.")
    customer_since_from: Day | None = None
    customer_since_to: Day | None = None
    sort: Literal["newest", "added", "name"] = "newest"


@cache
def customer_filters_schema() -> type[Schema]:
    """The list's query parameters: the customer file's own filters and every registered one."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": "CustomerFilters"}
    for f in customer_filters():
        annotations[f.name] = str | None
        namespace[f.name] = Field(None, description=f.description or str(f.label))
    namespace["__annotations__"] = annotations
    return type("CustomerFilters", (CustomerFilterFields,), namespace)


class SearchParams(Schema):
    q: str = Field(description="Customer number, email, phone in any format, or part of the name.")
    limit: int = Field(20, ge=1, le=200)


class TimelineParams(Schema):
    limit: int = Field(50, ge=1, le=200)


class DeleteParams(Schema):
    version: int | None = Field(
        None, description="If given, a newer version on the server gives 409."
    )


# Customers: output ----------------------------------------------------------------------------


class CustomerRef(Schema):
    id: int
    number: str
    display_name: str


class PhoneOut(Schema):
    number: str = Field(description="E.164")
    display: str
    kind: str
    is_primary: bool

    @staticmethod
    def resolve_display(obj: CustomerPhone) -> str:
        return format_phone(obj.number)


class EmailOut(Schema):
    address: str
    is_primary: bool


class AddressOut(Schema):
    id: int
    kind: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str


class ConsentOut(Schema):
    channel: str
    granted: bool
    changed_at: datetime
    method: str
    note: str


class CustomerOrganisationOut(Schema):
    contact_id: int = Field(validation_alias="id")
    organisation_id: int
    organisation_name: str
    buying_role: str
    job_title: str
    is_primary: bool

    @staticmethod
    def resolve_organisation_name(obj: OrganisationContact) -> str:
        return obj.organisation.name


class CustomerListItem(Schema):
    id: int
    number: str
    display_name: str
    family_name: str
    given_name: str
    gender: str
    age: int | None
    primary_phone: str
    primary_email: str
    preferred_language: str
    customer_since: date | None
    source: str
    tags: list[str]
    consents: dict[str, bool] = Field(
        description="Consent per channel (email, sms, …): true given, false withdrawn; a channel "
        "never asked is absent. Filter with consent_<channel>=granted|withdrawn|unknown."
    )
    version: int

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_consents(obj: Customer) -> dict[str, bool]:
        return {c.channel: c.granted for c in obj.consents.all()}


class _CustomerHead(Schema):
    id: int
    number: str
    display_name: str
    version: int


class _CustomerProfile(Schema):
    family_name: str
    given_name: str
    external_id: str | None
    gender: str
    birthday: date | None
    age: int | None
    celebrates_lunar_birthday: bool
    hobbies: str
    personality: str
    family_situation: str
    occupation: str
    income_band: str
    preferred_language: str
    preferred_channel: str
    customer_since: date | None
    source: str
    referred_by: CustomerRef | None
    notes: str
    phones: list[PhoneOut]
    emails: list[EmailOut]
    addresses: list[AddressOut]
    consents: list[ConsentOut]
    tags: list[str]
    organisations: list[CustomerOrganisationOut]
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        return [t.name for t in obj.tags.all()]

    # Primary first, then in the order given; sorted here so the prefetched rows serve.
    @staticmethod
    def resolve_phones(obj: Customer) -> list[CustomerPhone]:
        return sorted(obj.phones.all(), key=lambda p: (not p.is_primary, p.pk))

    @staticmethod
    def resolve_emails(obj: Customer) -> list[CustomerEmail]:
        return sorted(obj.emails.all(), key=lambda e: (not e.is_primary, e.pk))

    @staticmethod
    def resolve_addresses(obj: Customer) -> list[CustomerAddress]:
        return sorted(obj.addresses.all(), key=lambda a: a.pk)

    @staticmethod
    def resolve_organisations(obj: Customer) -> list[OrganisationContact]:
        return list(obj.organisation_roles.all())

    @staticmethod
    def resolve_created_by(obj: Customer) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None


def _section_resolver(name: str) -> Any:
    def resolve(obj: Customer) -> Any:
        return obj.sections[name]  # type: ignore[attr-defined]

    return staticmethod(resolve)


@cache
def customer_detail_schema() -> type[Schema]:
    """The customer file: number and name, then what other apps registered (what the customer
    mentioned, what they bought, …: rapport.core.registry.register_customer_api_section), then
    the profile, contact details, consents, tags and organisations."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": "CustomerDetail",
        "__doc__": customer_detail_schema.__doc__,
    }
    for part in (_CustomerHead, None, _CustomerProfile):
        if part is None:
            for section in customer_api_sections():
                annotations[section.name] = section.schema
                namespace[section.name] = Field(description=section.description)
                namespace[f"resolve_{section.name}"] = _section_resolver(section.name)
            continue
        for name, info in part.model_fields.items():
            annotations[name] = info.annotation
            namespace[name] = info
        for attr, value in vars(part).items():
            if attr.startswith("resolve_"):
                namespace[attr] = value
    namespace["__annotations__"] = annotations
    return type("CustomerDetail", (Schema,), namespace)


class FieldChangeOut(Schema):
    field: str
    before: Any
    after: Any


class ChangeOut(Schema):
    """One write to the customer's data: who, when, and each field from what to what."""

    id: int
    time: datetime
    action: str
    user: str = Field(description="The user's name at the time (kept if the account goes).")
    object_type: str = Field(description="customer, remembereddetail, order, …")
    object_id: int
    object_repr: str
    changes: list[FieldChangeOut]

    @staticmethod
    def resolve_user(obj: ObjectChange) -> str:
        return obj.user_name

    @staticmethod
    def resolve_object_type(obj: ObjectChange) -> str:
        return obj.content_type.model

    @staticmethod
    def resolve_changes(obj: ObjectChange) -> list[dict[str, Any]]:
        out = []
        for name, values in obj.changes.items():
            pair = values if isinstance(values, list) and len(values) == 2 else [None, values]
            out.append({"field": name, "before": pair[0], "after": pair[1]})
        return out


class TagOut(Schema):
    id: int
    name: str
    color: str


class TimelineEntryOut(Schema):
    time: datetime
    kind: str
    title: str
    body: str
    url: str
    actor: str
    details: dict[str, Any]


# Organisations --------------------------------------------------------------------------------


class OrganisationIn(RequestBody):
    name: str = Field(max_length=200)
    external_id: str | None = Field(None, max_length=100)
    industry: str = Field("", max_length=100)
    website: str = Field("", max_length=200)
    phone: str = Field("", description="Any spelling; stored as E.164.")
    email: str = ""
    tax_id: str = Field("", max_length=40)
    address: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    country: str = Field("", max_length=2)
    notes: str = ""
    tags: list[str] = Field(default_factory=list)


class OrganisationPatch(RequestBody):
    """Only the fields you send change."""

    version: int = Field(description="The version you read; a newer one on the server gives 409.")
    name: str | None = Field(None, max_length=200)
    external_id: str | None = Field(None, max_length=100)
    industry: str | None = Field(None, max_length=100)
    website: str | None = Field(None, max_length=200)
    phone: str | None = None
    email: str | None = None
    tax_id: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)
    notes: str | None = None


class OrganisationListItem(Schema):
    id: int
    number: str
    name: str
    industry: str
    city: str
    country: str
    phone: str
    email: str
    tags: list[str]
    version: int

    @staticmethod
    def resolve_tags(obj: Organisation) -> list[str]:
        return [t.name for t in obj.tags.all()]


class ContactIn(RequestBody):
    person_id: int = Field(description="The customer id of the contact person.")
    buying_role: str = choice(BuyingRole, ..., description="Their part in buying.")
    job_title: str = Field("", max_length=100)
    is_primary: bool = False
    notes: str = Field("", max_length=300)


class ContactOut(Schema):
    id: int
    person: CustomerRef
    buying_role: str
    job_title: str
    is_primary: bool
    notes: str


class OrganisationDetail(OrganisationListItem):
    website: str
    tax_id: str
    address: str
    notes: str
    external_id: str | None
    contacts: list[ContactOut]
    created_at: datetime
    updated_at: datetime


class OrganisationFilters(Schema):
    q: str = Field("", description="Start of the name.")
