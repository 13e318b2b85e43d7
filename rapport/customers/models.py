"""The customer file: people, their contact details and consents, and organisations."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.core.models import Event, TimeStampedModel, VersionedModel
from rapport.core.relations import (
    Custom,
    DedupeBy,
    Erase,
    Export,
    Recompute,
    Repoint,
    customer_relation,
)
from rapport.customers.choices import (
    AddressKind,
    BuyingRole,
    Channel,
    ConsentMethod,
    CustomerEventType,
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


@customer_relation(
    "referred_by",
    merge=Custom("rapport.customers.services.merging:merge_referrals"),
    export=Export.nothing("the customers someone referred are other people's records"),
    erase=Erase.keep("the people they referred keep the link to the now anonymous record"),
)
@customer_relation(
    "tags",
    merge=Repoint(),
    export=Export("name", label=_("tags")),
    erase=Erase.delete(),
)
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
            models.Index(fields=["customer_since", "id"], name="customer_since_id_idx"),
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
        from rapport.core.calendar import year_known

        if not year_known(self.birthday):
            return None
        today = timezone.localdate()
        before_birthday = (today.month, today.day) < (self.birthday.month, self.birthday.day)
        return today.year - self.birthday.year - int(before_birthday)

    @property
    def lunar_birthday(self) -> tuple[int, int, bool] | None:
        from rapport.core.calendar import lunar_of, year_known

        return lunar_of(self.birthday) if year_known(self.birthday) else None

    @property
    def birthday_year_known(self) -> bool:
        from rapport.core.calendar import year_known

        return year_known(self.birthday)

    @property
    def next_birthday(self) -> date | None:
        from rapport.core.calendar import next_birthday

        if not self.birthday:
            return None
        return next_birthday(self.birthday, lunar=self.celebrates_lunar_birthday)


@customer_relation(
    "customer",
    merge=DedupeBy("number"),
    export=Export("number", "kind", "is_primary", label=_("phone numbers")),
    erase=Erase.delete(),
)
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


@customer_relation(
    "customer",
    merge=DedupeBy("address"),
    export=Export("address", "is_primary", label=_("email addresses")),
    erase=Erase.delete(),
)
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


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "kind", "line1", "line2", "city", "region", "postal_code", "country", label=_("addresses")
    ),
    erase=Erase.delete(),
)
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


@customer_relation(
    "customer",
    # The most recent statement the customer made about a channel is the one that holds; one
    # dated in the future was not made yet (a withdrawal is never overridden by it).
    merge=DedupeBy("channel", prefer="newest-past:changed_at"),
    export=Export(
        "channel", "granted", "changed_at", "method", "note", label=_("marketing consents")
    ),
    erase=Erase.delete(),
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


@customer_relation(
    "customer",
    merge=Recompute("rapport.customers.services.customers:reindex_customer"),
    export=Export.nothing("search terms are derived from the name, which the profile shows"),
    erase=Erase.delete(),
)
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


@customer_relation(
    "person",
    merge=DedupeBy("organisation"),
    export=Export(
        "organisation", "buying_role", "job_title", "notes", label=_("contact person at")
    ),
    erase=Erase.delete(),
)
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


@customer_relation(
    "into",
    merge=Repoint(),
    export=Export("merged_id", "merged_at", label=_("merged customer records")),
    erase=Erase.redacting(
        display_name="",
        external_id=None,
        last_state={},
        archived=[],
        remembered=[],
        merged_row={},
        survivor_changes={},
    ),
)
class CustomerMerge(models.Model):
    """A customer record that was merged into another one (a duplicate from another source).

    The merged record's row is gone; this keeps its number, external id and last state, so old
    links and re-imports from the source it came from still find the surviving customer.
    """

    merged_id = models.BigIntegerField(_("merged record"))
    into = models.ForeignKey(
        Customer, verbose_name=_("merged into"), on_delete=models.CASCADE, related_name="merges"
    )
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
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
    # {table label: {"moved": n, "archived": n, "deleted": n, "rebuilt": n}}: what the merge did
    report = models.JSONField(_("what moved"), default=dict, blank=True)
    # {model label: [ids]} re-pointed from the merged record, and the rows that gave way to the
    # kept customer's (serialised whole): enough to undo the merge
    moved = models.JSONField(default=dict, blank=True)
    archived = models.JSONField(default=list, blank=True)
    # rows changed in place (added-up balances, primary flags) as they were before, the merged
    # record's own row, and the kept record's fields the merge changed ({field: [before, after]})
    remembered = models.JSONField(default=list, blank=True)
    merged_row = models.JSONField(default=dict, blank=True)
    survivor_changes = models.JSONField(default=dict, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merged customer record")
        verbose_name_plural = _("merged customer records")
        indexes = [models.Index(fields=["into"], name="customer_merge_into_idx")]
        # A record is merged away once at a time; an undone merge no longer counts.
        constraints = [
            models.UniqueConstraint(
                fields=["merged_id"], condition=Q(undone_at=None), name="customer_merge_once"
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(undone_at=None),
                name="customer_merge_external_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{CUSTOMER_NUMBER_PREFIX}{self.merged_id:07d}"

    @property
    def number(self) -> str:
        return str(self)


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export("time", "type", "parameters", label=_("events")),
    erase=Erase.redacting(parameters={}),
)
class CustomerEvent(Event):
    """Something that happened to a customer's record as a whole: merged, consent given or
    withdrawn. `customer_id` is a plain column: the events outlive a deletion, like the history."""

    SENTENCES = {
        CustomerEventType.MERGED: _(
            "Customer record %(other)s (%(name)s) was merged into this one: %(moved)s."
        ),
        CustomerEventType.MERGED_AWAY: _("This record was merged into %(into)s."),
        CustomerEventType.MERGE_UNDONE: _("The merge with %(other)s was undone."),
        CustomerEventType.CONSENT_GIVEN: _("Consent to %(channel)s given (%(method)s)."),
        CustomerEventType.CONSENT_WITHDRAWN: _("Consent to %(channel)s withdrawn (%(method)s)."),
    }

    customer_id = models.BigIntegerField(_("customer"))
    type = models.CharField(_("what happened"), max_length=40, choices=CustomerEventType.choices)

    class Meta:
        verbose_name = _("customer event")
        verbose_name_plural = _("customer events")
        indexes = [models.Index(fields=["customer_id", "-time"], name="customer_event_idx")]

    def display_parameters(self) -> dict[str, object]:
        params = dict(self.parameters)
        if "channel" in params:
            params["channel"] = _label(Channel, params["channel"])
        if "method" in params:
            params["method"] = _label(ConsentMethod, params["method"])
        if "report" in params:  # in the reader's language, not the merger's
            from rapport.customers.services.merging import describe_report

            params["moved"] = describe_report(params["report"])
        params.setdefault("moved", "")
        params.setdefault("name", "")
        return params


def _label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value
