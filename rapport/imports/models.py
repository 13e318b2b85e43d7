from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.core.models import Event, TimeStampedModel
from rapport.core.registry import import_kinds
from rapport.imports.choices import ImportEventType, ImportMode, ImportStatus


def import_kind_choices() -> list[tuple[str, str]]:
    """The kinds the installed apps registered (rapport.core.registry.register_import_kind)."""
    return [(spec.kind, spec.label) for spec in import_kinds()]


class ImportJob(TimeStampedModel):
    """One uploaded file on its way in: validated first, then written all at once (or not at all)."""

    kind = models.CharField(_("kind"), max_length=20, choices=import_kind_choices)
    file_name = models.CharField(_("file"), max_length=255)
    file_path = models.CharField(max_length=500)
    mode = models.CharField(
        _("mode"), max_length=12, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    dry_run = models.BooleanField(_("check only"), default=False)
    column_map = models.JSONField(_("column mapping"), default=dict, blank=True)
    # choices an import kind reads (customers: what to do with a row that probably is an existing
    # customer, "probable_matches": ask, match, new or skip)
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)  # matched, nothing new
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)  # [{row, column, message}]
    columns = models.JSONField(_("columns"), default=list, blank=True)  # [[header, field or ""]]
    # Read by the task worker before the columns are chosen (no web request opens a file):
    # {"headers": [...], "rows": [[cell text, ...], ...], "unknown": [headers not recognised]}
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)  # of the error messages
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        permissions = [
            ("import_data", _("Can import data from files")),
            ("export_data", _("Can export data to files")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class ImportEvent(Event):
    """What happened to an import job, in order: started, checked, written or refused, failed."""

    SENTENCES = {
        ImportEventType.STARTED: _("The import of %(file)s started (%(rows)s rows)."),
        ImportEventType.CHECKED: _(
            "Every row was checked: %(to_create)s to create, %(to_update)s to update, "
            "%(errors)s problems. Nothing was written."
        ),
        ImportEventType.REFUSED: _("Nothing was written: the file has %(errors)s problems."),
        ImportEventType.WRITTEN: _(
            "Written: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(skipped)s rows skipped."
        ),
        ImportEventType.FAILED: _("The import failed and nothing was written: %(reason)s"),
        ImportEventType.STOPPED: _(
            "The import stopped without finishing (its process ended); nothing was written."
        ),
    }

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("what happened"), max_length=40, choices=ImportEventType.choices)

    class Meta:
        verbose_name = _("import event")
        verbose_name_plural = _("import events")
        ordering = ["time", "id"]

    def display_parameters(self) -> dict[str, object]:
        params = {"file": self.job.file_name if self.job_id else "", **self.parameters}
        return {k: (f"{v:,}" if isinstance(v, int) else v) for k, v in params.items()}
