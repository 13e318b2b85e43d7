"""Membership and loyalty: tiers, accounts, the points ledger, tier changes and referrals.

A balance is the sum of its ledger entries (earn, spend, expire, adjust), never a number edited
in place; each entry says who made it and why."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.core.fields import MoneyField
from rapport.core.models import Event
from rapport.core.relations import Custom, Erase, Export, KeepOne, Repoint, customer_relation
from rapport.loyalty.choices import EntryKind, LoyaltyEventType


class Tier(models.Model):
    """A membership level: reached by spend or points over a rolling window."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"), unique=True, help_text=_("Higher is better.")
    )
    min_spend = MoneyField(_("minimum spend"), default=0)
    min_points = models.PositiveIntegerField(_("minimum points earned"), default=0)
    window_days = models.PositiveIntegerField(_("window (days)"), default=365)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=0
    )
    free_items = models.TextField(_("free items"), blank=True)
    free_services = models.TextField(_("free services"), blank=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class PointsRule(models.Model):
    """Points per unit of money for a product or a category (the default is the setting
    RAPPORT_LOYALTY_POINTS_PER_UNIT)."""

    product = models.OneToOneField(
        "sales.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.CharField(_("category"), max_length=100, blank=True)
    points_per_unit = models.DecimalField(_("points per unit"), max_digits=8, decimal_places=3)

    def __str__(self) -> str:
        return f"{self.product_id or self.category}: {self.points_per_unit}"


@customer_relation(
    "customer",
    merge=Custom("rapport.loyalty.merging:merge_accounts"),
    export=Export("tier", "referral_code", "joined_at", label=_("membership")),
    erase=Erase.delete(),
)
class LoyaltyAccount(models.Model):
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="membership"
    )
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    referral_code = models.CharField(_("referral code"), max_length=12, unique=True)
    joined_at = models.DateTimeField(_("member since"), auto_now_add=True)
    # Bumped by every spend: the row lock that makes two spends at once wait for each other.
    lock_version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.referral_code


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("kind", "points", "reason", "at", label=_("loyalty points")),
    erase=Erase.delete(),
)
class PointsEntry(models.Model):
    # No database-level foreign keys to the customer and the order: a backfill writes millions
    # of entries at once and each key was a check per row at COMMIT; the ORM cascades, and the
    # customer hub's registries repoint or erase entries on merge and erasure.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=8, choices=EntryKind.choices)
    points = models.IntegerField(_("points"))  # signed: spend and expire are negative
    reason = models.CharField(_("why"), max_length=200)
    order = models.ForeignKey(
        "sales.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # "earn:order:42", "expire:17", "referral:5:referrer": the database refuses a second one
    # (a unique constraint, not `unique=True`: on PostgreSQL that also made a varchar_pattern_ops
    # twin of the index for LIKE, which no query needs — expiry keys are found by their kind).
    once_key = models.CharField(max_length=60, null=True, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    # Indexed only where a person wrote the entry (for SET_NULL when a user is deleted): the
    # entries the system writes — millions in a backfill — are not in that index. No database
    # key either (as for the customer and the order): its check was queued for every entry, even
    # one without a user; the ORM sets it to NULL when the user is deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    user_name = models.CharField(_("by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        permissions = [("adjust_points", _("Can adjust loyalty points"))]
        indexes = [
            models.Index(fields=["customer", "at"], name="points_customer_idx"),
            models.Index(
                fields=["user"], name="points_user_idx", condition=models.Q(user__isnull=False)
            ),
            # The expiry entries' keys ("expire:<earn entry id>"): a small index beside the
            # ledger's millions of earn entries.
            models.Index(
                fields=["once_key"],
                name="points_expire_key_idx",
                condition=models.Q(kind="expire"),
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["once_key"], name="points_once_key")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.points}"


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("from_tier", "to_tier", "at", label=_("tier changes")),
    erase=Erase.delete(),
)
class TierChange(models.Model):
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    from_tier = models.CharField(max_length=60, blank=True)
    to_tier = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.from_tier} → {self.to_tier}"


@customer_relation(
    "referrer",
    merge=Repoint(),
    export=Export("referred", "at", "rewarded_at", label=_("people referred")),
    erase=Erase.keep("the referred customer keeps their own record of who brought them"),
)
@customer_relation(
    "referred",
    merge=KeepOne(prefer="survivor"),
    export=Export("referrer", "at", label=_("referred by")),
    erase=Erase.delete(),
)
class Referral(models.Model):
    referrer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    referred = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(max_length=12)
    at = models.DateTimeField(auto_now_add=True)
    rewarded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.referred_id}"


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export("type", "time", "parameters", label=_("membership events")),
    erase=Erase.delete(),
)
class LoyaltyEvent(Event):
    SENTENCES = {
        LoyaltyEventType.TIER_CHANGED: _("Membership tier changed from %(from)s to %(to)s."),
        LoyaltyEventType.REFERRED: _("Referred by customer %(referrer)s."),
        LoyaltyEventType.REFERRAL_REWARDED: _("Referral rewarded with %(points)s points each."),
    }

    customer_id = models.BigIntegerField(db_index=True)
