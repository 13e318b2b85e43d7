"""Keeping in touch: campaigns and their messages, company events and invitations, coupons."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.core.fields import MoneyField
from rapport.core.models import Event, TimeStampedModel
from rapport.core.relations import DedupeBy, Erase, Export, Repoint, customer_relation
from rapport.outreach.choices import (
    CampaignChannel,
    CampaignKind,
    CampaignState,
    ChurnThreshold,
    EventKind,
    OutreachEventType,
    Rsvp,
    Schedule,
)


class Coupon(TimeStampedModel):
    """A code worth an amount or a percentage, valid in a window, maybe for one product only.
    `max_redemptions` 1 makes it single-use; `once_per_customer` lets each customer use it once."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    amount = MoneyField(_("amount off"), null=True, blank=True)
    percent = models.DecimalField(
        _("percentage off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("only for product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    max_redemptions = models.PositiveIntegerField(_("limit"), null=True, blank=True)
    once_per_customer = models.BooleanField(_("once per customer"), default=True)
    redeemed = models.PositiveIntegerField(_("redeemed"), default=0)  # counter; rows are the truth
    is_trial = models.BooleanField(_("free trial"), default=False)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")

    def __str__(self) -> str:
        return self.code


class Campaign(TimeStampedModel):
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(
        _("kind"), max_length=12, choices=CampaignKind.choices, default=CampaignKind.CAMPAIGN
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=CampaignChannel.choices, default=CampaignChannel.EMAIL
    )
    # The audience: customer-list filters (tag, segment, city, product, language, tier, …).
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    schedule = models.CharField(
        _("schedule"), max_length=24, choices=Schedule.choices, default=Schedule.ONCE
    )
    days = models.PositiveIntegerField(_("days"), default=0)
    # "When the churn risk rises": the band a rise must reach; since when the bands are watched
    # (the first run only notes everybody's band: nobody is known to have risen before it).
    churn_threshold = models.CharField(
        _("churn risk reaches"),
        max_length=6,
        choices=ChurnThreshold.choices,
        default=ChurnThreshold.MEDIUM,
    )
    watching_since = models.DateTimeField(null=True, blank=True, editable=False)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    coupon = models.ForeignKey(
        Coupon,
        verbose_name=_("coupon"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    # A campaign that invites to an event: each recipient gets an invitation and an RSVP link.
    event = models.ForeignKey(
        "CompanyEvent",
        verbose_name=_("invites to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        permissions = [("send_campaign", _("Can send campaigns"))]

    def __str__(self) -> str:
        return self.name


class CampaignMessage(models.Model):
    """The text of a campaign in one language, with merge fields such as {{ name }}."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("campaign text")
        verbose_name_plural = _("campaign texts")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "language"], name="campaign_one_text")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.language}"


class CampaignRun(models.Model):
    """One occurrence of a campaign being sent (a one-off send, or a day of a triggered one)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    occurrence = models.CharField(max_length=40)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "occurrence"], name="campaign_run_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.occurrence}"


@customer_relation(
    "customer",
    merge=DedupeBy("campaign", "occurrence", "channel"),
    export=Export("campaign", "occurrence", "channel", label=_("campaign messages")),
    erase=Erase.delete(),
)
class CampaignDelivery(models.Model):
    """One message of a campaign occurrence to one customer on one channel. Written (in bulk)
    before anything is sent; its OutboundMessage (claimed by an idempotency key made from this
    row) carries the state, the time sent and the provider id."""

    # A campaign writes a million of these rows in one statement, so each costs as little as it
    # can: no index of their own for the campaign and the run (campaign_delivery_once starts
    # with the campaign, delivery_run_idx with the run), no database-level foreign keys (each
    # was a check per row at COMMIT; as for recommendations, the ORM cascades and the customer
    # hub's registries repoint or erase them on merge and erasure), and the message's index
    # only over the rows that have one (a new row has none).
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
        db_constraint=False,
    )
    run = models.ForeignKey(
        CampaignRun,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
        db_constraint=False,
    )
    occurrence = models.CharField(max_length=40)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    channel = models.CharField(_("channel"), max_length=10)
    message = models.ForeignKey(
        "communications.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "occurrence", "customer", "channel"],
                name="campaign_delivery_once",
            ),
            models.UniqueConstraint(
                fields=["message"],
                condition=models.Q(message__isnull=False),
                name="delivery_message_once",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "id"], name="delivery_run_idx"),
            models.Index(fields=["customer"], name="delivery_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key

    @property
    def idempotency_key(self) -> str:
        return f"outreach:{self.campaign_id}:{self.occurrence}:{self.customer_id}:{self.channel}"


@customer_relation(
    "customer",
    merge=DedupeBy("campaign"),
    export=Export("campaign", "band", "seen_at", label=_("churn-risk bands watched by campaigns")),
    erase=Erase.delete(),
)
class ChurnWatch(models.Model):
    """The churn-risk band a "when the churn risk rises" campaign last saw for a customer: the next
    run compares the analytics' current band with it (a rise triggers the campaign, once)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="churn_watch")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    band = models.CharField(max_length=6, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="churn_watch_once")
        ]
        indexes = [models.Index(fields=["customer"], name="churn_watch_customer_idx")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id} {self.band}"


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("channel", "at", label=_("unsubscriptions")),
    erase=Erase.delete(),
)
class Unsubscribe(models.Model):
    """A one-click unsubscribe link used (once per message)."""

    delivery = models.OneToOneField(
        CampaignDelivery, on_delete=models.CASCADE, related_name="unsubscribe"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel}"


class CompanyEvent(TimeStampedModel):
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=EventKind.choices)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.name


@customer_relation(
    "customer",
    merge=DedupeBy("event"),
    export=Export("event", "rsvp", "attended", label=_("event invitations")),
    erase=Erase.delete(),
)
class Invitation(models.Model):
    event = models.ForeignKey(CompanyEvent, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    rsvp = models.CharField(_("answer"), max_length=10, choices=Rsvp.choices, default=Rsvp.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(_("attended"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "customer"], name="invitation_once")
        ]
        indexes = [models.Index(fields=["customer"], name="invitation_customer_idx")]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.customer_id}"


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("coupon", "order", "at", label=_("coupons redeemed")),
    erase=Erase.keep("redemptions stay with their orders for the accounts"),
)
class CouponRedemption(models.Model):
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    order = models.OneToOneField(
        "sales.Order", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="redemptions"
    )
    # "coupon:customer" for coupons usable once per customer: the database refuses a second one.
    once_key = models.CharField(max_length=60, null=True, blank=True, unique=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["customer"], name="redemption_customer_idx")]

    def __str__(self) -> str:
        return f"{self.coupon_id}:{self.customer_id}"


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export("type", "time", "parameters", label=_("keeping-in-touch events")),
    erase=Erase.delete(),
)
class OutreachEvent(Event):
    SENTENCES = {
        OutreachEventType.INVITED: _("Invited to %(event)s."),
        OutreachEventType.RSVP: _("Answered the invitation to %(event)s: %(answer)s."),
        OutreachEventType.ATTENDED: _("Attended %(event)s."),
        OutreachEventType.UNSUBSCRIBED: _("Unsubscribed from %(channel)s through a campaign link."),
        OutreachEventType.COUPON_REDEEMED: _("Redeemed coupon %(code)s on order %(order)s."),
        OutreachEventType.CAMPAIGN_SENT: _("Campaign “%(campaign)s” sent to %(count)s customers."),
    }

    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )

    class Meta:
        indexes = [models.Index(fields=["campaign", "time"], name="outreach_event_campaign_idx")]
