"""Surveys, the invitations that ask one customer (one private link each), their answers, the
follow-up tasks a dissatisfied answer opens, and the suggestions that become product ideas."""

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from rapport.core.models import Event, TimeStampedModel, VersionedModel
from rapport.core.relations import Erase, Export, Repoint, customer_relation
from rapport.surveys.choices import (
    FollowUpState,
    GapLabel,
    IdeaStatus,
    InvitationState,
    Measure,
    QuestionKind,
    Theme,
    Trigger,
)


class Survey(VersionedModel):
    name = models.CharField(_("name"), max_length=200)
    # A built-in survey's code ("complaint_check": a complaint's satisfaction check); blank for
    # the surveys people build.
    code = models.CharField(max_length=40, blank=True, default="")
    # What the customer sees, per language: {"en": "…", "zh-hant": "…"}; the name when missing.
    title = models.JSONField(_("title shown to the customer"), default=dict, blank=True)
    intro = models.JSONField(_("introduction"), default=dict, blank=True)
    trigger = models.CharField(
        _("sent"), max_length=20, choices=Trigger.choices, default=Trigger.MANUAL
    )
    # The customer-list filters of the audience, for a survey sent to a saved filter.
    audience = models.JSONField(_("audience (customer filters)"), default=dict, blank=True)
    channel = models.CharField(_("channel"), max_length=10, default="email")
    active = models.BooleanField(_("active"), default=True)
    allow_changes = models.BooleanField(_("answers may be changed after submitting"), default=False)
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind after (days; 0 for no reminder)"), default=3
    )
    valid_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=30)
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("department for follow-ups"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    follow_up_hours = models.PositiveSmallIntegerField(
        _("follow-up within (working hours)"), default=8
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="survey_builtin_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("surveys:survey_detail", args=[self.pk])

    def title_in(self, language: str) -> str:
        return _in_language(self.title, language) or self.name

    def intro_in(self, language: str) -> str:
        return _in_language(self.intro, language)


def _in_language(texts: dict[str, str], language: str) -> str:
    language = (language or "").lower()
    return (
        texts.get(language)
        or texts.get(language.split("-")[0])
        or texts.get("en")
        or next(iter(texts.values()), "")
    )


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    # A built-in survey's question code ("solved", "score", "buy_again"); blank otherwise.
    code = models.CharField(max_length=20, blank=True, default="")
    text = models.JSONField(_("question"), default=dict)  # per language
    # For paired questions: quality, price, delivery, staff, after_sales or the organisation's own.
    attribute = models.CharField(_("attribute"), max_length=40, blank=True)
    measure = models.CharField(
        _("measures"), max_length=10, choices=Measure.choices, blank=True, default=""
    )
    # Choice questions: [{"en": "…", "zh-hans": "…"}, …]; the answer stores the index.
    options = models.JSONField(_("options"), default=list, blank=True)
    scale_max = models.PositiveSmallIntegerField(_("scale top (paired)"), default=7)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text_in("en")

    def text_in(self, language: str) -> str:
        return _in_language(self.text, language)

    def options_in(self, language: str) -> list[str]:
        return [_in_language(o, language) if isinstance(o, dict) else str(o) for o in self.options]

    @property
    def scale_range(self) -> range:
        if self.kind == QuestionKind.SCALE_5:
            return range(1, 6)
        if self.kind == QuestionKind.SCALE_7:
            return range(1, 8)
        if self.kind == QuestionKind.NPS:
            return range(0, 11)
        if self.kind == QuestionKind.PAIRED:
            return range(1, self.scale_max + 1)
        return range(0)


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "survey_id",
        "state",
        "created_at",
        "answered_at",
        label=_("survey invitations"),
        headings={"survey_id": _("survey")},
    ),
    erase=Erase.delete(),
)
class Invitation(models.Model):
    """One customer asked once to answer one survey, about one thing (an order, a visit, a
    complaint, or nothing for a survey sent to a filter)."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    # Unique per survey, source and customer it was made for: a re-run trigger asks nobody twice.
    key = models.CharField(max_length=120, unique=True)
    source_type = models.CharField(max_length=40, blank=True)  # "sales.order", "service.visit"
    source_id = models.BigIntegerField(null=True, blank=True)
    product = models.ForeignKey(
        "sales.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department_id = models.BigIntegerField(null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=InvitationState.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    link_id = models.BigIntegerField(null=True, blank=True)  # the current portal link
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [
            models.Index(fields=["state", "created_at"], name="survey_invitation_state_idx"),
            models.Index(fields=["source_type", "source_id"], name="survey_invitation_src_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.customer_id}"


class Response(models.Model):
    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    submitted_at = models.DateTimeField(_("submitted at"))
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"response {self.pk}"


CELL_FIELDS = (
    "answered_at",
    "response",
    "question",
    "survey",
    "attribute",
    "product",
    "department_id",
    "month",
    "kind",
    "measure",
    "value",
    "label",
    "expectation",
    "experience",
    "gap",
)


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "survey_id",
        "attribute",
        "value",
        "expectation",
        "experience",
        "gap",
        "label",
        "text",
        "answered_at",
        label=_("survey answers"),
        headings={"survey_id": _("survey")},
    ),
    erase=Erase.delete(),
)
class Answer(models.Model):
    """One answer to one question. Survey, customer, product, attribute and time are copied from
    the invitation so the dashboard reads one table."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_answers"
    )
    product = models.ForeignKey(
        "sales.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    measure = models.CharField(max_length=10, blank=True)
    attribute = models.CharField(_("attribute"), max_length=40, blank=True)
    answered_at = models.DateTimeField(_("answered at"))
    month = models.DateField(_("month"))  # first day of answered_at's month (local time)
    value = models.SmallIntegerField(_("value"), null=True, blank=True)  # scale, NPS, one choice
    choices = models.JSONField(_("choices"), default=list, blank=True)  # multiple choice
    text = models.TextField(_("text"), blank=True)
    expectation = models.SmallIntegerField(_("expectation"), null=True, blank=True)
    experience = models.SmallIntegerField(_("experience"), null=True, blank=True)
    gap = models.SmallIntegerField(_("gap"), null=True, blank=True)  # experience − expectation
    label = models.CharField(_("label"), max_length=12, choices=GapLabel.choices, blank=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        indexes = [
            # The answers of a period, counted from the index alone (the dashboard's partial
            # months; on PostgreSQL all but the time are INCLUDE columns: migration 0004).
            models.Index(fields=[*CELL_FIELDS], name="survey_answer_cells"),
            models.Index(fields=["survey", "answered_at"], name="survey_answer_survey_idx"),
            models.Index(fields=["attribute", "answered_at"], name="survey_answer_attr_idx"),
            models.Index(fields=["product", "answered_at"], name="survey_answer_product_idx"),
            models.Index(fields=["month"], name="survey_answer_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value}"


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("state", "due_at", "note", "created_at", label=_("survey follow-ups")),
    erase=Erase.redacting(note=""),
)
class FollowUp(VersionedModel):
    """A dissatisfied answer: an agent calls the customer back before `due_at` (working time)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_follow_ups"
    )
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="follow_ups")
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "staff.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300)
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(
        _("state"), max_length=8, choices=FollowUpState.choices, default=FollowUpState.OPEN
    )
    note = models.TextField(_("outcome"), blank=True)
    complaint_requested = models.BooleanField(_("customer asks for a complaint"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey follow-up")
        verbose_name_plural = _("survey follow-ups")
        indexes = [models.Index(fields=["state", "due_at"], name="survey_followup_queue_idx")]

    def __str__(self) -> str:
        return self.reason_display

    @property
    def reason_display(self) -> str:
        """The reasons in words: "dissatisfied with delivery, low overall satisfaction"."""
        from rapport.surveys.choices import Attribute

        names = dict(Attribute.choices)
        words = []
        for code in filter(None, self.reason.split(",")):
            if code == "csat":
                words.append(str(_("low overall satisfaction")))
            elif code == "complaint":
                words.append(str(_("the customer asks for a complaint")))
            else:
                words.append(
                    str(_("dissatisfied with %(attribute)s") % {"attribute": names.get(code, code)})
                )
        return ", ".join(words)


class ProductIdea(VersionedModel):
    """Customers' suggestions turned into product development, with a status."""

    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=12, choices=Theme.choices)
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=14, choices=IdeaStatus.choices, default=IdeaStatus.NEW
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("product idea")
        verbose_name_plural = _("product ideas")

    def __str__(self) -> str:
        return self.title


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("theme", "text", "created_at", label=_("suggestions")),
    erase=Erase.redacting(text=""),
)
class Suggestion(TimeStampedModel):
    """A free-text comment from a survey, routed by theme to a department."""

    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_suggestions",
    )
    answer = models.OneToOneField(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="suggestion"
    )
    text = models.TextField(_("text"))
    theme = models.CharField(_("theme"), max_length=12, choices=Theme.choices)
    department = models.ForeignKey(
        "staff.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idea = models.ForeignKey(
        ProductIdea,
        verbose_name=_("product idea"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        indexes = [models.Index(fields=["theme", "created_at"], name="survey_suggestion_theme_idx")]

    def __str__(self) -> str:
        return self.text[:60]


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export("time", "type", "parameters", label=_("survey events")),
    erase=Erase.redacting(parameters={}),
)
class SurveyEvent(Event):
    SENTENCES: dict[str, Any] = {
        "invited": _("Asked to answer the survey “%(survey)s”."),
        "not_asked": _("Not asked to answer the survey “%(survey)s”: %(reason)s"),
        "reminded": _("Reminded once about the survey “%(survey)s”."),
        "answered": _("Answered the survey “%(survey)s”."),
        "changed": _("Changed the answers to the survey “%(survey)s”."),
        "follow_up": _("A dissatisfied answer opened a follow-up, due %(due)s."),
        "follow_up_done": _("Follow-up done: %(note)s"),
        "complaint_requested": _("The customer asked for the follow-up to become a complaint."),
    }

    customer_id = models.BigIntegerField(db_index=True)
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )

    class Meta:
        verbose_name = _("survey event")
        verbose_name_plural = _("survey events")


class AnswerSummary(models.Model):
    """The satisfaction dashboard's roll-up: how many answers, and the sums of their expectation,
    experience and gap, per survey, question kind, measure, value and label, at several grains
    (`grain`: which of attribute, product, department and month the row is kept per; a dimension
    outside the grain holds its "any" value). Written by `rapport.surveys.summary` whenever an
    answer is stored, changed or goes; rebuilt from the answers by `rapport surveys_summary`.
    Nothing personal: no customer, no text."""

    grain = models.PositiveSmallIntegerField()
    month = models.DateField()  # summary.ANY_MONTH outside the grain
    survey_id = models.BigIntegerField()
    attribute = models.CharField(max_length=40, blank=True)
    product_id = models.BigIntegerField(default=0)  # 0: no product, or outside the grain
    department_id = models.BigIntegerField(default=0)  # 0: no department, or outside the grain
    kind = models.CharField(max_length=10)
    measure = models.CharField(max_length=10, blank=True)
    value = models.SmallIntegerField(default=-1)  # -1: no value (paired, text, several choices)
    label = models.CharField(max_length=12, blank=True)
    n = models.BigIntegerField(default=0)
    gap_n = models.BigIntegerField(default=0)  # answers with a gap (paired, both sides given)
    sum_expectation = models.BigIntegerField(default=0)
    sum_experience = models.BigIntegerField(default=0)
    sum_gap = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("satisfaction summary row")
        verbose_name_plural = _("satisfaction summary rows")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "grain",
                    "month",
                    "survey_id",
                    "attribute",
                    "product_id",
                    "department_id",
                    "kind",
                    "measure",
                    "value",
                    "label",
                ],
                name="survey_summary_key",
            )
        ]
        indexes = [
            models.Index(fields=["grain", "product_id", "month"], name="survey_summary_product"),
            models.Index(
                fields=["grain", "department_id", "month"], name="survey_summary_department"
            ),
            models.Index(fields=["grain", "attribute", "month"], name="survey_summary_attribute"),
        ]

    def __str__(self) -> str:
        return f"{self.grain}/{self.month}/{self.kind}/{self.value}: {self.n}"
