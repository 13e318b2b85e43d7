import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rapport.customers.models import Customer
from rapport.imports.choices import ImportStatus
from rapport.imports.models import ImportJob
from rapport.tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    ["surname", "given name", "phone"],
    ["Smith", "Anna", "13800138000"],
    ["Lee", "Bo", "13900139000"],
    ["Wu", "Di", "13700137000"],
    ["Ng", "Ed", "13600136000"],
    ["Ho", "Fa", "13500135000"],
]


def upload(client, rows=ROWS, follow=False, **data):
    data.setdefault("kind", "customers")
    data.setdefault("mode", "all")
    data["file"] = SimpleUploadedFile("people.csv", csv_bytes(rows), content_type="text/csv")
    return client.post(reverse("imports:list"), data, follow=follow)


def test_pages_need_login(client):
    response = client.get(reverse("imports:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_import_needs_the_import_permission(analyst_client, agent_client, make_user, client):
    assert analyst_client.get(reverse("imports:list")).status_code == 403
    assert upload(analyst_client).status_code == 403
    assert upload(agent_client).status_code == 403
    assert not ImportJob.objects.exists() and not Customer.objects.exists()
    client.force_login(make_user(None))
    assert (
        client.get(
            reverse("imports:export", kwargs={"kind": "customers", "fmt": "csv"})
        ).status_code
        == 403
    )


def test_export_needs_the_export_permission(analyst_client, agent_client):
    url = reverse("imports:export", kwargs={"kind": "customers", "fmt": "csv"})
    assert url == "/imports/export/customers.csv"
    assert analyst_client.get(url).status_code == 200
    assert agent_client.get(url).status_code == 403


def test_upload_runs_a_small_file_and_shows_the_result(manager_client):
    response = upload(manager_client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "imports:detail", args=[job.pk]
    )
    assert job.status == ImportStatus.DONE and job.created_count == 5 and job.language == "en"
    page = manager_client.get(response["Location"]).content.decode()
    assert "hx-trigger" not in page
    assert 'id="count-created">5<' in page
    listing = manager_client.get(reverse("imports:list")).content.decode()
    assert "people.csv" in listing and 'enctype="multipart/form-data"' in listing


def test_errors_are_listed_as_a_table(manager_client):
    response = upload(manager_client, rows=[*ROWS, ["", "", "12345"]], follow=True)
    page = response.content.decode()
    assert ImportJob.objects.get().status == ImportStatus.INVALID
    assert 'id="error-table"' in page
    assert "<td>7</td><td>phone</td><td>“12345” is not a valid phone number.</td>" in page
    assert not Customer.objects.exists()


def test_upload_form_refuses_old_excel_and_bad_mapping(manager_client):
    response = manager_client.post(
        reverse("imports:list"),
        {
            "kind": "customers",
            "mode": "all",
            "column_map": "Handy phone",
            "file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0"),
        },
    )
    assert response.status_code == 200
    assert "has no “=”" in response.content.decode()
    response = manager_client.post(
        reverse("imports:list"),
        {
            "kind": "customers",
            "mode": "all",
            "file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0"),
        },
    )
    assert response.status_code == 200 and ".xlsx" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_column_mapping_from_the_form(manager_client):
    rows = [["Nachname", "Handy"], ["Müller", "+49 30 901820"]]
    upload(manager_client, rows=rows, column_map="Nachname = family_name\nHandy = phone")
    customer = Customer.objects.get()
    assert (customer.family_name, customer.primary_phone) == ("Müller", "+4930901820")


def test_big_file_runs_as_a_task_with_progress(manager_client, settings, monkeypatch):
    from rapport.imports import parallel, progress

    settings.RAPPORT_IMPORT_BACKGROUND_ROWS = 3
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 2)
    written = []
    monkeypatch.setattr(progress, "report", lambda job_id, done: written.append(done))
    enqueued = []
    from django.tasks.signals import task_enqueued

    def remember(sender, task_result, **kwargs):
        enqueued.append(task_result.task.name)

    task_enqueued.connect(remember)
    try:
        response = upload(manager_client)
    finally:
        task_enqueued.disconnect(remember)
    job = ImportJob.objects.get()
    # the worker reads the columns first; all known, the same task imports the file
    assert enqueued == ["read_import_columns"]
    assert job.status == ImportStatus.DONE and job.created_count == 5
    # the progress file: 0 when the transaction opens (the heartbeat), then chunk by chunk as the
    # rows are checked and written
    assert written == [0, 2, 4, 5]
    assert job.processed_rows == job.total_rows == 5
    partial = manager_client.get(
        reverse("imports:progress", args=[job.pk]), headers={"HX-Request": "true"}
    )
    assert "hx-trigger" not in partial.content.decode()  # finished: the polling stops
    assert response.status_code == 302


def test_waiting_job_page_polls_until_the_worker_has_run_it(manager_client, settings):
    from rapport.imports.tasks import run_import

    settings.RAPPORT_IMPORT_BACKGROUND_ROWS = 3
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    upload(manager_client, column_map="unused =")  # columns given: queued for the import at once
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PENDING and job.total_rows == 5
    page = manager_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    progress_url = reverse("imports:progress", args=[job.pk])
    assert f'hx-get="{progress_url}"' in page and 'hx-trigger="every 1s"' in page
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATING, processed_rows=2)
    partial = manager_client.get(progress_url).content.decode()
    assert 'hx-trigger="every 1s"' in partial and '<progress value="40" max="100">' in partial
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.PENDING, processed_rows=0)
    run_import.call(job.pk)  # what the worker does
    partial = manager_client.get(progress_url).content.decode()
    assert "hx-trigger" not in partial and 'id="count-created">5<' in partial


def test_a_retried_task_does_not_import_twice(manager_client, settings):
    from rapport.imports.tasks import run_import

    settings.RAPPORT_IMPORT_BACKGROUND_ROWS = 3
    upload(manager_client)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.DONE and Customer.objects.count() == 5
    result = run_import.enqueue(job.pk)  # the queue delivers the task a second time
    assert result.return_value == ImportStatus.DONE
    job.refresh_from_db()
    assert job.created_count == 5 and Customer.objects.count() == 5
    # A job another worker has started is left alone too.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATING)
    assert run_import.call(job.pk) == ImportStatus.VALIDATING and Customer.objects.count() == 5


def test_check_first_then_import_now(manager_client):
    upload(manager_client, dry_run="on")
    checked = ImportJob.objects.get()
    assert checked.status == ImportStatus.DONE and not Customer.objects.exists()
    page = manager_client.get(reverse("imports:detail", args=[checked.pk])).content.decode()
    assert reverse("imports:run", args=[checked.pk]) in page
    response = manager_client.post(reverse("imports:run", args=[checked.pk]))
    job = ImportJob.objects.exclude(pk=checked.pk).get()
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    assert job.status == ImportStatus.DONE and not job.dry_run and Customer.objects.count() == 5


def test_the_job_keeps_the_users_language(manager_client):
    manager_client.cookies["django_language"] = "zh-hans"
    upload(manager_client, rows=[*ROWS, ["", "", "12345"]])
    assert ImportJob.objects.get().language == "zh-hans"


def test_export_streams_the_filtered_list(analyst_client, make_customer):
    make_customer(family_name="王", given_name="小明", tags=["VIP"], phones=["13800138000"])
    make_customer(family_name="Lee", given_name="Bo")
    response = analyst_client.get(
        reverse("imports:export", kwargs={"kind": "customers", "fmt": "csv"}), {"tag": "VIP"}
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="customers-' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert len(lines) == 2 and "王" in lines[1] and "+8613800138000" in lines[1]
    xlsx = analyst_client.get(reverse("imports:export", kwargs={"kind": "orders", "fmt": "xlsx"}))
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"


def test_list_pages_link_to_the_export(analyst_client):
    page = analyst_client.get(reverse("customers:list"), {"tag": "VIP"}).content.decode()
    assert 'action="/imports/export/customers.csv"' in page
    assert '<input type="hidden" name="tag" value="VIP">' in page


def test_export_headers_in_the_users_language_and_values_as_words(analyst_client, make_customer):
    make_customer(
        gender="female", income_band="upper_middle", phones=["13800138000", "13900139000"]
    )
    url = reverse("imports:export", kwargs={"kind": "customers", "fmt": "csv"})
    codes = b"".join(analyst_client.get(url).streaming_content).decode("utf-8-sig")
    header, row = codes.strip().splitlines()
    assert header.startswith("number,") and "upper_middle" in row
    assert "'+86" not in row  # two phones in one cell: no apostrophe in front
    analyst_client.cookies["django_language"] = "zh-hans"
    words = analyst_client.get(url, {"headers": "labels", "values": "labels"})
    header, row = b"".join(words.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert header.startswith("客户编号") and "中高" in row and "upper_middle" not in row
