"""Imports and the people in them (issue 10, item 16): a NUL byte is a row error, a failed
command-line import does not print anyone's row, a dead import's task row does not stay running."""

import logging
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.utils import timezone

from rapport.imports import services
from rapport.imports.choices import ImportStatus
from rapport.imports.models import ImportJob

pytestmark = pytest.mark.django_db


def _csv(tmp_path, text: str):
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_a_nul_byte_is_a_row_error_not_a_failed_import(tmp_path):
    path = _csv(tmp_path, "surname,given name\r\nLi,Na\r\nWu,Bo\x00b\r\n")
    job = services.import_job_create(kind="customers", by=None, path=path)
    job = services.import_job_run(job_id=job.pk)
    assert job.status == ImportStatus.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "given name")]
    assert "NUL" in job.errors[0]["message"]


def test_a_failed_command_line_import_does_not_print_a_customers_row(
    tmp_path, monkeypatch, capsys, caplog
):
    path = _csv(tmp_path, "surname,given name,email\r\nSecretfamily,Na,na.secret@example.com\r\n")

    def refuse(*args, **kwargs):
        raise IntegrityError(
            "duplicate key value violates unique constraint\n"
            "DETAIL: Failing row contains (1, Secretfamily, Na, na.secret@example.com)."
        )

    monkeypatch.setattr(services, "_write", refuse)
    monkeypatch.setattr(services, "_run_streaming", refuse)
    with caplog.at_level(logging.INFO), pytest.raises(CommandError):
        call_command("import", "customers", str(path))
    out = capsys.readouterr()
    shown = out.out + out.err + caplog.text
    assert "IntegrityError" in ImportJob.objects.get().message
    assert "Secretfamily" not in shown and "na.secret" not in shown
    assert "Secretfamily" not in ImportJob.objects.get().message


def test_a_dead_imports_task_row_is_marked_failed(tmp_path):
    from django_tasks_db.models import DBTaskResult

    path = _csv(tmp_path, "surname\r\nLi\r\n")
    job = services.import_job_create(kind="customers", by=None, path=path)
    task_row = DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [job.pk], "kwargs": {}},
        task_path="rapport.imports.tasks.run_import",
        backend_name="default",
        queue_name="default",
        priority=0,
        run_after=timezone.now(),
        started_at=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.VALIDATING, updated_at=timezone.now() - timedelta(hours=1)
    )
    job = services.import_job_check(ImportJob.objects.get(pk=job.pk))
    assert job.status == ImportStatus.FAILED
    task_row.refresh_from_db()
    assert task_row.status == "FAILED" and task_row.finished_at is not None
