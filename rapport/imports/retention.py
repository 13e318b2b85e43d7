"""Retention of imports (called by `rapport.privacy`'s purge): uploaded files and finished jobs'
rows are deleted after RAPPORT_RETENTION_IMPORT_FILES_DAYS / RAPPORT_RETENTION_IMPORT_JOBS_DAYS."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from rapport.imports.choices import ImportStatus
from rapport.imports.models import ImportJob
from rapport.imports.privacy import delete_upload

FINISHED = (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.INVALID)


def _in_media(path: str) -> bool:
    media = Path(settings.MEDIA_ROOT).resolve()
    return bool(path) and Path(path).resolve().is_relative_to(media)


@transaction.atomic
def import_files_purge(*, older_than: datetime) -> int:
    """Delete uploaded files (under MEDIA_ROOT; never a file the command line named) whose newest
    job was created before `older_than` and none of whose jobs is still waiting or running."""
    recent_or_busy = set(
        ImportJob.objects.filter(
            Q(created_at__gte=older_than) | ~Q(status__in=FINISHED)
        ).values_list("file_path", flat=True)
    )
    old = set(
        ImportJob.objects.filter(created_at__lt=older_than)
        .exclude(file_path="")
        .values_list("file_path", flat=True)
    )
    purged = 0
    for path in sorted(old - recent_or_busy):
        if _in_media(path):
            if Path(path).is_file():
                delete_upload(Path(path))
                purged += 1
            ImportJob.objects.filter(file_path=path).update(file_path="")
    return purged


@transaction.atomic
def import_jobs_purge(*, older_than: datetime) -> int:
    """Delete finished jobs (and their events) that finished before `older_than`."""
    jobs = ImportJob.objects.filter(status__in=FINISHED, finished_at__lt=older_than)
    for path in set(jobs.exclude(file_path="").values_list("file_path", flat=True)):
        if (
            _in_media(path)
            and not ImportJob.objects.filter(file_path=path)
            .exclude(pk__in=jobs.values("pk"))
            .exists()
        ):
            delete_upload(Path(path))
    deleted, _by_model = jobs.delete()
    return int(deleted)
