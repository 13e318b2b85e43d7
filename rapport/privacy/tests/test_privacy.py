"""The privacy app: pages, API, CLI, the read log and its daily limit, the retention purge."""

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from rapport.api.tests.helpers import API, token_client
from rapport.core import relations
from rapport.customers.models import Customer
from rapport.privacy.choices import ReadKind
from rapport.privacy.models import Erasure, PersonalDataRead

pytestmark = pytest.mark.django_db


def test_every_relation_says_what_an_erasure_and_an_export_do():
    for relation in relations.customer_relations():
        erase, export = relation.erase, relation.export
        assert erase.action in ("delete", "redact", "keep"), relation
        if erase.action == "keep":
            assert erase.reason, f"{relation}: Erase.keep needs the reason"
        names = {f.name for f in relation.model._meta.get_fields()}
        assert set(erase.redact) <= names, relation
        if not export.exports:
            assert export.reason, f"{relation}: Export.nothing needs the reason"


def test_an_unknown_erase_action_stops_the_erasure(make_customer, monkeypatch, manager):
    from rapport.privacy import services

    customer = make_customer()
    (first, *rest) = relations.customer_relations()
    broken = relations.CustomerRelation(
        first.model, first.field, first.merge, first.export, relations.Erase("shred")
    )
    monkeypatch.setattr(services, "customer_relations", lambda: [broken, *rest])
    with pytest.raises(ValueError, match="shred"):
        services.customer_erase(by=manager, customer=customer, reason="asked")
    assert Customer.objects.get(pk=customer.pk).family_name == "王"


def test_manager_erases_from_the_customer_page_with_a_reason(manager_client, make_customer):
    customer = make_customer(notes="secret-note")
    page = manager_client.get(customer.get_absolute_url())
    assert reverse("privacy:erase", args=[customer.pk]) in page.content.decode()
    url = reverse("privacy:erase", args=[customer.pk])
    refused = manager_client.post(url, {"reason": "", "confirm": "on"})
    assert refused.status_code == 200 and not Erasure.objects.exists()
    unconfirmed = manager_client.post(url, {"reason": "letter of 3 May"})
    assert unconfirmed.status_code == 200 and not Erasure.objects.exists()
    done = manager_client.post(url, {"reason": "letter of 3 May", "confirm": "on"})
    assert done.status_code == 302
    assert Customer.objects.get(pk=customer.pk).notes == ""
    after = manager_client.get(customer.get_absolute_url()).content.decode()
    assert 'id="customer-erased"' in after and "secret-note" not in after


def test_agents_may_neither_erase_nor_export(agent_client, make_customer):
    customer = make_customer()
    for name in ("privacy:erase", "privacy:export", "privacy:export_json"):
        assert agent_client.get(reverse(name, args=[customer.pk])).status_code == 403
    page = agent_client.get(customer.get_absolute_url()).content.decode()
    assert "privacy-export" not in page


def test_the_access_page_is_in_the_persons_language(manager_client, make_customer, manager):
    customer = make_customer(preferred_language="zh-hans", hobbies="书法")
    page = manager_client.get(reverse("privacy:export", args=[customer.pk]))
    text = page.content.decode()
    assert '<html lang="zh-hans">' in text and "书法" in text
    assert "关于 " + customer.number + " 保存的数据" in text  # the title, in Chinese
    read = PersonalDataRead.objects.get()
    assert (read.user, read.kind, read.customer_id) == (manager, "access_export", customer.pk)


def test_the_access_file_is_json(manager_client, make_customer):
    customer = make_customer(phones=[{"number": "13800138000"}])
    response = manager_client.get(reverse("privacy:export_json", args=[customer.pk]))
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["customer"] == customer.number and data["profile"]["family_name"] == "王"
    phones = next(s for s in data["sections"] if s["key"].startswith("customers.customerphone"))
    assert phones["rows"][0]["number"] == "+8613800138000"


def test_api_export_and_erase(manager, agent, make_customer):
    customer = make_customer(given_name="Lan")
    api = token_client(manager)
    export = api.get(f"{API}/privacy/customers/{customer.pk}/export")
    assert export.status_code == 200 and export.json()["profile"]["given_name"] == "Lan"
    assert (
        token_client(agent).get(f"{API}/privacy/customers/{customer.pk}/export").status_code == 403
    )
    url = f"{API}/privacy/customers/{customer.pk}/erase"
    assert api.post(url, {"reason": ""}, content_type="application/json").status_code == 400
    done = api.post(url, {"reason": "email of 4 May"}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["number"] == customer.number and done.json()["erased_by"] == manager.username
    assert Customer.objects.get(pk=customer.pk).given_name == ""
    reads = api.get(f"{API}/privacy/reads").json()["items"]
    assert [r["kind"] for r in reads] == ["access_export"]


def test_cli_export_html_and_unknown_customer(make_customer, tmp_path):
    customer = make_customer(preferred_language="sk")
    out = tmp_path / "access.html"
    call_command("privacy", "export", str(customer.pk), "--format", "html", "-o", str(out))
    assert 'lang="sk"' in out.read_text()
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("privacy", "export", "C9999999")


def test_list_paging_is_logged_and_limited_without_the_export_permission(
    agent, manager, make_customer, settings
):
    settings.RAPPORT_PRIVACY_LIST_DAILY_RECORDS = 3
    for n in range(4):
        make_customer(given_name=f"P{n}")
    agent_api = token_client(agent)
    first = agent_api.get(f"{API}/customers?limit=2")
    assert first.status_code == 200
    second = agent_api.get(f"{API}/customers?limit=2&cursor={first.json()['next_cursor']}")
    assert second.status_code == 403 and "3" in second.json()["detail"]
    # a manager may export: no limit, still logged
    for _ in range(3):
        assert token_client(manager).get(f"{API}/customers?limit=2").status_code == 200
    # the search counts too (its words are not logged)
    refused = agent_api.get(f"{API}/customers/search", {"q": "王"})
    assert refused.status_code == 403
    assert token_client(manager).get(f"{API}/customers/search", {"q": "王"}).status_code == 200
    reads = PersonalDataRead.objects.filter(kind=ReadKind.LIST_PAGE)
    assert [(r.count, r.filters) for r in reads.filter(user=agent)] == [(2, {"page": False})]
    assert reads.filter(user=manager, filters={"search": True}, count=4).exists()
    assert reads.filter(user=manager).count() == 4


def test_export_files_are_logged_and_managers_see_the_log(manager_client, manager, make_customer):
    make_customer()
    make_customer(given_name="Wei")
    response = manager_client.get(reverse("imports:export", args=["customers", "csv"]))
    b"".join(response.streaming_content)
    read = PersonalDataRead.objects.get()
    assert (read.kind, read.count, read.filters["kind"]) == ("file_export", 2, "customers")
    page = manager_client.get(reverse("privacy:reads"))
    assert page.status_code == 200 and manager.username in page.content.decode()
    # A cursor that is not ours is refused with a 400 naming it, never a server error.
    bad = manager_client.get(reverse("privacy:reads") + "?cursor=%00x&kind=zz")
    assert bad.status_code == 400


def test_reads_page_is_for_managers(agent_client):
    assert agent_client.get(reverse("privacy:reads")).status_code == 403


def test_retention_purge_deletes_old_uploads_jobs_and_reads(
    manager, settings, django_capture_on_commit_callbacks
):
    from rapport.imports.choices import ImportStatus
    from rapport.imports.models import ImportJob
    from rapport.imports.services import import_job_create

    settings.RAPPORT_RETENTION_IMPORT_FILES_DAYS = 30
    settings.RAPPORT_RETENTION_IMPORT_JOBS_DAYS = 90
    settings.RAPPORT_RETENTION_READ_LOG_DAYS = 365
    upload = SimpleUploadedFile("a.csv", b"surname,given name\r\nLi,Na\r\n")
    old = import_job_create(kind="customers", by=manager, uploaded_file=upload)
    new = import_job_create(
        kind="customers",
        by=manager,
        uploaded_file=SimpleUploadedFile("b.csv", b"surname\r\nWu\r\n"),
    )
    long_ago = timezone.now() - timedelta(days=100)
    ImportJob.objects.filter(pk=old.pk).update(
        created_at=long_ago, finished_at=long_ago, status=ImportStatus.DONE
    )
    ImportJob.objects.filter(pk=new.pk).update(status=ImportStatus.DONE, finished_at=timezone.now())
    PersonalDataRead.objects.create(
        kind="file_export", count=1, time=timezone.now() - timedelta(days=400)
    )
    PersonalDataRead.objects.create(kind="file_export", count=1)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("privacy", "purge")
    assert not Path(old.file_path).exists() and Path(new.file_path).exists()
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [new.pk]
    assert PersonalDataRead.objects.count() == 1


def test_the_purge_is_scheduled():
    from crontask import scheduler

    from rapport.privacy import tasks  # noqa: F401  (registers the schedule)

    assert any("retention_purge" in str(job) for job in scheduler.get_jobs())


def test_import_stale_minutes_is_read_from_the_environment(monkeypatch):
    import importlib

    import rapport.settings

    monkeypatch.setitem(os.environ, "RAPPORT_IMPORT_STALE_MINUTES", "3")
    try:
        assert importlib.reload(rapport.settings).RAPPORT_IMPORT_STALE_MINUTES == 3
    finally:
        monkeypatch.delitem(os.environ, "RAPPORT_IMPORT_STALE_MINUTES")
        importlib.reload(rapport.settings)


def test_erasure_deletes_kept_copies_of_mail_and_the_admin_logs_name(
    make_customer, manager, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    from rapport.communications.services import message_send
    from rapport.privacy.services import customer_erase

    folder = tmp_path / "sent-mail"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(folder)},
        }
    }
    customer = make_customer(emails=[{"address": "mei.secret@example.com"}])
    other = make_customer(emails=[{"address": "someone.else@example.com"}])
    with django_capture_on_commit_callbacks(execute=True):
        for who, key in ((customer, "a"), (other, "b")):
            message_send(customer_id=who.pk, channel="email", purpose="service", subject="Hi",
                         body="Your order", idempotency_key=key, by=manager)  # fmt: skip
    assert len(list(folder.iterdir())) == 2
    LogEntry.objects.create(
        user=manager,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(customer.pk),
        object_repr="王小明 mei.secret",
        action_flag=CHANGE,
        change_message="changed",
    )
    with django_capture_on_commit_callbacks(execute=True):
        erasure = customer_erase(by=manager, customer=customer, reason="asked in the shop")
    left = [p.read_text(errors="replace") for p in folder.iterdir()]
    assert len(left) == 1 and "someone.else" in left[0]
    assert LogEntry.objects.get().object_repr == ""
    assert erasure.report["sent_mail_files"] == 1 and erasure.report["admin_log"] == 1


def test_command_line_exports_are_logged(make_customer, tmp_path):
    make_customer()
    call_command("export", "customers", str(tmp_path / "all.csv"))
    read = PersonalDataRead.objects.get()
    assert (read.kind, read.count, read.user_name) == ("file_export", 1, "command line")


def test_an_erasure_that_is_rolled_back_deletes_no_file(
    make_customer, manager, monkeypatch, django_capture_on_commit_callbacks
):
    """Uploaded files go when the erasure commits: one that fails half-way keeps every file its
    import jobs point to (a file deleted at once would be lost with the rows rolled back)."""
    from rapport.imports.services import import_job_create
    from rapport.privacy import services

    customer = make_customer(family_name="Zyxwarth", given_name="Quillon")
    upload = SimpleUploadedFile("p.csv", b"surname,given name\r\nZyxwarth,Quillon\r\n")
    job = import_job_create(kind="customers", by=manager, uploaded_file=upload)
    path = Path(job.file_path)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "customer_anonymise", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.customer_erase(by=manager, customer=customer, reason="asked")
    assert path.is_file()
    job.refresh_from_db()
    assert job.file_path == str(path)  # the job still points at its file, which is there

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_erase(by=manager, customer=customer, reason="asked")
    assert not path.exists()
