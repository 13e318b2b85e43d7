from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    READING = "reading", _("reading the file")  # its columns and first rows, by the worker
    PENDING = "pending", _("waiting")
    VALIDATING = "validating", _("validating")
    INVALID = "invalid", _("has errors")
    IMPORTING = "importing", _("importing")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("import only if every row is valid")
    VALID_ONLY = "valid_only", _("import the valid rows, skip the others")


class ImportEventType(models.TextChoices):
    STARTED = "started", _("started")
    CHECKED = "checked", _("checked")
    REFUSED = "refused", _("refused")
    WRITTEN = "written", _("written")
    FAILED = "failed", _("failed")
    STOPPED = "stopped", _("stopped")
