"""The customer file: people, their contact details and consents, and organisations."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from rapport.core.models import TimeStampedModel, VersionedModel
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

CUSTOMER_NUMBER_PREFIX = "C"
ORGANISATION_NUMBER_PREFIX = "O"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(VersionedModel):
    """One person the business deals with; everything they told us lives on or under this row."""

    external_id = models.CharField(
        _("external id"), max_length=100, null=True, blank=True, unique=True
    )
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    display_name = models.CharField(_("name"), max_length=201, editable=False)
    sort_name = models.CharField(max_length=201, editable=False)  # folded display name, for sorting
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    celebrates_lunar_birthday = models.BooleanField(
        _("celebrates the lunar birthday"), default=False
    )
    hobbies = models.TextField(_("hobbies"), blank=True)
    personality = models.TextField(_("personality notes"), blank=True)
    family_situation = models.TextField(_("family situation"), blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    income_band = models.CharField(
        _("income band"), max_length=20, choices=IncomeBand.choices, blank=True
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=Language.choices, blank=True
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, blank=True
    )
    customer_since = models.DateField(_("customer since"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=CustomerSource.choices, blank=True
    )
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    # Denormalised for lists; the services keep them equal to the primary phone and email rows.
    primary_phone = models.CharField(_("phone"), max_length=20, blank=True)
    primary_email = models.CharField(_("email"), max_length=254, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("merge_customer", _("Can merge duplicate customers"))]
        indexes = [
            models.Index(fields=["sort_name", "id"], name="customer_sort_idx"),
            models.Index(fields=["customer_since"], name="customer_since_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.number

    @property
    def number(self) -> str:
        return f"{CUSTOMER_NUMBER_PREFIX}{self.pk:07d}" if self.pk else ""

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])

    @property
    def age(self) -> int | None:
        if not self.birthday:
            return None
        today = date.today()
        before_birthday = (today.month, today.day) < (self.birthday.month, self.birthday.day)
        return today.year - self.birthday.year - int(before_birthday)

    @property
    def lunar_birthday(self) -> tuple[int, int, bool] | None:
        from rapport.core.calendar import lunar_of

        return lunar_of(self.birthday) if self.birthday else None

    @property
    def next_birthday(self) -> date | None:
        from rapport.core.calendar import next_birthday

        if not self.birthday:
            return None
        return next_birthday(self.birthday, lunar=self.celebrates_lunar_birthday)


class CustomerPhone(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="phones", db_index=False
    )
    number = models.CharField(_("phone"), max_length=20, db_index=False)  # E.164
    kind = models.CharField(
        _("kind"), max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE
    )
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        indexes = [models.Index(fields=["number"], name="customer_phone_idx")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "number"], name="customer_phone_unique")
        ]

    def __str__(self) -> str:
        return self.number


class CustomerEmail(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="emails", db_index=False
    )
    address = models.CharField(_("email"), max_length=254)  # lower-cased
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")
        indexes = [models.Index(fields=["address"], name="customer_email_idx")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "address"], name="customer_email_unique")
        ]

    def __str__(self) -> str:
        return self.address


class CustomerAddress(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(
        _("kind"), max_length=10, choices=AddressKind.choices, default=AddressKind.HOME
    )
    line1 = models.CharField(_("address"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return ", ".join(
            p for p in (self.line1, self.line2, self.city, self.region, self.postal_code) if p
        )


class MarketingConsent(models.Model):
    """The customer's current yes or no for one channel, and when and how they said it."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    granted = models.BooleanField(_("granted"))
    changed_at = models.DateTimeField(_("given or withdrawn at"))
    method = models.CharField(_("how"), max_length=12, choices=ConsentMethod.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("marketing consent")
        verbose_name_plural = _("marketing consents")
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], name="customer_consent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.granted}"


class CustomerSearchTerm(models.Model):
    """Search index: name characters, pairs and word prefixes (see rapport.core.names.search_terms)."""

    term = models.CharField(max_length=24)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["term", "customer"], name="customer_term_unique"),
        ]
        indexes = [models.Index(fields=["customer"], name="customer_term_customer_idx")]

    def __str__(self) -> str:
        return self.term


class Organisation(VersionedModel):
    """A business customer; the people involved in buying are its contacts."""

    external_id = models.CharField(
        _("external id"), max_length=100, null=True, blank=True, unique=True
    )
    name = models.CharField(_("name"), max_length=200)
    sort_name = models.CharField(max_length=200, editable=False)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="organisations"
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["sort_name", "id"], name="organisation_sort_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def number(self) -> str:
        return f"{ORGANISATION_NUMBER_PREFIX}{self.pk:06d}" if self.pk else ""

    def get_absolute_url(self) -> str:
        return reverse("customers:organisation_detail", args=[self.pk])


class OrganisationContact(TimeStampedModel):
    """A person at an organisation and their part in buying — every rank counts."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    person = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="organisation_roles"
    )
    buying_role = models.CharField(_("role in buying"), max_length=20, choices=BuyingRole.choices)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("main contact"), default=False)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact people")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "person"], name="organisation_contact_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(is_primary=True),
                name="organisation_one_primary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_buying_role_display()}, {self.organisation})"


class CustomerMerge(models.Model):
    """A customer record that was merged into another one (a duplicate from another source).

    The merged record's row is gone; this keeps its number, external id and last state, so old
    links and re-imports from the source it came from still find the surviving customer.
    """

    merged_id = models.BigIntegerField(_("merged record"), unique=True)
    into = models.ForeignKey(
        Customer, verbose_name=_("merged into"), on_delete=models.CASCADE, related_name="merges"
    )
    external_id = models.CharField(
        _("external id"), max_length=100, null=True, blank=True, unique=True
    )
    display_name = models.CharField(_("name"), max_length=201, blank=True)
    last_state = models.JSONField(_("last state"), default=dict)
    merged_at = models.DateTimeField(_("merged at"))
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merged customer record")
        verbose_name_plural = _("merged customer records")
        indexes = [models.Index(fields=["into"], name="customer_merge_into_idx")]

    def __str__(self) -> str:
        return f"{CUSTOMER_NUMBER_PREFIX}{self.merged_id:07d}"

    @property
    def number(self) -> str:
        return str(self)
