"""Import results a person can read, and columns chosen from a drop-down with a preview."""

import pytest
from django.urls import reverse

from rapport.customers.models import Customer
from rapport.imports.choices import ImportStatus
from rapport.imports.models import ImportJob
from rapport.tests.imports.test_views import upload

pytestmark = pytest.mark.django_db


def test_unrecognised_columns_are_chosen_from_translated_fields_with_a_preview(manager_client):
    rows = [["Příjmení", "Handy", "Firma"], ["Novák", "+421 905 123 456", "Acme"]]
    response = upload(manager_client, rows=rows)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:mapping", args=[job.pk])
    assert job.status == ImportStatus.PENDING and not Customer.objects.exists()
    # The job waits: its page leads back to the mapping.
    assert manager_client.get(reverse("imports:detail", args=[job.pk]))["Location"] == (
        reverse("imports:mapping", args=[job.pk])
    )
    page = manager_client.get(reverse("imports:mapping", args=[job.pk])).content.decode()
    assert "+421 905 123 456" in page  # the preview of the first rows
    assert ">Family name<" in page and ">Phone<" in page and "do not import" in page
    response = manager_client.post(
        reverse("imports:mapping", args=[job.pk]),
        {"column-0": "family_name", "column-1": "phone", "column-2": ""},
    )
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    novak = Customer.objects.get()
    assert novak.family_name == "Novák" and novak.phones.get().number == "+421905123456"
    result = manager_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Firma" in result and "not imported" in result


def test_a_file_whose_columns_are_all_known_imports_at_once(manager_client):
    response = upload(manager_client)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:detail", args=[job.pk])


def test_the_same_error_on_many_rows_is_shown_once_with_the_rows(manager_client):
    rows = [["family name", "given name", "birthday"]]
    rows += [[f"Novák{n}", "Ján", "not a date"] for n in range(40)]
    rows += [["Kováč", "Eva", "1985-05-14"], ["Horák", "Jozef", "not a date"]]
    upload(manager_client, rows=rows)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID and len(job.errors) == 41
    html = manager_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert html.count("Enter a valid date.") == 1
    assert "2–41, 43" in html and "41 rows" in html


def test_the_mapping_page_waits_for_the_worker_to_read_the_columns(
    manager_client, settings, monkeypatch, write_xlsx
):
    """Item 1: no web request parses a spreadsheet — not even its header row. The worker reads
    the columns and the first rows; the mapping page polls (htmx) until they are there."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rapport.imports import readers
    from rapport.imports.services import import_job_read_columns

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    real = readers.open_table

    def forbidden(*args, **kwargs):
        raise AssertionError("a web request opened the uploaded file")

    monkeypatch.setattr(readers, "open_table", forbidden)
    path = write_xlsx([["Příjmení", "Handy"], ["Novák", "+421 905 123 456"]])
    response = manager_client.post(
        reverse("imports:list"),
        {
            "kind": "customers",
            "mode": "all",
            "file": SimpleUploadedFile("c.xlsx", path.read_bytes()),
        },
    )
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.READING and not job.preview
    url = reverse("imports:mapping", args=[job.pk])
    assert response["Location"] == url
    page = manager_client.get(url).content.decode()
    assert "Reading the columns and the first rows of c.xlsx" in page and 'hx-get="' + url in page
    poll = manager_client.get(url, headers={"HX-Request": "true"})
    assert poll.status_code == 200 and 'id="reading"' in poll.content.decode()

    # the task worker reads it (streaming, within the limits)
    monkeypatch.setattr(readers, "open_table", real)
    import_job_read_columns(job_id=job.pk)
    monkeypatch.setattr(readers, "open_table", forbidden)
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING
    assert job.preview["headers"] == ["Příjmení", "Handy"]
    assert job.preview["rows"] == [["Novák", "+421 905 123 456"]]

    poll = manager_client.get(url, headers={"HX-Request": "true"})
    assert poll["HX-Redirect"] == url  # the columns are there: the whole page
    page = manager_client.get(url).content.decode()
    assert "+421 905 123 456" in page and "do not import" in page
    response = manager_client.post(url, {"column-0": "family_name", "column-1": "phone"})
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    job.refresh_from_db()
    assert job.column_map == {"Příjmení": "family_name", "Handy": "phone"}
    assert job.status == ImportStatus.PENDING  # queued for the worker, which imports it


def test_a_file_whose_columns_are_all_known_goes_from_reading_to_the_import(
    manager_client, settings
):
    from rapport.imports.services import import_job_read_columns

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    response = upload(manager_client, rows=[["surname", "given name"], ["Lee", "Ann"]])
    job = ImportJob.objects.get()
    url = reverse("imports:mapping", args=[job.pk])
    assert response["Location"] == url and job.status == ImportStatus.READING
    import_job_read_columns(job_id=job.pk)  # the worker: nothing to choose, so it imports
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and Customer.objects.get().family_name == "Lee"
    poll = manager_client.get(url, headers={"HX-Request": "true"})
    assert poll["HX-Redirect"] == reverse("imports:detail", args=[job.pk])
    assert manager_client.get(reverse("imports:detail", args=[job.pk])).status_code == 200


def test_a_worker_killed_while_reading_the_file_is_reported_not_waited_for(
    manager_client, settings, tmp_path
):
    import socket
    import subprocess
    import sys
    from datetime import timedelta

    from django.utils import timezone

    from rapport.imports import progress

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    upload(manager_client, rows=[["Příjmení", "Handy"], ["Novák", "+421 905 123 456"]])
    job = ImportJob.objects.get()
    url = reverse("imports:mapping", args=[job.pk])
    # Queued an hour ago and not taken by the worker yet: still waiting, not stopped.
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    poll = manager_client.get(url, headers={"HX-Request": "true"})
    assert 'id="reading"' in poll.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.READING
    # The worker took it, then was killed (kill -9) while reading.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    progress.claim(job.pk)
    progress._owner_path(job.pk).write_text(f"{socket.gethostname()} {dead.stdout.strip()}")
    poll = manager_client.get(url, headers={"HX-Request": "true"})
    assert poll["HX-Redirect"] == reverse("imports:detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "process running it ended" in job.message
    page = manager_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert reverse("imports:retry", args=[job.pk]) in page
