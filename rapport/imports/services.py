"""Imports and exports: what the web pages, the CLI and the task worker call.

An import is a job: created from an uploaded file or a path, then run — inline for small files,
by the task worker for big ones. Running validates every row first and writes nothing unless
the file is valid (or the user chose to import the valid rows only).
"""

import logging
import traceback
import uuid
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.core.actors import COMMAND_LINE, SCHEDULER, Actor, actor_user
from rapport.core.events import emit
from rapport.core.registry import import_kinds
from rapport.imports import progress
from rapport.imports.choices import ImportEventType, ImportMode, ImportStatus
from rapport.imports.exports import export_rows  # noqa: F401  (part of this module's interface)
from rapport.imports.importers import (
    MAX_ERRORS,
    Validation,
    import_file,
    streams,
    validate_file,
    write_validated,
)
from rapport.imports.mapping import targets_for
from rapport.imports.models import ImportEvent, ImportJob
from rapport.imports.readers import UnreadableFile, estimate_rows, file_format

logger = logging.getLogger(__name__)
MB = 1024 * 1024
FINISHED = (ImportStatus.INVALID, ImportStatus.DONE, ImportStatus.FAILED)
RUNNING = (ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class ImportAbandoned(Exception):
    """The job was declared stopped (no heartbeat for too long) while this process still ran it."""


def import_job_create(
    *,
    kind: str,
    by: Actor,
    uploaded_file: UploadedFile | None = None,
    path: str | Path | None = None,
    mode: str = ImportMode.ALL_OR_NOTHING,
    dry_run: bool = False,
    column_map: dict[str, str] | None = None,
    language: str | None = None,
    options: dict[str, Any] | None = None,
) -> ImportJob:
    """A pending job for an uploaded file (kept under MEDIA_ROOT/imports) or a file on disk."""
    if (uploaded_file is None) == (path is None):
        raise TypeError("Give either uploaded_file or path.")
    name = uploaded_file.name if uploaded_file is not None else Path(path).name  # type: ignore[arg-type]
    errors: dict[str, list[str]] = {}
    specs = {spec.kind: spec for spec in import_kinds()}
    user = actor_user(by)
    if kind not in specs:
        errors["kind"] = [_("“%(value)s” is not one of the choices.") % {"value": kind}]
    elif user is not None and not user.has_perm(specs[kind].import_permission):
        # imports.import_data lets a user import; what they may write is still their role's.
        errors["kind"] = [
            _("You may not import %(kind)s: your role cannot add them.")
            % {"kind": specs[kind].label}
        ]
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
    size = (uploaded_file.size if uploaded_file is not None else None) or 0
    if not size and path is not None and Path(path).is_file():
        size = Path(path).stat().st_size
    if size > (limit := settings.RAPPORT_IMPORT_MAX_UPLOAD_MB) * MB:
        errors["file"] = [
            _("The file is %(size)s MB; at most %(limit)s MB can be imported.")
            % {"size": f"{size / MB:,.1f}", "limit": limit}
        ]
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
        options=options or {},
        created_by=actor_user(by),
        language=language or translation.get_language() or "",
        # A line count for CSV; an Excel file is only opened by the task worker, which counts.
        total_rows=estimate_rows(stored, name) if file_format(name or stored.name) == "csv" else 0,
    )


PREVIEW_ROWS = 3
PREVIEW_CELL = 200  # characters of a cell the mapping page shows


def import_job_read(*, job_id: int, background: bool = True) -> ImportJob:
    """Have the task worker read a pending job's header row and first rows (the job is
    "reading" meanwhile; the mapping page waits for it). No web request opens a spreadsheet."""
    from rapport.imports.tasks import read_import_columns

    ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.READING, preview={}, updated_at=timezone.now()
    )
    if background:
        read_import_columns.enqueue(job_id)
    else:
        import_job_read_columns(job_id=job_id)
    return ImportJob.objects.get(pk=job_id)


def import_job_read_columns(*, job_id: int) -> ImportJob:
    """In the task worker: read the header row and the first PREVIEW_ROWS rows, streaming and
    within the import limits, into job.preview. A file whose columns are all recognised is
    imported at once; otherwise the job waits (pending) for the columns to be chosen. A file
    that cannot be read ends the job with the reason."""
    from itertools import islice

    from rapport.imports.mapping import map_columns
    from rapport.imports.readers import open_table
    from rapport.imports.values import text

    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.READING:
        return job  # read already (a retried task)
    progress.claim(job.pk)  # a worker killed while reading leaves the job to be found stopped
    with translation.override(job.language) if job.language else nullcontext():
        try:
            table = open_table(job.file_path, job.file_name)
            headers = ["" if h is None else str(h) for h in table.headers]
            rows = [
                [text(c)[:PREVIEW_CELL] for c in cells]
                for _row, cells in islice(table.rows, PREVIEW_ROWS)
            ]
            plan = map_columns(job.kind, headers, job.column_map)
        except (UnreadableFile, OSError):
            plan = None
    if plan is None:  # the import says why, as for any file it cannot read
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READING).update(
            status=ImportStatus.PENDING, updated_at=timezone.now()
        )
        return import_job_run(job_id=job.pk)
    preview = {"headers": headers, "rows": rows, "unknown": list(plan.unknown)}
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READING).update(
        status=ImportStatus.PENDING, preview=preview, updated_at=timezone.now()
    )
    if not plan.unknown:  # nothing to choose: import now (we are the worker already)
        return import_job_run(job_id=job.pk)
    return ImportJob.objects.get(pk=job.pk)


def import_job_map_columns(*, job_id: int, column_map: dict[str, str], by: Actor) -> ImportJob:
    """Set the column mapping of a job that has not started ({header: field, or "" to leave the
    column out}); refuses a field the kind does not have."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.PENDING:
        raise ValidationError(_("This import has started already."))
    fields = {t.field for t in targets_for(job.kind)}
    unknown = sorted({f for f in column_map.values() if f and f not in fields})
    if unknown:
        raise ValidationError(
            {
                "column_map": [
                    _("“%(field)s” is not a field you can import here.") % {"field": f}
                    for f in unknown
                ]
            }
        )
    job.column_map = dict(column_map)
    job.save(update_fields=["column_map", "updated_at"])
    return job


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


def import_job_repeat(*, job_id: int, by: Actor) -> ImportJob:
    """A new job for a checked file, this time writing (the "Import now" after a check)."""
    return _job_again(ImportJob.objects.get(pk=job_id), by=by, dry_run=False)


def import_job_retry(*, job_id: int, by: Actor) -> ImportJob:
    """A new waiting job for the file of a job that failed (its worker stopped, say): the same
    kind, mode, check-only choice and column mapping. Start it with import_job_start."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.FAILED:
        raise ValidationError(_("Only a failed import can be run again."))
    return _job_again(job, by=by, dry_run=job.dry_run)


def import_job_decided(
    *, job_id: int, decisions: dict[str, Any], by: Actor, options: dict[str, Any] | None = None
) -> ImportJob:
    """A new waiting job for the file of a job that stopped at rows waiting for a person's
    decision (RowError.review), with the decisions taken ({row number: decision}, added to those
    of earlier rounds; the kind's importer reads them from options["decisions"]) and `options`
    changed as given (what the rows nobody decided about become). It writes
    (never only checks): a decision that no longer holds stops it again before anything is
    written, so the decisions are applied all together or not at all. Start it with
    import_job_start."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.INVALID or not any(e.get("review") for e in job.errors or []):
        raise ValidationError(_("This import is not waiting for decisions."))
    again = _job_again(job, by=by, dry_run=False)
    earlier = (job.options or {}).get("decisions") or {}
    again.options = {
        **(job.options or {}),
        **(options or {}),
        "decisions": {**earlier, **{str(row): d for row, d in decisions.items()}},
    }
    again.save(update_fields=["options", "updated_at"])
    return again


def _job_again(job: ImportJob, *, by: Actor, dry_run: bool) -> ImportJob:
    """A new waiting job for the same file with the same choices (the caller's language)."""
    if not Path(job.file_path).is_file():
        raise ValidationError(_("The uploaded file is no longer available: upload it again."))
    return ImportJob.objects.create(
        kind=job.kind,
        file_name=job.file_name,
        file_path=job.file_path,
        mode=job.mode,
        dry_run=dry_run,
        column_map=job.column_map,
        options=job.options,
        total_rows=job.total_rows,
        language=translation.get_language() or job.language,
        created_by=actor_user(by),
    )


# Heartbeats ---------------------------------------------------------------------------------
#
# A running job shows that its process is alive: while rows are checked the job row's updated_at
# moves with every chunk; during the write (one transaction that other connections cannot look
# into) the progress file is rewritten after every batch. A process that dies — killed, out of
# memory, the machine restarted — leaves its job "validating" or "importing" with a heartbeat that
# no longer moves; its transaction was rolled back, so nothing of it was written.


def stale_after() -> timedelta:
    """How long a running job may go without a heartbeat before it counts as stopped."""
    return timedelta(minutes=getattr(settings, "RAPPORT_IMPORT_STALE_MINUTES", 10))


def import_job_heartbeat(job: ImportJob) -> datetime:
    """When the job's process last showed it was alive."""
    beat = job.updated_at
    written = progress.written_at(job.pk)
    return max(beat, written) if written is not None else beat


def import_job_is_stale(job: ImportJob, *, now: datetime | None = None) -> bool:
    """A running job whose process is gone (on this machine), or whose heartbeat stopped for
    RAPPORT_IMPORT_STALE_MINUTES (its process ran elsewhere)."""
    if job.status == ImportStatus.READING:
        # Waiting in the task queue is not stopping: only a reading that started (its process
        # noted) and whose process is gone, or that went silent, has stopped.
        return progress.claimed(job.pk) and (
            (now or timezone.now()) - import_job_heartbeat(job) > stale_after()
            or progress.owner_gone(job.pk)
        )
    return job.status in RUNNING and (
        (now or timezone.now()) - import_job_heartbeat(job) > stale_after()
        or progress.owner_gone(job.pk)
    )


def import_job_check(job: ImportJob) -> ImportJob:
    """The job, marked failed if its process stopped without finishing it (see above). Pages and
    commands that show a job call this, so a dead job is reported and can be run again."""
    if not import_job_is_stale(job):
        return job
    try:
        stopped = ImportJob.objects.filter(
            pk=job.pk, status=job.status, updated_at=job.updated_at
        ).update(
            status=ImportStatus.FAILED,
            message=_(
                "The import stopped without finishing: the process running it ended. Nothing "
                "was written. Run it again."
            ),
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    except DatabaseError:  # SQLite: someone holds the write lock, so the import is writing
        return job
    if stopped:
        progress.clear(job.pk)
        _task_rows_stopped(job.pk)
        emit(ImportEvent, by=SCHEDULER, type=ImportEventType.STOPPED, job=job)
        logger.warning("Import %s had no heartbeat since %s: marked failed", job.pk, job.updated_at)
    job.refresh_from_db()
    return job


class ImportProcessEnded(Exception):
    """The process running an import ended without finishing it (killed, out of memory)."""


def _task_rows_stopped(job_id: int) -> None:
    """The task worker's row of a job whose process died stays "running" for ever (nobody is
    left to finish it): mark it failed too, so the task list tells the truth."""
    from django_tasks_db.models import DBTaskResult

    paths = [f"{__package__}.tasks.run_import", f"{__package__}.tasks.read_import_columns"]
    for row in DBTaskResult.objects.running().filter(task_path__in=paths):
        if (row.args_kwargs or {}).get("args") == [job_id]:
            row.set_failed(ImportProcessEnded(f"import {job_id}: its process ended"))


def import_jobs_check(jobs: Any) -> None:
    """import_job_check for each job of a list (in place)."""
    now = timezone.now()
    for job in jobs:
        if import_job_is_stale(job, now=now):
            fresh = import_job_check(job)
            job.status, job.message, job.finished_at = (
                fresh.status,
                fresh.message,
                fresh.finished_at,
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
    progress.claim(job.pk)
    emit(
        ImportEvent,
        by=job.created_by or COMMAND_LINE,
        type=ImportEventType.STARTED,
        job=job,
        parameters={"rows": job.total_rows},
    )
    validation: Validation | None = None
    failure: tuple[str, str] | None = None
    with translation.override(job.language) if job.language else nullcontext():
        try:
            if not job.dry_run and streams(job.kind):
                _run_streaming(job)
                return job
            validation = validate_file(
                kind=job.kind,
                path=job.file_path,
                file_name=job.file_name,
                column_map=job.column_map,
                options=job.options,
                progress=lambda n: _save_progress(job, n),
                expected_rows=job.total_rows,
            )
            _record_validation(job, validation)
            if (
                validation.fatal
                or validation.undecided
                or (validation.error_count and job.mode == ImportMode.ALL_OR_NOTHING)
            ):
                _finish(job, ImportStatus.INVALID)
            elif job.dry_run:
                job.created_count, job.updated_count = validation.to_create, validation.to_update
                _finish(job, ImportStatus.DONE, _("Checked only: nothing was written."))
            else:
                _write(job, validation)
        except ImportAbandoned:
            logger.warning("Import %s was declared stopped while it ran: rolled back", job.pk)
            job.refresh_from_db()
        except Exception as exc:
            # A database message quotes the row it refused (a customer's data): neither the job,
            # the terminal nor the log gets it — the kind of error and where it happened do (and
            # only after the handler, so nothing prints the exception with its message).
            failure = (exc.__class__.__name__, "".join(traceback.format_tb(exc.__traceback__)))
        finally:
            if validation is not None:
                validation.close()
            progress.clear(job.pk)
        if failure is not None:
            logger.error("Import %s failed: %s\n%s", job.pk, *failure)
            job.message = _(
                "The import failed and nothing was written: %(reason)s. The server log says "
                "where; the file's rows are not repeated there."
            ) % {"reason": failure[0]}
            _finish(job, ImportStatus.FAILED)
    return job


def _run_streaming(job: ImportJob) -> None:
    """Check and write at once (rapport.imports.importers.import_file): rows are written while
    later rows are still checked, in one transaction that commits only if the file is fine.

    The job row is not touched while the transaction is open (on PostgreSQL that would lock it
    against the pages that look at it): progress and heartbeat go to the progress file."""
    progress.report(job.pk, 0)

    def still_ours() -> None:
        if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.VALIDATING).exists():
            raise ImportAbandoned

    validation, counts = import_file(
        kind=job.kind,
        path=job.file_path,
        file_name=job.file_name,
        column_map=job.column_map,
        options=job.options,
        all_or_nothing=job.mode == ImportMode.ALL_OR_NOTHING,
        by=job.created_by or COMMAND_LINE,
        note=f"import {job.file_name}",
        progress=lambda n: progress.report(job.pk, n),
        before_commit=still_ours,
        expected_rows=job.total_rows,
    )
    try:
        _record_validation(job, validation)
        if counts is None:
            _finish(job, ImportStatus.INVALID)
            return
        job.created_count, job.updated_count, job.unchanged_count = (
            counts.created,
            counts.updated,
            counts.unchanged,
        )
        _finish(job, ImportStatus.DONE, _skipped_note(job))
    finally:
        validation.close()


def _skipped_note(job: ImportJob) -> str:
    if not job.skipped_count:
        return ""
    return ngettext("%(n)d row skipped.", "%(n)d rows skipped.", job.skipped_count) % {
        "n": job.skipped_count
    }


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
            ngettext(
                "Only the first %(shown)d of %(count)d problem are listed.",
                "Only the first %(shown)d of %(count)d problems are listed.",
                validation.error_count,
            )
            % {"shown": MAX_ERRORS, "count": validation.error_count}
        )
    job.message = " ".join(notes)


def _write(job: ImportJob, validation: Validation) -> None:
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.VALIDATING).update(
        status=ImportStatus.IMPORTING, updated_at=timezone.now()
    )
    if not claimed:  # declared stopped meanwhile
        raise ImportAbandoned
    job.status, job.processed_rows = ImportStatus.IMPORTING, 0
    job.save(
        update_fields=[
            "processed_rows",
            "total_rows",
            "errors",
            "columns",
            "skipped_count",
            "message",
            "updated_at",
        ]
    )
    progress.report(job.pk, 0)  # the heartbeat while the transaction is open

    def still_ours() -> None:
        """Before the commit: if the job was declared stopped meanwhile (and maybe started again),
        roll back rather than write the file a second time."""
        if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).exists():
            raise ImportAbandoned

    counts = write_validated(
        validation,
        by=job.created_by or COMMAND_LINE,
        note=f"import {job.file_name}",
        progress=lambda n: progress.report(job.pk, n),
        before_commit=still_ours,
    )
    job.created_count, job.updated_count, job.unchanged_count = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    _finish(job, ImportStatus.DONE, _skipped_note(job))


def _finish(job: ImportJob, status: str, note: str = "") -> None:
    job.status = status
    job.message = " ".join(p for p in (job.message, note) if p)
    job.finished_at = timezone.now()
    if status == ImportStatus.DONE:
        job.processed_rows = job.total_rows
    job.save()
    kind, parameters = _outcome(job)
    emit(ImportEvent, by=job.created_by or COMMAND_LINE, type=kind, job=job, parameters=parameters)


def _outcome(job: ImportJob) -> tuple[str, dict[str, Any]]:
    """The event that tells how a finished job ended, with its figures."""
    errors = len(job.errors) if job.errors else job.skipped_count
    if job.status == ImportStatus.FAILED:
        return ImportEventType.FAILED, {"reason": job.message}
    if job.status == ImportStatus.INVALID:
        return ImportEventType.REFUSED, {"errors": errors}
    if job.dry_run:
        return ImportEventType.CHECKED, {
            "to_create": job.created_count,
            "to_update": job.updated_count,
            "errors": errors,
        }
    return ImportEventType.WRITTEN, {
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "skipped": job.skipped_count,
    }


def import_job_progress(job: ImportJob) -> tuple[int, int]:
    """(rows done, rows in all) for the progress bar, while the job runs in another process.

    While a transaction is open (the write; a customer import's check-and-write) the count is in
    the progress file, else on the job row."""
    if job.status in RUNNING:
        done = progress.read(job.pk)
        if done is not None:
            return done, job.total_rows
    return job.processed_rows, job.total_rows
