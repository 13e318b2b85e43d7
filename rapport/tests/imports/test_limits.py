"""Bounded imports (issue 10, item 1): no web request reads a spreadsheet, and files beyond the
upload, unpacked-size, row, column or cell-length limits are refused with a message naming it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rapport.customers.models import Customer
from rapport.imports.choices import ImportStatus
from rapport.imports.models import ImportJob

pytestmark = pytest.mark.django_db


def _message(job) -> str:
    return " ".join(e["message"] for e in job.errors) + " " + (job.message or "")


def test_no_web_request_opens_a_spreadsheet(manager_client, write_xlsx, settings, monkeypatch):
    """The upload only stores the file and queues the job; the worker reads it."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    import openpyxl
    import openpyxl.reader.excel

    def forbidden(*args, **kwargs):
        raise AssertionError("a web request opened the spreadsheet")

    monkeypatch.setattr(openpyxl, "load_workbook", forbidden)
    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", forbidden)
    path = write_xlsx([["surname", "email"], ["Lee", "lee@x.com"]])
    response = manager_client.post(
        reverse("imports:list"),
        {
            "kind": "customers",
            "mode": "all",
            "file": SimpleUploadedFile("c.xlsx", path.read_bytes()),
        },
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PENDING
    manager_client.get(response["Location"])  # the result page does not read it either


def test_an_excel_file_that_unpacks_too_big_is_refused_unopened(
    write_xlsx, run_import, settings, monkeypatch
):
    settings.RAPPORT_IMPORT_MAX_UNPACKED_MB = 1
    rows = [["surname", "notes"]] + [[f"Lee{i}", "x" * 50] for i in range(30_000)]
    path = write_xlsx(rows)
    assert path.stat().st_size < 1024 * 1024  # small on disk: it is the unpacked size that counts
    import openpyxl.reader.excel

    def forbidden(*args, **kwargs):
        raise AssertionError("the package was opened before its size was checked")

    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", forbidden)
    monkeypatch.setattr("openpyxl.load_workbook", forbidden)
    job = run_import("customers", path)
    assert job.status == ImportStatus.INVALID
    assert "at most 1 MB can be imported" in _message(job)
    assert not Customer.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_too_many_rows_are_refused_and_nothing_is_written(
    fmt, write_csv, write_xlsx, run_import, settings
):
    settings.RAPPORT_IMPORT_MAX_ROWS = 3
    rows = [["surname", "email"]] + [[f"Lee{i}", f"lee{i}@x.com"] for i in range(4)]
    job = run_import("customers", (write_csv if fmt == "csv" else write_xlsx)(rows))
    assert job.status == ImportStatus.INVALID
    assert "more than 3 rows" in _message(job)
    assert not Customer.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_too_many_columns_are_refused(fmt, write_csv, write_xlsx, run_import, settings):
    settings.RAPPORT_IMPORT_MAX_COLUMNS = 3
    rows = [["surname", "email", "notes", "hobbies"], ["Lee", "lee@x.com", "", ""]]
    job = run_import("customers", (write_csv if fmt == "csv" else write_xlsx)(rows))
    assert job.status == ImportStatus.INVALID
    assert "4 columns; at most 3" in _message(job)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_too_long_cell_is_refused_naming_its_row(
    fmt, write_csv, write_xlsx, run_import, settings
):
    settings.RAPPORT_IMPORT_MAX_CELL_LENGTH = 100
    rows = [["surname", "notes"], ["Lee", "ok"], ["Wang", "x" * 101]]
    job = run_import("customers", (write_csv if fmt == "csv" else write_xlsx)(rows))
    assert job.status == ImportStatus.INVALID
    message = _message(job)
    assert "Row 3" in message and "at most 100" in message
    assert not Customer.objects.exists()


def test_an_upload_over_the_size_limit_is_refused_on_the_form(manager_client, settings):
    settings.RAPPORT_IMPORT_MAX_UPLOAD_MB = 1
    big = b"surname\n" + b"Lee\n" * 300_000  # 1.2 MB
    response = manager_client.post(
        reverse("imports:list"),
        {"kind": "customers", "mode": "all", "file": SimpleUploadedFile("c.csv", big)},
    )
    assert response.status_code == 200
    assert "at most 1 MB can be imported" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_limits_have_documented_defaults():
    from pathlib import Path

    from django.conf import settings

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    for name in (
        "RAPPORT_IMPORT_MAX_UPLOAD_MB",
        "RAPPORT_IMPORT_MAX_UNPACKED_MB",
        "RAPPORT_IMPORT_MAX_ROWS",
        "RAPPORT_IMPORT_MAX_COLUMNS",
        "RAPPORT_IMPORT_MAX_CELL_LENGTH",
    ):
        assert getattr(settings, name) > 0 and name in readme, name


def test_a_nul_byte_in_a_cell_is_a_row_error_naming_the_column(write_csv, run_import):
    from rapport.imports.choices import ImportMode

    path = write_csv([["surname", "notes"], ["Lee", "fine"], ["Wang", "bad\x00note"]])
    job = run_import("customers", path, mode=ImportMode.VALID_ONLY)
    assert job.status == ImportStatus.DONE
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "notes")]
    assert "cannot be stored" in job.errors[0]["message"]
    assert list(Customer.objects.values_list("family_name", flat=True)) == ["Lee"]
