"""What the analytics refresh writes: one score row per customer, each fit, cached reports, churn.

Scores and reports are derived data: `services.analytics_refresh` rewrites them in bulk; nothing
else writes them. Churn records are business data, written through `services.churn_record`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.analytics.choices import (
    AnalyticsEventType,
    ChurnDestination,
    ChurnReason,
    ChurnRiskBand,
    ClvBasis,
    ReportKind,
    Segment,
    SwitchingCostBand,
    TrustLevel,
    ValueBasis,
)
from rapport.core.fields import MoneyField
from rapport.core.models import Event
from rapport.core.relations import Erase, Export, Recompute, Repoint, customer_relation


class ModelFit(models.Model):
    """One refresh: the fitted models with standard errors, the holdout check and the timings."""

    as_of = models.DateField(_("observation end"))
    horizon_weeks = models.PositiveIntegerField(_("horizon (weeks)"))
    discount_rate = models.FloatField(_("annual discount rate"))
    started_at = models.DateTimeField(_("started"))
    computed_at = models.DateTimeField(_("computed"))
    duration_seconds = models.FloatField(_("duration (s)"))
    customers = models.PositiveIntegerField(_("customers scored"))
    purchase_days = models.PositiveBigIntegerField(_("purchase days"), default=0)
    summary_strategy = models.CharField(_("summary computed by"), max_length=10)
    # {"params": {...}, "standard_errors": {...}, "log_likelihood": x, "converged": b, ...}
    bgnbd = models.JSONField(_("BG/NBD"), default=dict)
    mbgnbd = models.JSONField(_("modified BG/NBD"), default=dict)
    pareto_nbd = models.JSONField(_("Pareto/NBD"), default=dict)
    gamma_gamma = models.JSONField(_("Gamma-Gamma"), default=dict)
    # the purchase model that scored the customers ("" when the history was too short for any)
    # and how it was chosen (engine.selection: validation window, errors per candidate, reason)
    scored_by = models.CharField(_("scored by"), max_length=12, blank=True, default="")
    selection = models.JSONField(_("model choice"), default=dict)
    clv_basis = models.CharField(
        _("lifetime value counts"), max_length=8, choices=ClvBasis.choices, default=ClvBasis.REVENUE
    )
    notes = models.JSONField(_("notes"), default=list)  # [{"code": …, numbers…}]
    # calibration end, holdout weeks, totals and the by-frequency chart for each model
    holdout = models.JSONField(_("calibration/holdout comparison"), default=dict)
    stages = models.JSONField(_("seconds per stage"), default=dict)

    class Meta:
        verbose_name = _("model fit")
        verbose_name_plural = _("model fits")
        get_latest_by = "computed_at"
        indexes = [models.Index(fields=["-computed_at"], name="analytics_fit_time_idx")]

    def __str__(self) -> str:
        return f"{self.as_of} ({self.customers} customers)"


@customer_relation(
    "customer",
    # Derived: the merged-away customer's row goes, and a refresh is queued to score the kept
    # customer with both histories (the quintiles and models are about everybody).
    merge=Recompute("rapport.analytics.services.requests:refresh_after_merge"),
    export=Export(
        "segment",
        "p_alive",
        "clv",
        "churn_risk_band",
        "trust_level",
        "computed_at",
        label=_("customer scores"),
    ),
    erase=Erase.delete(),
)
class CustomerScore(models.Model):
    """A customer's RFM, forecast, value, churn risk, trust level and switching-cost indicators.

    Only customers with at least one purchase (an order of a counted status) have a row. The
    forecasts (P(alive), expected purchases and order, CLV, churn risk) are empty when the
    history was too short to fit a purchase model.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="score",
        verbose_name=_("customer"),
    )
    # Purchase history (purchase days: same-day orders count once)
    first_purchase = models.DateField(_("first purchase"))
    last_purchase = models.DateField(_("last purchase"))
    orders = models.PositiveIntegerField(_("orders"))
    purchase_days = models.PositiveIntegerField(_("purchase days"))
    # RFM raw values and quintile scores (1 = worst fifth, 5 = best)
    recency_days = models.PositiveIntegerField(_("days since last purchase"))
    monetary = MoneyField(_("net spend"))
    r_score = models.PositiveSmallIntegerField(_("R"))
    f_score = models.PositiveSmallIntegerField(_("F"))
    m_score = models.PositiveSmallIntegerField(_("M"))
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices)
    # Buy-till-you-die inputs (weeks) and outputs
    frequency = models.PositiveIntegerField(_("repeat purchase days"))
    recency_weeks = models.FloatField(_("first to last purchase (weeks)"))
    age_weeks = models.FloatField(_("first purchase to observation end (weeks)"))
    avg_repeat_value = MoneyField(_("average repeat purchase"))
    p_alive = models.FloatField(_("P(alive)"), null=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True)
    expected_avg_value = MoneyField(_("expected average order"), null=True)
    # what the expected order rests on: "own" purchases, the "population" mean, "none" (never paid)
    value_basis = models.CharField(
        _("expected order from"), max_length=10, choices=ValueBasis.choices, blank=True
    )
    clv = MoneyField(_("customer lifetime value"), null=True)
    churn_risk = models.FloatField(_("churn risk"), null=True)
    churn_risk_band = models.CharField(
        _("churn risk band"), max_length=6, choices=ChurnRiskBand.choices, blank=True
    )
    trust_level = models.CharField(_("trust level"), max_length=12, choices=TrustLevel.choices)
    # Profit
    revenue = MoneyField(_("revenue"))
    gross_margin = MoneyField(_("gross margin"))
    cost_to_serve = MoneyField(_("cost to serve"))
    net_contribution = MoneyField(_("net contribution"))
    # Switching-cost indicators
    tenure_days = models.PositiveIntegerField(_("tenure (days)"))
    categories_held = models.PositiveIntegerField(_("product categories held"))
    referrals_made = models.PositiveIntegerField(_("customers referred"))
    was_referred = models.BooleanField(_("came by referral"))
    switching_cost = models.PositiveSmallIntegerField(_("switching-cost points"))
    switching_cost_band = models.CharField(
        _("switching cost"), max_length=6, choices=SwitchingCostBand.choices
    )
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        indexes = [
            models.Index(fields=["segment"], name="analytics_score_segment_idx"),
            models.Index(fields=["churn_risk_band"], name="analytics_score_churn_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment}"


class Report(models.Model):
    """A precomputed aggregate the dashboards read (columns as lists, ready for polars)."""

    kind = models.CharField(_("kind"), max_length=12, choices=ReportKind.choices, unique=True)
    fit = models.ForeignKey(ModelFit, null=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(_("data"), default=dict)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("analytics report")
        verbose_name_plural = _("analytics reports")

    def __str__(self) -> str:
        return self.kind


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("reason", "destination", "note", "recorded_at", label=_("reasons for leaving")),
    erase=Erase.redacting(note=""),
)
class ChurnRecord(models.Model):
    """A customer who left: why (a hole in the leaky bucket) and where they went."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="churn_records",
    )
    reason = models.CharField(_("reason"), max_length=24, choices=ChurnReason.choices)
    destination = models.CharField(
        _("went to"),
        max_length=16,
        choices=ChurnDestination.choices,
        default=ChurnDestination.UNKNOWN,
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("churn record")
        verbose_name_plural = _("churn records")
        indexes = [models.Index(fields=["-recorded_at"], name="analytics_churn_time_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason}"


class AnalyticsEvent(Event):
    """What happened to the analysis: a refresh asked for (after a merge, say), scores
    recomputed, a refresh that failed — shown on the analytics overview."""

    SENTENCES = {
        AnalyticsEventType.REQUESTED: _("A refresh of the scores was asked for: %(reason)s."),
        AnalyticsEventType.REFRESHED: _(
            "Scores recomputed for %(customers)s customers in %(seconds)s seconds."
        ),
        AnalyticsEventType.FAILED: _("The refresh of the scores failed: %(reason)s"),
    }
    REASONS = {"merge": _("customer records were merged")}

    type = models.CharField(_("what happened"), max_length=40, choices=AnalyticsEventType.choices)
    fit = models.ForeignKey(
        ModelFit, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )

    class Meta:
        verbose_name = _("analytics event")
        verbose_name_plural = _("analytics events")
        indexes = [models.Index(fields=["-time"], name="analytics_event_time_idx")]

    def display_parameters(self) -> dict[str, object]:
        params = dict(self.parameters)
        if "reason" in params and params["reason"] in self.REASONS:
            params["reason"] = str(self.REASONS[params["reason"]])
        if isinstance(params.get("customers"), int):
            params["customers"] = f"{params['customers']:,}"
        return params
