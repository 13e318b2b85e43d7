"""After-sales service: requests and visits (with parts and labour), routine maintenance from what
customers own, service commitments (promises that must be kept), and product recalls."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.core.fields import MoneyField
from rapport.core.models import Event, VersionedModel
from rapport.core.relations import DedupeBy, Erase, Export, Repoint, customer_relation
from rapport.service.choices import (
    ArticleKind,
    CommitmentState,
    RecallState,
    Remedy,
    RequestState,
    ServiceKind,
    VisitState,
)


class ServiceInterval(models.Model):
    """How often a product needs routine maintenance (months after purchase)."""

    product = models.OneToOneField(
        "sales.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="service_interval",
    )
    months = models.PositiveSmallIntegerField(_("maintenance every (months)"))

    class Meta:
        verbose_name = _("service interval")
        verbose_name_plural = _("service intervals")

    def __str__(self) -> str:
        return f"{self.product_id}: {self.months}"


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("kind", "state", "description", "created_at", label=_("service requests")),
    erase=Erase.redacting(description=""),
)
class ServiceRequest(VersionedModel):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="service_requests",
    )
    kind = models.CharField(_("kind"), max_length=14, choices=ServiceKind.choices)
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.ForeignKey(
        "sales.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recall_notice = models.ForeignKey(
        "service.RecallNotice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
    )
    description = models.TextField(_("what is needed"))
    articles = models.ManyToManyField(
        "service.Article", verbose_name=_("articles"), blank=True, related_name="requests"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=RequestState.choices, default=RequestState.OPEN
    )
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [models.Index(fields=["state", "created_at"], name="service_request_state_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("service:request_detail", args=[self.pk])


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "kind",
        "state",
        "starts_at",
        "due_on",
        "parts_cost",
        "labour_cost",
        "notes",
        label=_("service visits"),
    ),
    erase=Erase.redacting(notes=""),
)
class Visit(VersionedModel):
    # Routine maintenance writes a hundred thousand visits in one statement: no database-level
    # keys to the customer and the product (PostgreSQL checked each row at COMMIT, locking every
    # customer row it named: most of a first run). The ORM cascades, the customer hub's
    # registries repoint or erase visits on merge and erasure, and the order lines the visits
    # come from protect both the customer and the product.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="service_visits",
        db_constraint=False,
    )
    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("service request"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="visits",
        db_index=False,  # service_visit_request_idx, over the visits that have one
    )
    kind = models.CharField(_("kind"), max_length=14, choices=ServiceKind.choices)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_visits",
        db_index=False,  # served by service_visit_tech_idx
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)  # routine maintenance
    state = models.CharField(
        _("state"), max_length=10, choices=VisitState.choices, default=VisitState.SCHEDULED
    )
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    # Routine maintenance: one visit per owned order line and due date ("<line>:<date>").
    # Unique by a constraint, not `unique=True`: no second (LIKE) index to write per visit.
    routine_key = models.CharField(max_length=40, null=True, blank=True)
    parts_cost = MoneyField(_("parts"), default=Decimal("0"))
    labour_minutes = models.PositiveIntegerField(_("labour (minutes)"), default=0)
    labour_cost = MoneyField(_("labour"), default=Decimal("0"))
    notes = models.TextField(_("notes"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("customer reminded"), null=True, blank=True)

    class Meta:
        verbose_name = _("service visit")
        verbose_name_plural = _("service visits")
        # The indexes of a technician, a request or a done time hold only the visits that have
        # one (a routine visit has none: three index entries fewer to write per visit).
        indexes = [
            models.Index(
                fields=["technician", "starts_at"],
                name="service_visit_tech_idx",
                condition=Q(technician__isnull=False),
            ),
            models.Index(
                fields=["request"],
                name="service_visit_request_idx",
                condition=Q(request__isnull=False),
            ),
            models.Index(fields=["state", "due_on"], name="service_visit_due_idx"),
            models.Index(
                fields=["done_at"],
                name="service_visit_done_idx",
                condition=Q(done_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["routine_key"], name="service_visit_routine_key")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def cost(self) -> Decimal:
        return self.parts_cost + self.labour_cost


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("text", "due_at", "state", "closed_at", label=_("service commitments")),
    erase=Erase.redacting(text=""),
)
class Commitment(VersionedModel):
    """A promise made to a customer ("we call back on Friday"): due time, owner, kept or broken."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="service_commitments",
    )
    text = models.CharField(_("promise"), max_length=300)
    due_at = models.DateTimeField(_("due"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="service_commitments",
    )
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=8, choices=CommitmentState.choices, default=CommitmentState.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    request = models.ForeignKey(
        ServiceRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="commitments"
    )

    class Meta:
        verbose_name = _("service commitment")
        verbose_name_plural = _("service commitments")
        indexes = [
            models.Index(fields=["state", "due_at"], name="service_commit_queue_idx"),
            models.Index(fields=["owner", "state"], name="service_commit_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def overdue(self) -> bool:
        return self.state == CommitmentState.OPEN and self.due_at < timezone.now()


class Recall(VersionedModel):
    """A product notice or recall: the product (and batch or order dates) it concerns, the text per
    language, and the customers found and told."""

    product = models.ForeignKey(
        "sales.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    batch = models.CharField(_("batch / lot"), max_length=40, blank=True)
    ordered_from = models.DateField(_("ordered from"), null=True, blank=True)
    ordered_to = models.DateField(_("ordered to"), null=True, blank=True)
    title = models.JSONField(_("title"), default=dict)  # per language
    body = models.JSONField(_("notice"), default=dict)  # per language
    state = models.CharField(
        _("state"), max_length=8, choices=RecallState.choices, default=RecallState.DRAFT
    )
    public = models.BooleanField(_("shown on the public notice page"), default=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("product notice")
        verbose_name_plural = _("product notices")

    def __str__(self) -> str:
        return self.text_in("title", "en")

    def get_absolute_url(self) -> str:
        return reverse("service:recall_detail", args=[self.pk])

    def text_in(self, field: str, language: str) -> str:
        texts: dict[str, str] = getattr(self, field) or {}
        language = (language or "").lower()
        return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "recall_id", "notified_at", "acknowledged_at", "remedy", label=_("product notices")
    ),
    erase=Erase.keep("a safety notice and the customer's answer stay as proof it was given"),
)
class RecallNotice(models.Model):
    """One affected customer of a recall: told once, their acknowledgement and chosen remedy."""

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="notices")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="recall_notices"
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    remedy = models.CharField(_("remedy chosen"), max_length=10, choices=Remedy.choices, blank=True)

    class Meta:
        verbose_name = _("notice to a customer")
        verbose_name_plural = _("notices to customers")
        constraints = [
            models.UniqueConstraint(fields=["recall", "customer"], name="recall_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.recall_id}/{self.customer_id}"


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export("time", "type", "parameters", label=_("service events")),
    erase=Erase.redacting(parameters={}),
)
class ServiceEvent(Event):
    """What happened in after-sales service. Other apps subscribe: surveys send their "after a
    service visit" survey on "visit_done" (parameters: visit, product, department)."""

    SENTENCES: dict[str, Any] = {
        "request_opened": _("Service request opened: %(kind)s."),
        "visit_scheduled": _("Service visit (%(kind)s) scheduled for %(when)s."),
        "visit_done": _("Service visit (%(kind)s) done."),
        "maintenance_due": _("Routine maintenance due on %(due)s."),
        "commitment_made": _("Promised: %(text)s (due %(due)s)."),
        "commitment_kept": _("Promise kept: %(text)s."),
        "commitment_broken": _("Promise broken: %(text)s."),
        "recall_notified": _("Told about the product notice “%(title)s”."),
        "recall_answered": _("Answered the product notice “%(title)s”: %(remedy)s."),
    }

    customer_id = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = _("service event")
        verbose_name_plural = _("service events")


class Article(VersionedModel):
    """A knowledge-base article about a product (use, care, maintenance, FAQ), in several
    languages; public ones are on the public knowledge page."""

    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ArticleKind.choices)
    public = models.BooleanField(_("public"), default=True)
    resolved_count = models.PositiveIntegerField(_("times it resolved a question"), default=0)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        first = self.translations.first()
        return first.title if first else f"#{self.pk}"


class ArticleText(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    # Lower-cased title and body: substring search works for Chinese without word splitting.
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("article text")
        verbose_name_plural = _("article texts")
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="article_text_language")
        ]

    def __str__(self) -> str:
        return self.title


class TrainingSession(VersionedModel):
    """A usage-training session customers are invited to (customer education)."""

    title = models.CharField(_("title"), max_length=200)
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("starts"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("places"), default=20)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self) -> str:
        return self.title


@customer_relation(
    "customer",
    merge=DedupeBy("session", prefer="survivor"),
    export=Export("session_id", "attended", label=_("training sessions")),
    erase=Erase.delete(),
)
class Attendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="training_attendances"
    )
    attended = models.BooleanField(_("attended"), default=False)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["session", "customer"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.customer_id}"
