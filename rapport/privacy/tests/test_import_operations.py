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


def test_erasure_redacts_import_messages_and_events_that_quote_the_person(tmp_path, make_customer):
    from rapport.imports.choices import ImportEventType
    from rapport.imports.models import ImportEvent
    from rapport.privacy.services import customer_erase

    customer = make_customer(
        family_name="李", given_name="娜", emails=[{"address": "li.na@example.cn"}]
    )
    job = services.import_job_create(
        kind="customers", by=None, path=_csv(tmp_path, "surname\r\nX\r\n")
    )
    reason = "Failing row contains (李娜, li.na@example.cn)"
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED,
        message=reason,
        errors=[{"row": 2, "column": "email", "message": "li.na@example.cn is taken"}],
    )
    ImportEvent.objects.create(job=job, type=ImportEventType.FAILED, parameters={"reason": reason})
    customer_erase(by=None, customer=customer, reason="asked")
    job.refresh_from_db()
    assert "li.na" not in job.message and "li.na" not in str(job.errors)
    assert job.errors[0]["row"] == 2
    assert "li.na" not in str(ImportEvent.objects.get().parameters)


def test_a_two_character_name_in_an_uploaded_file_is_found(tmp_path, make_customer, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rapport.imports.privacy import person_import_rows
    from rapport.privacy.selectors import person_of

    customer = make_customer(family_name="李", given_name="娜")
    upload = SimpleUploadedFile("p.csv", "姓名,电话\r\n李娜,\r\n王芳,\r\n".encode())
    services.import_job_create(kind="customers", by=None, uploaded_file=upload)
    rows = person_import_rows(person_of(customer))
    assert [r["row"] for r in rows] == [2]


def test_an_import_whose_process_is_gone_is_stopped_at_once(tmp_path):
    import socket
    import subprocess

    from rapport.imports import progress

    gone = subprocess.Popen(["true"])
    gone.wait()
    job = services.import_job_create(
        kind="customers", by=None, path=_csv(tmp_path, "surname\r\nLi\r\n")
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING)
    progress.claim(job.pk)
    fresh = services.import_job_check(ImportJob.objects.get(pk=job.pk))
    assert fresh.status == ImportStatus.IMPORTING  # this process runs it: it goes on
    progress._owner_path(job.pk).write_text(f"{socket.gethostname()} {gone.pid}")
    stopped = services.import_job_check(ImportJob.objects.get(pk=job.pk))
    assert stopped.status == ImportStatus.FAILED  # no ten minutes' wait
    assert not progress._owner_path(job.pk).exists()
