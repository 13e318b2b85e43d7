"""The duplicate review queue, the "not the same person" decisions, and the matcher's events."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.core.models import Event
from rapport.core.relations import Custom, Erase, Export, customer_relation
from rapport.dedupe.choices import DedupeEventType

_DECISION_MERGE = Custom("rapport.dedupe.merging:merge_decisions")


@customer_relation(
    "first",
    merge=Custom("rapport.dedupe.merging:merge_pairs"),
    export=Export.nothing(
        "a proposal computed from the customer file, found again by the next search"
    ),
    erase=Erase.delete(),
)
@customer_relation(
    "second",
    merge=Custom("rapport.dedupe.merging:merge_pairs"),
    export=Export.nothing(
        "a proposal computed from the customer file, found again by the next search"
    ),
    erase=Erase.delete(),
)
class DuplicatePair(models.Model):
    """Two customers who may be one person (`first` has the smaller id), with the matcher's
    score and evidence (codes with parameters; said in words by `evidence.describe`)."""

    first = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    evidence = models.JSONField(_("evidence"), default=list)
    found_at = models.DateTimeField(_("found at"))

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicatepair_uniq")
        ]
        indexes = [models.Index(fields=["-score", "id"], name="duplicatepair_queue_idx")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.score:.1f})"


@customer_relation(
    "first",
    merge=_DECISION_MERGE,
    export=Export(
        "first_id", "second_id", "decided_at", "note", label=_("not-the-same-person decisions")
    ),
    erase=Erase.delete(),
)
@customer_relation(
    "second",
    merge=_DECISION_MERGE,
    export=Export(
        "first_id", "second_id", "decided_at", "note", label=_("not-the-same-person decisions")
    ),
    erase=Erase.delete(),
)
class NotSamePerson(models.Model):
    """Someone decided that two customers are different people: the pair is never proposed again.
    After a merge the decision follows the kept record (rapport.dedupe.merging)."""

    first = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    decided_at = models.DateTimeField(_("decided at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("not-the-same-person decision")
        verbose_name_plural = _("not-the-same-person decisions")
        indexes = [
            models.Index(fields=["first", "second"], name="notsameperson_pair_idx"),
            models.Index(fields=["second"], name="notsameperson_second_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"


class DedupeEvent(Event):
    SENTENCES = {
        DedupeEventType.SEARCHED: _(
            "The duplicate search compared %(customers)s customers and proposed %(pairs)s pairs."
        ),
        DedupeEventType.NOT_SAME: _("%(first)s and %(second)s were marked as different people."),
        DedupeEventType.MERGED: _("%(dropped)s was merged into %(kept)s from the duplicate queue."),
    }

    class Meta:
        verbose_name = _("duplicate-search event")
        verbose_name_plural = _("duplicate-search events")
        ordering = ["-time", "-id"]
