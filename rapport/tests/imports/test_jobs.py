"""Import jobs: a job whose process died is reported and can be run again; the customer import
that checks and writes at once still writes all or nothing; counts and titles are whole
translatable sentences."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.core.models import ObjectChange
from rapport.customers.models import Customer
from rapport.imports import parallel, progress, services
from rapport.imports.choices import ImportMode, ImportStatus
from rapport.imports.kinds.base import KindImporter
from rapport.imports.models import ImportJob

pytestmark = pytest.mark.django_db

ROWS = [
    ["external id", "surname", "given name", "phone", "email"],
    ["A1", "Smith", "Anna", "13800138000", "anna@example.com"],
    ["A2", "Lee", "Bo", "13900139000", "bo@example.com"],
    ["A3", "Wu", "Di", "13700137000", "di@example.com"],
    ["A4", "Ng", "Ed", "13600136000", "ed@example.com"],
    ["A5", "Ho", "Fa", "13500135000", "fa@example.com"],
]


def test_an_importer_must_say_how_to_clean_and_write():
    class Incomplete(KindImporter):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Incomplete(None)  # type: ignore[arg-type]


def _running_job(write_csv, status=ImportStatus.VALIDATING, minutes_ago=0, **kwargs):
    path = write_csv(ROWS)
    job = services.import_job_create(kind="customers", by=None, path=path, **kwargs)
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, updated_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return ImportJob.objects.get(pk=job.pk)


def test_a_job_without_heartbeat_is_shown_as_failed_and_runs_again(
    write_csv, manager_client, settings
):
    settings.RAPPORT_IMPORT_STALE_MINUTES = 10
    job = _running_job(write_csv, minutes_ago=11)  # its worker died 11 minutes ago
    page = manager_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.finished_at is not None
    assert "the process running it ended" in job.message and "Run it again" in job.message
    assert "the process running it ended" in page
    assert reverse("imports:retry", args=[job.pk]) in page
    assert 'hx-trigger="every 1s"' not in page  # no more polling

    response = manager_client.post(reverse("imports:retry", args=[job.pk]))
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{again.pk}/")
    assert again.status == ImportStatus.DONE and again.created_count == 5
    assert (again.kind, again.file_path, again.mode) == (job.kind, job.file_path, job.mode)
    # Running it again once more creates nothing new: the rows match what is there.
    ImportJob.objects.filter(pk=again.pk).update(status=ImportStatus.FAILED)
    manager_client.post(reverse("imports:retry", args=[again.pk]))
    assert Customer.objects.count() == 5
    assert ImportJob.objects.order_by("-pk").first().unchanged_count == 5


def test_the_list_shows_dead_jobs_as_failed(write_csv, manager_client):
    job = _running_job(write_csv, status=ImportStatus.IMPORTING, minutes_ago=60)
    page = manager_client.get(reverse("imports:list")).content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert str(ImportStatus.FAILED.label) in page


def test_a_job_with_a_recent_heartbeat_is_left_running(write_csv, manager_client):
    fresh = _running_job(write_csv, minutes_ago=1)
    assert services.import_job_check(fresh).status == ImportStatus.VALIDATING
    # During the write the heartbeat is the progress file, the job row does not move.
    writing = _running_job(write_csv, status=ImportStatus.IMPORTING, minutes_ago=30)
    progress.report(writing.pk, 100)
    try:
        assert not services.import_job_is_stale(writing)
        assert services.import_job_check(writing).status == ImportStatus.IMPORTING
        page = manager_client.get(reverse("imports:progress", args=[writing.pk])).content.decode()
        assert 'hx-trigger="every 1s"' in page
    finally:
        progress.clear(writing.pk)
    # A waiting job is not "stopped": the task worker has not taken it yet.
    waiting = _running_job(write_csv, status=ImportStatus.PENDING, minutes_ago=60)
    assert services.import_job_check(waiting).status == ImportStatus.PENDING


def test_only_failed_jobs_run_again(write_csv, manager_client):
    job = _running_job(write_csv, status=ImportStatus.DONE)
    assert manager_client.post(reverse("imports:retry", args=[job.pk])).status_code == 404
    with pytest.raises(Exception, match="Only a failed import"):
        services.import_job_retry(job_id=job.pk, by=None)


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_job_declared_stopped_while_it_still_runs_writes_nothing(write_csv, monkeypatch, dry_run):
    """If a slow job was declared stopped (and maybe started again), the first process must not
    write the file as well: it rolls back."""
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 2)
    job = services.import_job_create(
        kind="customers", by=None, path=write_csv(ROWS), dry_run=dry_run
    )
    report = progress.report

    def reaped(job_id, done):
        report(job_id, done)
        if done >= 4:  # meanwhile, a page found no heartbeat and marked the job failed
            ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.FAILED)

    monkeypatch.setattr(progress, "report", reaped)
    monkeypatch.setattr(services, "_save_progress", lambda j, n: reaped(j.pk, n))
    job = services.import_job_run(job_id=job.pk)
    assert not Customer.objects.exists() and not ObjectChange.objects.exists()
    # (Here the "page" shares the test's connection, so the rollback also undid its update;
    # a real page's update stays. Either way the job did not finish as done.)
    assert job.status != ImportStatus.DONE or dry_run


# Checking and writing at once ---------------------------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 2)


def test_an_error_after_rows_were_written_rolls_everything_back(
    write_csv, run_import, small_chunks
):
    rows = [*ROWS, ["A6", "Ma", "Gu", "123", "gu@example.com"]]  # row 7: a bad phone
    job = run_import("customers", write_csv(rows))
    assert job.status == ImportStatus.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [(7, "phone")]
    assert not Customer.objects.exists() and not ObjectChange.objects.exists()


def test_valid_only_writes_every_chunk_but_the_bad_rows(write_csv, run_import, small_chunks):
    rows = [*ROWS, ["A6", "Ma", "Gu", "123", "gu@example.com"], ["A7", "Xu", "Yi", "", ""]]
    job = run_import("customers", write_csv(rows), mode=ImportMode.VALID_ONLY)
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.skipped_count) == (6, 1)
    assert "1 row skipped." in job.message
    assert set(Customer.objects.values_list("external_id", flat=True)) == {
        "A1",
        "A2",
        "A3",
        "A4",
        "A5",
        "A7",
    }


def test_rows_written_earlier_in_the_file_are_not_existing_records(
    write_csv, run_import, small_chunks
):
    """A reference to a customer that this file creates is refused as before, even though an
    earlier chunk of the file has already been written when the reference is checked."""
    rows = [
        ["external id", "surname", "given name", "referred by"],
        ["R1", "Smith", "Anna", ""],
        ["R2", "Lee", "Bo", ""],
        ["R3", "Wu", "Di", "R1"],
    ]
    job = run_import("customers", write_csv(rows))
    assert job.status == ImportStatus.INVALID
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (4, "referred by", "No such customer.")
    ]
    assert not Customer.objects.exists()


def test_dry_run_of_a_customer_file_writes_nothing(write_csv, run_import, small_chunks):
    job = run_import("customers", write_csv(ROWS), dry_run=True)
    assert job.status == ImportStatus.DONE and job.created_count == 5
    assert not Customer.objects.exists()


# Whole sentences -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "total", "text"),
    [
        (ImportStatus.VALIDATING, 1, "0 of about 1 row checked"),
        (ImportStatus.VALIDATING, 5, "0 of about 5 rows checked"),
        (ImportStatus.IMPORTING, 1, "0 of 1 row written"),
        (ImportStatus.IMPORTING, 1200, "0 of 1,200 rows written"),
    ],
)
def test_progress_counts_are_plural_aware(write_csv, manager_client, status, total, text):
    job = _running_job(write_csv, status=status)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=total)
    page = manager_client.get(reverse("imports:progress", args=[job.pk])).content.decode()
    assert text in " ".join(page.split())


def test_detail_title_is_one_sentence_and_names_the_kind(write_csv, manager_client):
    job = _running_job(write_csv, status=ImportStatus.DONE)
    page = manager_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert f"Import: {job.file_name}" in page and "Customers ·" in page


def test_every_step_is_an_event_and_a_background_import_mails_its_result(
    write_csv, manager, smtp_server, settings, manager_client, django_capture_on_commit_callbacks
):
    from rapport.imports import services

    manager.email = "owner@example.com"
    manager.save()
    settings.RAPPORT_IMPORT_BACKGROUND_ROWS = 1  # two rows: big enough to count as background
    path = write_csv(
        [["family name", "email"], ["Novák", "jan@example.sk"], ["李", "li@example.cn"]]
    )
    job = services.import_job_create(kind="customers", path=path, by=manager, language="sk")
    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_run(job_id=job.pk)
    sentences = [e.sentence() for e in job.events.all()]
    assert sentences == [
        "The import of data.csv started (2 rows).",
        "Written: 2 created, 0 updated, 0 unchanged, 0 rows skipped.",
    ]
    (mail,) = smtp_server.to("owner@example.com")
    assert "data.csv" in mail["Subject"] and f"/imports/{job.pk}/" in mail.get_content()
    page = manager_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Written: 2 created" in page


def test_duplicate_keys_are_named_in_whole_sentences(write_csv, run_import):
    products = [["sku", "name", "price"], ["P1", "Tea", "10"], ["P1", "Tea", "10"]]
    job = run_import("products", write_csv(products))
    assert [e["message"] for e in job.errors] == ["Same SKU as row 2: “P1”."]
