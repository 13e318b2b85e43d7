"""Complaints (DOMAIN §6): the complaint form, every step as an event row, causes, costed
remedies, approvals and the customer's satisfaction answers."""

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.complaints.choices import (
    Action,
    Category,
    Channel,
    EventType,
    RemedyKind,
    Severity,
    State,
    Target,
    subtype_choices,
)
from rapport.core.fields import MoneyField
from rapport.core.models import Event, TimeStampedModel, VersionedModel
from rapport.core.relations import Erase, Export, Repoint, customer_relation

# The causes every organisation starts with; their names show in each reader's language.
BUILTIN_CAUSES = {
    "material_defect": (Category.PRODUCT_QUALITY, _("Defective material from the supplier")),
    "assembly_error": (Category.PRODUCT_QUALITY, _("Assembly or production error")),
    "wrong_item_shipped": (Category.SALES_CONTRACT, _("Wrong item or quantity shipped")),
    "late_delivery": (Category.SALES_CONTRACT, _("Delivery later than agreed")),
    "billing_error": (Category.SALES_CONTRACT, _("Invoicing or settlement error")),
    "poor_packing": (Category.TRANSPORT, _("Poor packing")),
    "carrier_handling": (Category.TRANSPORT, _("Rough handling by the carrier")),
    "staff_attitude": (Category.SERVICE, _("Staff attitude")),
    "staff_training": (Category.SERVICE, _("Staff not trained for the task")),
    "misunderstanding": ("", _("Misunderstanding, no fault found")),
}


class Cause(TimeStampedModel):
    """A root cause from the managed list, so causes can be counted (the Pareto chart)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cause")
        verbose_name_plural = _("causes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        builtin = BUILTIN_CAUSES.get(self.code)
        return str(builtin[1]) if builtin and self.name == self.code else self.name


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "reference",
        "received_at",
        "channel",
        "category",
        "request",
        "description",
        "subject_text",
        "state",
        "summary",
        "lesson",
        label=_("complaints"),
    ),
    erase=Erase.redacting(description="—", request="", subject_text="", summary="", lesson=""),
)
class Complaint(VersionedModel):
    """One complaint, from the complaint form (step 1) to the evaluation (step 8)."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("complainant"),
        on_delete=models.CASCADE,
        related_name="complaints",
        db_index=False,  # complaint_customer_idx
    )
    received_at = models.DateTimeField(_("received"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    target = models.CharField(
        _("against"), max_length=20, choices=Target.choices, default=Target.FREE_TEXT
    )
    order = models.ForeignKey(
        "sales.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order_line = models.ForeignKey(
        "sales.OrderLine",
        verbose_name=_("order line"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    batch = models.CharField(_("batch / lot"), max_length=40, blank=True)
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject_text = models.CharField(_("what it is about"), max_length=200, blank=True)
    # a record of another app (a service visit), found through rapport.core.registry's linkable
    # records: `target` names the kind, `subject_id` the record
    subject_id = models.BigIntegerField(_("record"), null=True, blank=True)
    # the complainant speaks for this organisation (they are one of its contacts)
    organisation = models.ForeignKey(
        "customers.Organisation",
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    subtype = models.CharField(_("sub-type"), max_length=20, choices=subtype_choices(), blank=True)
    request = models.CharField(_("what the customer asks for"), max_length=500, blank=True)
    description = models.TextField(_("description"))
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.NEW)
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    validity_reason = models.TextField(_("reason for the validity decision"), blank=True)
    cause = models.ForeignKey(
        Cause,
        verbose_name=_("cause"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    cause_note = models.TextField(_("cause details"), blank=True)
    responsible = models.CharField(_("responsible person or unit"), max_length=200, blank=True)
    penalty = models.CharField(_("penalty applied"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    lesson = models.TextField(_("lesson learned"), blank=True)
    recourse = models.TextField(_("recourse told to the customer"), blank=True)
    # Deadlines on the department's working-time clock; due_at is the next one (queues sort by it).
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    decide_due = models.DateTimeField(_("validity decision due"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    waiting_since = models.DateTimeField(_("waiting for the customer since"), null=True, blank=True)
    # Open (not closed, not "not upheld"), kept by the database: the open queues, the overdue tab
    # and the escalation sweep read one index range (active, due_at, id) at any depth.
    active = models.GeneratedField(
        expression=models.Case(
            models.When(state__in=["closed", "not_upheld"], then=models.Value(False)),
            default=models.Value(True),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        permissions = [
            ("approve_complaint", _("Can approve complaint remedies")),
            ("view_complaint_report", _("Can see the complaints dashboard")),
            ("view_all_complaints", _("Can see every department's complaints")),
        ]
        indexes = [
            models.Index(fields=["customer", "-received_at"], name="complaint_customer_idx"),
            models.Index(fields=["due_at", "id"], name="complaint_due_idx"),
            models.Index(fields=["active", "due_at", "id"], name="complaint_open_due_idx"),
            models.Index(fields=["state", "due_at", "id"], name="complaint_state_due_idx"),
            models.Index(fields=["department", "due_at", "id"], name="complaint_dept_due_idx"),
            # the "mine" tab's two ranges: open and assigned to me; open and recorded by me
            models.Index(
                fields=["assignee", "active", "due_at", "id"], name="complaint_assignee_open_idx"
            ),
            # one per queue filter, so a filtered page is a range read at any depth
            models.Index(fields=["category", "due_at", "id"], name="complaint_category_due_idx"),
            models.Index(fields=["channel", "due_at", "id"], name="complaint_channel_due_idx"),
            models.Index(fields=["cause", "due_at", "id"], name="complaint_cause_due_idx"),
            models.Index(fields=["product", "due_at", "id"], name="complaint_product_due_idx"),
            models.Index(
                fields=["created_by", "active", "due_at", "id"], name="complaint_creator_open_idx"
            ),
            models.Index(fields=["product", "batch"], name="complaint_product_batch_idx"),
        ]

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state not in (State.CLOSED, State.NOT_UPHELD)


class EscalatedBreach(models.Model):
    """The deadline last escalated for a complaint (rapport.complaints.escalation), once per
    breach. A narrow table of its own: marking every open complaint at once writes these small
    rows, not the complaint rows with their two dozen indexes."""

    complaint = models.OneToOneField(
        Complaint, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    due_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.due_at:%Y-%m-%d %H:%M}"


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export(
        "time",
        "type",
        "from_state",
        "to_state",
        "parameters",
        label=_("complaint steps"),
        headings={"from_state": _("state before"), "to_state": _("state after")},
        values={"from_state": State, "to_state": State},
    ),
    erase=Erase.redacting(parameters={}),
)
class ComplaintEvent(Event):
    """One step of a complaint (who, when, what, from which state to which): the complaint's own
    timeline, the customer's timeline and every figure on the dashboard are read from these."""

    SENTENCES: dict[str, Any] = {
        EventType.RECORDED: _("Complaint %(reference)s recorded (%(channel)s)."),
        EventType.ACKNOWLEDGED: _("Acknowledgement sent to the customer."),
        EventType.TRANSITION: _("%(action)s: %(from)s → %(to)s."),
        EventType.EDITED: _("Complaint details edited."),
        EventType.ESCALATED: _("Overdue: escalated to %(to)s."),
        EventType.MESSAGE: _("Message from the customer: %(text)s"),
        EventType.SATISFACTION: _(
            "Satisfaction check answered: solved %(solved)s, %(score)s of 5."
        ),
        EventType.NOTICE: _("Notice “%(subject)s” sent to %(count)s buyers."),
    }

    # no index of its own: complaint_event_idx (complaint, time) serves every lookup by complaint,
    # and each event written (250,000 at once by an escalation sweep) updates one index fewer
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    customer_id = models.BigIntegerField(db_index=True)
    action = models.CharField(max_length=20, blank=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    # The figures' columns (rapport.complaints.metrics.stamp): working seconds since receipt,
    # waiting for the customer not counted; the first step of its kind; the first resolution.
    worked = models.BigIntegerField(null=True, blank=True)
    milestone = models.CharField(max_length=12, blank=True, default="")
    resolves = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        indexes = [
            models.Index(fields=["complaint", "time"], name="complaint_event_idx"),
            models.Index(
                fields=["milestone", "worked"],
                condition=~models.Q(milestone=""),
                name="complaint_event_milestone_idx",
            ),
            models.Index(
                fields=["resolves", "worked"],  # the flag too: SQLite then reads the index only
                condition=models.Q(resolves=True),
                name="complaint_event_resolved_idx",
            ),
        ]

    @property
    def worked_hours(self) -> float | None:
        """Working hours from receipt to this step, as the dashboard counts them."""
        return None if self.worked is None else round(self.worked / 3600, 1)

    def display_parameters(self) -> dict[str, Any]:
        params = dict(self.parameters)
        if self.action in Action.values:
            params["action"] = Action(self.action).label
        for key, value in (("from", self.from_state), ("to", self.to_state)):
            if value in State.values:
                params.setdefault(key, State(value).label)
            if self.type == EventType.TRANSITION and value in State.values:
                params[key] = State(value).label
        if "channel" in params and params["channel"] in Channel.values:
            params["channel"] = Channel(params["channel"]).label
        return params


class Remedy(TimeStampedModel):
    """A proposed remedy (step 5): costed, so complaint costs can be reported per customer,
    product and cause, and flow into the analytics' cost to serve."""

    PROPOSED, APPROVED, SENT_BACK, CARRIED_OUT = "proposed", "approved", "sent_back", "carried_out"
    STATES = (
        (PROPOSED, _("proposed")),
        (APPROVED, _("approved")),
        (SENT_BACK, _("sent back")),
        (CARRIED_OUT, _("carried out")),
    )

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="remedies")
    kind = models.CharField(_("remedy"), max_length=20, choices=RemedyKind.choices)
    description = models.CharField(_("description"), max_length=500, blank=True)
    amount = MoneyField(_("amount"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    state = models.CharField(_("state"), max_length=20, choices=STATES, default=PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    carried_out_at = models.DateTimeField(_("carried out"), null=True, blank=True)

    class Meta:
        verbose_name = _("remedy")
        verbose_name_plural = _("remedies")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class Approval(models.Model):
    """A manager's approval of a remedy; level 2 is the higher approval above the limit. One
    per remedy and level (two managers approving at once produce one)."""

    remedy = models.ForeignKey(Remedy, on_delete=models.CASCADE, related_name="approvals")
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            models.UniqueConstraint(fields=["remedy", "level"], name="complaint_one_approval")
        ]

    def __str__(self) -> str:
        return f"{self.remedy_id}/{self.level}"


class Satisfaction(models.Model):
    """The customer's three answers after the remedy (step 7), through a one-time link."""

    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, related_name="satisfaction"
    )
    solved = models.BooleanField(_("problem solved"))
    score = models.PositiveSmallIntegerField(_("satisfaction (1–5)"))
    buy_again = models.BooleanField(_("would buy again"))
    answered_at = models.DateTimeField(_("answered"))

    class Meta:
        verbose_name = _("satisfaction answer")
        verbose_name_plural = _("satisfaction answers")

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.score}"


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "received_at", "from_address", "subject", "body", label=_("incoming complaint mail")
    ),
    erase=Erase.delete(),
)
class InboundMail(models.Model):
    """A mail that came in (piped to `rapport mail receive` or posted to the inbound webhook).
    With a known reference from the complaint's customer it is attached to that complaint; from an
    unknown sender or without a reference it waits as a draft for an agent to record."""

    received_at = models.DateTimeField(_("received"))
    from_address = models.CharField(_("from"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.SET_NULL, related_name="mails"
    )
    handled = models.BooleanField(_("handled"), default=False)

    class Meta:
        verbose_name = _("incoming complaint mail")
        verbose_name_plural = _("incoming complaint mail")
        indexes = [models.Index(fields=["handled", "-received_at"], name="complaint_inbox_idx")]

    def __str__(self) -> str:
        return self.subject or self.from_address


def attachment_path(instance: "Attachment", filename: str) -> str:
    # never the uploader's file name on disk: a random name in a per-complaint folder
    import secrets

    folder = instance.complaint_id or f"inbox-{instance.mail_id}"
    return f"complaints/{folder}/{secrets.token_hex(12)}"


class Attachment(models.Model):
    """A photo, scan or letter of a complaint: type- and size-checked, stored under the data
    folder (MEDIA_ROOT, not served by the web server) and handed out only after a permission
    check."""

    # null while it waits on an incoming mail (`mail`) that no complaint has been recorded from
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    mail = models.ForeignKey(
        InboundMail, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    from_customer = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class DashboardSummary(models.Model):
    """The dashboard's costly tables (handling figures, complaints per 1,000 units, repurchase,
    common problems) as last computed by `rapport.complaints.summary.summary_refresh`, so the page
    reads one row instead of every complaint, order and customer. Aggregates only, never a
    customer's row: nothing to merge, export or erase."""

    computed_at = models.DateTimeField(_("computed"))
    seconds = models.FloatField(_("seconds taken"))
    tables = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("complaints dashboard summary")
        verbose_name_plural = _("complaints dashboard summaries")

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M}"
