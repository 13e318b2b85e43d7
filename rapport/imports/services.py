"""Imports and exports: what the web pages, the CLI and the task worker call.

An import is a job: created from an uploaded file or a path, then run — inline for small files,
by the task worker for big ones. Running validates every row first and writes nothing unless
the file is valid (or the user chose to import the valid rows only).
"""

import logging
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.imports import progress
from rapport.imports.choices import ImportKind, ImportMode, ImportStatus
from rapport.imports.exports import export_rows  # noqa: F401  (part of this module's interface)
from rapport.imports.importers import MAX_ERRORS, Validation, validate_file, write_validated
from rapport.imports.models import ImportJob
from rapport.imports.readers import UnreadableFile, estimate_rows, file_format

logger = logging.getLogger(__name__)
FINISHED = (ImportStatus.INVALID, ImportStatus.DONE, ImportStatus.FAILED)


def import_job_create(
    *,
    kind: str,
    by: Any,
    uploaded_file: UploadedFile | None = None,
    path: str | Path | None = None,
    mode: str = ImportMode.ALL_OR_NOTHING,
    dry_run: bool = False,
    column_map: dict[str, str] | None = None,
    language: str | None = None,
) -> ImportJob:
    """A pending job for an uploaded file (kept under MEDIA_ROOT/imports) or a file on disk."""
    if (uploaded_file is None) == (path is None):
        raise TypeError("Give either uploaded_file or path.")
    name = uploaded_file.name if uploaded_file is not None else Path(path).name  # type: ignore[arg-type]
    errors: dict[str, list[str]] = {}
    if kind not in ImportKind.values:
        errors["kind"] = [_("“%(value)s” is not one of the choices.") % {"value": kind}]
    if mode not in ImportMode.values:
        errors["mode"] = [_("“%(value)s” is not one of the choices.") % {"value": mode}]
    column_map = column_map or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in column_map.items()):
        errors["column_map"] = [_("The column mapping must name a field for each header.")]
    try:
        file_format(name or "")
    except UnreadableFile as exc:
        errors["file"] = [str(exc)]
    if path is not None and not Path(path).is_file():
        errors["file"] = [_("There is no file “%(path)s”.") % {"path": path}]
    if errors:
        raise ValidationError(errors)
    stored = _store(uploaded_file) if uploaded_file is not None else Path(path).resolve()  # type: ignore[arg-type]
    return ImportJob.objects.create(
        kind=kind,
        file_name=(name or stored.name)[:255],
        file_path=str(stored),
        mode=mode,
        dry_run=dry_run,
        column_map=column_map,
        created_by=by if getattr(by, "is_authenticated", False) else None,
        language=language or translation.get_language() or "",
        total_rows=estimate_rows(stored, name),
    )


def _store(uploaded_file: UploadedFile) -> Path:
    name = get_valid_filename(Path(uploaded_file.name or "upload").name) or "upload"
    saved = default_storage.save(f"imports/{uuid.uuid4().hex}/{name}", uploaded_file)
    return Path(default_storage.path(saved))


def import_job_start(*, job_id: int, background: bool | None = None) -> ImportJob:
    """Run the job now, or hand it to the task worker when the file has more rows than
    settings.RAPPORT_IMPORT_BACKGROUND_ROWS (or `background` says so)."""
    from rapport.imports.tasks import run_import

    job = ImportJob.objects.get(pk=job_id)
    if background is None:
        background = job.total_rows > settings.RAPPORT_IMPORT_BACKGROUND_ROWS
    if not background:
        return import_job_run(job_id=job.pk)
    run_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def import_job_repeat(*, job_id: int, by: Any) -> ImportJob:
    """A new job for a checked file, this time writing (the "Import now" after a check)."""
    job = ImportJob.objects.get(pk=job_id)
    if not Path(job.file_path).is_file():
        raise ValidationError(_("The uploaded file is no longer available: upload it again."))
    return ImportJob.objects.create(
        kind=job.kind,
        file_name=job.file_name,
        file_path=job.file_path,
        mode=job.mode,
        dry_run=False,
        column_map=job.column_map,
        total_rows=job.total_rows,
        language=translation.get_language() or job.language,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )


def import_job_run(*, job_id: int) -> ImportJob:
    """Validate, then write; the job records its status, progress, counts and errors.

    Only a pending job runs: a second call (a retried task, a double click) returns the job as it is.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.VALIDATING, processed_rows=0, updated_at=timezone.now()
    )
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    validation: Validation | None = None
    with translation.override(job.language) if job.language else nullcontext():
        try:
            validation = validate_file(
                kind=job.kind,
                path=job.file_path,
                file_name=job.file_name,
                column_map=job.column_map,
                progress=lambda n: _save_progress(job, n),
                expected_rows=job.total_rows,
            )
            _record_validation(job, validation)
            if validation.fatal or (
                validation.error_count and job.mode == ImportMode.ALL_OR_NOTHING
            ):
                _finish(job, ImportStatus.INVALID)
            elif job.dry_run:
                job.created_count, job.updated_count = validation.to_create, validation.to_update
                _finish(job, ImportStatus.DONE, _("Checked only: nothing was written."))
            else:
                _write(job, validation)
        except Exception as exc:
            logger.exception("Import %s failed", job.pk)
            job.message = _("The import failed and nothing was written: %(reason)s") % {
                "reason": exc
            }
            _finish(job, ImportStatus.FAILED)
        finally:
            if validation is not None:
                validation.close()
            progress.clear(job.pk)
    return job


def _save_progress(job: ImportJob, done: int) -> None:
    job.processed_rows = done
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, updated_at=timezone.now())


def _record_validation(job: ImportJob, validation: Validation) -> None:
    job.total_rows = validation.total_rows
    job.errors = [e.as_dict() for e in validation.errors]
    job.skipped_count = 0 if validation.fatal else len(validation.invalid_rows)
    if plan := validation.plan:
        fields = dict(plan.columns)
        job.columns = [[h, fields.get(i, "")] for i, h in enumerate(plan.headers) if h]
    notes = []
    if validation.plan and validation.plan.unknown:
        notes.append(
            _("Columns not imported: %(columns)s.")
            % {"columns": ", ".join(validation.plan.unknown)}
        )
    if validation.error_count > MAX_ERRORS:
        notes.append(
            _("Only the first %(shown)d of %(count)d problems are listed.")
            % {"shown": MAX_ERRORS, "count": validation.error_count}
        )
    job.message = " ".join(notes)


def _write(job: ImportJob, validation: Validation) -> None:
    job.status, job.processed_rows = ImportStatus.IMPORTING, 0
    job.save(
        update_fields=[
            "status",
            "processed_rows",
            "total_rows",
            "errors",
            "columns",
            "skipped_count",
            "message",
            "updated_at",
        ]
    )
    counts = write_validated(
        validation,
        by=job.created_by or "command line",
        note=f"import {job.file_name}",
        progress=lambda n: progress.report(job.pk, n),
    )
    job.created_count, job.updated_count, job.unchanged_count = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    summary = (
        ngettext("%(n)d row skipped.", "%(n)d rows skipped.", job.skipped_count)
        % {"n": job.skipped_count}
        if job.skipped_count
        else ""
    )
    _finish(job, ImportStatus.DONE, summary)


def _finish(job: ImportJob, status: str, note: str = "") -> None:
    job.status = status
    job.message = " ".join(p for p in (job.message, note) if p)
    job.finished_at = timezone.now()
    if status == ImportStatus.DONE:
        job.processed_rows = job.total_rows
    job.save()


def import_job_progress(job: ImportJob) -> tuple[int, int]:
    """(rows done, rows in all) for the progress bar, while the job runs in another process."""
    if job.status == ImportStatus.IMPORTING:
        done = progress.read(job.pk)
        if done is not None:
            return done, job.total_rows
    return job.processed_rows, job.total_rows
