from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Segment(models.TextChoices):
    """Named RFM segments; the R×F grid that assigns them is `services.SEGMENT_GRID`."""

    CHAMPIONS = "champions", _("champions")
    LOYAL = "loyal", _("loyal")
    POTENTIAL_LOYALISTS = "potential_loyalists", _("potential loyalists")
    NEW = "new", _("new")
    AT_RISK = "at_risk", _("at risk")
    CANT_LOSE = "cant_lose", _("can't lose")
    HIBERNATING = "hibernating", _("hibernating")
    LOST = "lost", _("lost")


class ChurnRiskBand(models.TextChoices):
    """1 − P(alive), banded: low < 0.3 ≤ medium < 0.7 ≤ high (`services.CHURN_BANDS`)."""

    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class TrustLevel(models.TextChoices):
    """The three levels of trust (DOMAIN §2), lowest first; definitions in docs/analytics.md."""

    COGNITIVE = "cognitive", _("cognitive")
    EMOTIONAL = "emotional", _("emotional")
    BEHAVIOURAL = "behavioural", _("behavioural")


class SwitchingCostBand(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class ChurnReason(models.TextChoices):
    """Why customers defect (DOMAIN §2): the holes in the leaky bucket, plus "other"."""

    NO_TIMELY_HELP = "no_timely_help", _("no timely help")
    INCONVENIENCE = "inconvenience", _("inconvenience")
    UNRELIABILITY = "unreliability", _("unreliability")
    NEGLECT = "neglect", _("neglect or bad attitude")
    UNPROFESSIONAL_STAFF = "unprofessional_staff", _("unprofessional staff")
    OTHER = "other", pgettext_lazy("reason", "other")


class ChurnDestination(models.TextChoices):
    """Where a lost customer went."""

    COMPETITOR = "competitor", _("to a competitor")
    LEFT_CATEGORY = "left_category", _("stopped buying the category")
    MOVED_AWAY = "moved_away", _("moved away")
    UNKNOWN = "unknown", _("unknown")
    OTHER = "other", pgettext_lazy("destination", "other")


class ReportKind(models.TextChoices):
    """Aggregates the refresh precomputes so the dashboards never scan the order history."""

    SCORES = "scores", _("score distributions")
    COHORTS = "cohorts", _("cohort retention")
    LOYALTY = "loyalty", _("purchase intervals")
    PROFIT = "profit", _("profit by month and segment")
    PRODUCTS = "products", _("product analysis")
    PROMOTION = "promotion", _("promotion analysis")
    SWITCHING = "switching", _("switching cost and retention")


class ClvBasis(models.TextChoices):
    """What customer lifetime value counts: the revenue customers bring, or the gross margin on
    it (settings.RAPPORT_ANALYTICS_CLV_BASIS, `analytics_refresh --clv-basis`)."""

    REVENUE = "revenue", _("revenue")
    MARGIN = "margin", _("gross margin")


class ValueBasis(models.TextChoices):
    """What a customer's expected average order rests on."""

    OWN = "own", _("the customer's own purchases")
    POPULATION = "population", _("all customers' average (no repeat purchase yet)")
    NONE = "none", _("nothing: the customer has never paid")


class ScoringModel(models.TextChoices):
    """The purchase models; BG/NBD is fitted for comparison only (engine.selection)."""

    PARETO_NBD = "pareto_nbd", "Pareto/NBD"
    MBGNBD = "mbgnbd", pgettext_lazy("model name", "modified BG/NBD")
    BGNBD = "bgnbd", "BG/NBD"


class AnalyticsEventType(models.TextChoices):
    REQUESTED = "requested", _("refresh asked for")
    REFRESHED = "refreshed", _("scores recomputed")
    FAILED = "failed", _("refresh failed")
