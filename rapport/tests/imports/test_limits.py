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
    assert job.status == ImportStatus.READING  # queued: the worker reads even its header row
    manager_client.get(response["Location"])  # the page after it does not read it either


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


@pytest.fixture
def stored_bytes(monkeypatch):
    """How many bytes of uploaded files Django's own handlers (memory, temporary file) took in."""
    from django.core.files import uploadhandler

    taken = {"bytes": 0}
    for handler in (
        uploadhandler.MemoryFileUploadHandler,
        uploadhandler.TemporaryFileUploadHandler,
    ):
        original = handler.receive_data_chunk

        def counting(self, raw_data, start, original=original):
            taken["bytes"] += len(raw_data)
            return original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    return taken


def test_an_upload_over_the_size_limit_is_refused_on_the_form(
    manager_client, settings, stored_bytes
):
    """Item 1: the upload is stopped at the limit while it arrives, never read whole."""
    settings.RAPPORT_IMPORT_MAX_UPLOAD_MB = 1
    big = b"surname\n" + b"Lee\n" * 300_000  # 1.2 MB: within the form's slack, so read up to 1 MB
    response = manager_client.post(
        reverse("imports:list"),
        {"kind": "customers", "mode": "all", "file": SimpleUploadedFile("c.csv", big)},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["file"] and "at most 1 MB can be imported" in errors["file"][0]
    assert "at most 1 MB can be imported" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert stored_bytes["bytes"] <= 1024 * 1024  # never more than the limit taken in


def test_an_upload_declared_far_over_the_limit_is_not_read_at_all(
    manager_client, settings, stored_bytes
):
    settings.RAPPORT_IMPORT_MAX_UPLOAD_MB = 1
    big = b"surname\n" + b"Lee\n" * 800_000  # 3.2 MB declared in Content-Length
    response = manager_client.post(
        reverse("imports:list"),
        {"kind": "customers", "mode": "all", "file": SimpleUploadedFile("c.csv", big)},
    )
    assert response.status_code == 200
    assert "larger than 1 MB" in response.content.decode()
    assert stored_bytes["bytes"] == 0 and not ImportJob.objects.exists()


def test_other_pages_and_the_api_answer_an_upload_over_the_limit_with_413(
    manager, manager_client, settings, stored_bytes
):
    from rapport.api.tests.helpers import API, token_client

    settings.RAPPORT_IMPORT_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("photo.jpg", b"x" * (3 * 1024 * 1024))
    response = token_client(manager).post(f"{API}/customers", {"file": big})
    assert response.status_code == 413
    assert "larger than 1 MB" in response.json()["errors"]["file"][0]
    big.seek(0)
    page = manager_client.post("/customers/new/", {"family_name": "Li", "file": big})
    assert page.status_code == 413 and "larger than 1 MB" in page.content.decode()
    assert stored_bytes["bytes"] == 0


def test_the_size_limit_handler_stops_a_file_without_a_declared_length(settings, rf):
    """A body sent in chunks (no Content-Length): the handler counts the file's bytes."""
    from django.core.files.uploadhandler import StopUpload

    from rapport.core.uploads import REFUSED, SizeLimitUploadHandler

    settings.RAPPORT_IMPORT_MAX_UPLOAD_MB = 1
    request = rf.post("/imports/")
    handler = SizeLimitUploadHandler(request)
    handler.handle_raw_input(None, {}, 0, b"x")
    handler.new_file("file", "c.csv", "text/csv", None)
    chunk = b"x" * 65536
    for start in range(0, 1024 * 1024, len(chunk)):
        assert handler.receive_data_chunk(chunk, start) == chunk
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(chunk, 1024 * 1024)
    assert getattr(request, REFUSED) == 1


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
