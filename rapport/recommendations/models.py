"""Stored recommendations per customer, the history each was computed from, and the evaluations."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.core.relations import Custom, Erase, Export, customer_relation
from rapport.recommendations.choices import Method, Reason


@customer_relation(
    "customer",
    merge=Custom("rapport.recommendations.merging:merge_history"),
    export=Export("product_id", "rank", "reason", "computed_at", label=_("recommended products")),
    erase=Erase.delete(),
)
class Recommendation(models.Model):
    """One product suggested to one customer, best first (`rank` 1), with its reason in data:
    `because_of` the customer's own product bought with it by `customers` customers, or how many
    customers bought it (`similar_customers`, `popular`, `buy_again`)."""

    # Derived rows, rewritten ten million at a time by the refresh: no database-level foreign
    # keys (PostgreSQL checks each deferred key row by row at COMMIT: most of a full refresh's
    # time) and no single-column indexes the composite ones cover; deletions of customers and
    # products still reach these rows through Django's on_delete (and a sold product cannot be
    # deleted at all: order lines protect it).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # served by recommendation_product_idx
        db_constraint=False,
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.FloatField(_("score"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    because_of = models.ForeignKey(
        "sales.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    customers = models.PositiveIntegerField(_("customers"), default=0)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.UniqueConstraint(fields=["customer", "rank"], name="recommendation_rank_uniq")
        ]
        indexes = [
            # "customers who should be offered product P", best placed first
            models.Index(fields=["product", "rank", "customer"], name="recommendation_product_idx")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} #{self.rank}: {self.product_id}"


@customer_relation(
    "customer",
    merge=Custom("rapport.recommendations.merging:merge_history"),
    export=Export.nothing("a count of purchase lines, to know when to recompute"),
    erase=Erase.delete(),
)
class HistoryMark(models.Model):
    """What a customer's purchase history looked like at the last refresh: a refresh recomputes
    only the customers whose mark differs (new order lines, returns)."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        db_constraint=False,  # rewritten in bulk by the refresh, as Recommendation
    )
    lines = models.PositiveIntegerField(default=0)
    last_line_id = models.BigIntegerField(default=0)
    returns = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.lines} lines"


class Evaluation(models.Model):
    """An offline evaluation on a time split of the orders (training before `split_date`, test on
    or after it, up to `as_of`): the chosen method's figures and the popularity baseline's."""

    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    as_of = models.DateField(_("as of"))
    split_date = models.DateField(_("split date"))
    k = models.PositiveSmallIntegerField(default=10)
    chosen = models.CharField(_("method"), max_length=20, choices=Method.choices)
    model = models.JSONField(default=dict)
    popularity = models.JSONField(default=dict)
    validation = models.JSONField(default=dict)
    customers_evaluated = models.PositiveIntegerField(default=0)
    products = models.PositiveIntegerField(default=0)
    customers_refreshed = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("recommendation evaluation")
        verbose_name_plural = _("recommendation evaluations")
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.chosen}"
