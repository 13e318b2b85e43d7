"""Issue 15, item 7: an import stops before writing at the rows that probably are an existing
customer; a person decides per row on a review page (same person → update, new, leave out) and
the import task applies the decisions, all of them or none. The CLI has the same choices."""

import datetime as dt
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from rapport.customers.models import Customer
from rapport.imports import services as import_services
from rapport.imports.choices import ImportStatus
from rapport.imports.models import ImportJob

pytestmark = pytest.mark.django_db

CSV = (
    "family_name,given_name,birthday,occupation\n"
    "王,曉明,1985-06-01,teacher\n"  # row 2: probably 王小明
    "Novak,Jan,1970-02-03,driver\n"  # row 3: probably Novák Ján
    "Horváth,Eva,1990-01-01,nurse\n"  # row 4: nobody
)


@pytest.fixture
def existing(make_customer):
    return {
        "wang": make_customer(family_name="王", given_name="小明", birthday=dt.date(1985, 6, 1)),
        "novak": make_customer(family_name="Novák", given_name="Ján", birthday=dt.date(1970, 2, 3)),
    }


def _upload(client, text=CSV):
    return client.post(
        reverse("imports:list"),
        {
            "kind": "customers",
            "file": SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv"),
            "mode": "all",
            "probable_matches": "ask",
        },
    )


def _stopped_job(client) -> ImportJob:
    response = _upload(client)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    return job


def test_probable_matches_stop_the_import_and_the_review_page_asks(
    existing, manager_client, django_assert_max_num_queries
):
    job = _stopped_job(manager_client)
    assert Customer.objects.count() == 2  # nothing written, Eva neither
    assert sorted(e["row"] for e in job.errors if e.get("review")) == [2, 3]
    detail = manager_client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    url = reverse("dedupe:import_review", args=[job.pk])
    assert url in detail
    with django_assert_max_num_queries(6):  # session, user, job, the candidates
        page = manager_client.get(url).content.decode()
    assert existing["wang"].number in page and existing["novak"].number in page
    assert "name reads the same, written with other characters" in page
    assert 'name="row-2"' in page and 'value="new"' in page and 'value="skip"' in page


def test_the_decisions_are_applied_by_the_import(existing, manager_client):
    job = _stopped_job(manager_client)
    response = manager_client.post(
        reverse("dedupe:import_review", args=[job.pk]),
        {"row-2": existing["wang"].number, "row-3": "skip"},
    )
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert response.url == reverse("imports:detail", args=[again.pk])
    assert again.status == ImportStatus.DONE, again.errors
    assert again.options["decisions"] == {"2": existing["wang"].number, "3": "skip"}
    existing["wang"].refresh_from_db()
    existing["novak"].refresh_from_db()
    assert existing["wang"].occupation == "teacher"  # row 2 updated 王小明
    assert existing["novak"].occupation == ""  # row 3 left out
    assert not Customer.objects.filter(family_name="Novak").exists()
    assert Customer.objects.filter(family_name="Horváth").count() == 1  # row 4 created
    assert Customer.objects.count() == 3


def test_new_creates_the_row_as_another_customer(existing, manager_client):
    job = _stopped_job(manager_client)
    manager_client.post(
        reverse("dedupe:import_review", args=[job.pk]), {"row-2": "new", "row-3": "new"}
    )
    assert Customer.objects.filter(given_name="曉明").count() == 1
    assert Customer.objects.filter(family_name="Novak").count() == 1
    assert Customer.objects.count() == 5


def test_a_decision_that_no_longer_holds_writes_nothing(existing, manager_client):
    """All or nothing: the customer chosen for row 2 is gone before the import runs, so row 3's
    "new" and row 4 are not written either, and row 2 asks again."""
    job = _stopped_job(manager_client)
    again = import_services.import_job_decided(
        job_id=job.pk, decisions={"2": existing["wang"].number, "3": "new"}, by=None
    )
    Customer.objects.filter(pk=existing["wang"].pk).delete()
    again = import_services.import_job_run(job_id=again.pk)
    assert again.status == ImportStatus.INVALID
    assert [e["row"] for e in again.errors if e.get("review")] == [2]
    assert Customer.objects.count() == 1  # only Novák: nothing of the file was written


def test_a_choice_that_was_not_offered_is_refused(existing, manager_client, make_customer):
    job = _stopped_job(manager_client)
    stranger = make_customer(family_name="Someone", given_name="Else")
    response = manager_client.post(
        reverse("dedupe:import_review", args=[job.pk]), {"row-2": stranger.number}
    )
    assert response.status_code == 200
    assert "is not one of its choices" in response.content.decode()
    assert ImportJob.objects.count() == 1


def test_rows_left_undecided_follow_the_choice_for_them(existing, manager_client):
    job = _stopped_job(manager_client)
    manager_client.post(
        reverse("dedupe:import_review", args=[job.pk]), {"row-2": "skip", "undecided": "match"}
    )
    existing["novak"].refresh_from_db()
    assert existing["novak"].occupation == "driver"  # row 3 matched its best candidate
    assert not Customer.objects.filter(given_name="曉明").exists()


def test_rows_left_undecided_ask_again(existing, manager_client):
    job = _stopped_job(manager_client)
    manager_client.post(reverse("dedupe:import_review", args=[job.pk]), {"row-2": "new"})
    second = ImportJob.objects.exclude(pk=job.pk).get()
    assert second.status == ImportStatus.INVALID
    assert [e["row"] for e in second.errors if e.get("review")] == [3]
    assert Customer.objects.count() == 2
    # deciding the last row on the second run keeps the first run's decision
    manager_client.post(reverse("dedupe:import_review", args=[second.pk]), {"row-3": "skip"})
    third = ImportJob.objects.order_by("-pk").first()
    assert third.status == ImportStatus.DONE
    assert third.options["decisions"] == {"2": "new", "3": "skip"}
    assert Customer.objects.filter(given_name="曉明").count() == 1


def test_valid_only_imports_also_stop_at_probable_matches(existing, manager_client):
    """Importing "the valid rows only" must not quietly leave out (or later duplicate) the rows
    that wait for a decision: nothing is written until they are decided."""
    manager_client.post(
        reverse("imports:list"),
        {
            "kind": "customers",
            "file": SimpleUploadedFile("people.csv", CSV.encode(), content_type="text/csv"),
            "mode": "valid_only",
            "probable_matches": "ask",
        },
    )
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    assert Customer.objects.count() == 2


def test_an_agent_without_import_rights_cannot_decide(existing, manager_client, agent_client):
    job = _stopped_job(manager_client)
    url = reverse("dedupe:import_review", args=[job.pk])
    assert agent_client.get(url).status_code == 403
    assert agent_client.post(url, {"row-2": "new"}).status_code == 403


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("zh-hans", "可能是现有客户的行"),
        ("zh-hant", "可能是現有客戶的資料列"),
        ("sk", "Riadky, ktoré sú pravdepodobne existujúci zákazníci"),
    ],
)
def test_the_review_page_is_translated(existing, manager_client, language, text):
    job = _stopped_job(manager_client)
    with translation.override(language):
        url = reverse("dedupe:import_review", args=[job.pk])
    page = manager_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert text in page


def test_cli_decides_per_row_and_the_rest_by_option(existing, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError):  # ask-fails: the probable rows are listed, nothing written
        call_command(
            "import", "customers", str(path), "--on-probable-duplicate=ask-fails", stdout=out
        )
    assert existing["wang"].number in out.getvalue()
    assert Customer.objects.count() == 2
    call_command(
        "import",
        "customers",
        str(path),
        "--decide",
        f"2={existing['wang'].number}",
        "--on-probable-duplicate=new",
        stdout=StringIO(),
    )
    existing["wang"].refresh_from_db()
    assert existing["wang"].occupation == "teacher"
    assert Customer.objects.filter(family_name="Novak").count() == 1  # row 3: new
    with pytest.raises(CommandError):
        call_command("import", "customers", str(path), "--decide", "two=new", stdout=StringIO())


def test_import_service_refuses_decisions_for_a_job_not_waiting(existing, manager_client):
    from django.core.exceptions import ValidationError

    job = _stopped_job(manager_client)
    manager_client.post(
        reverse("dedupe:import_review", args=[job.pk]), {"row-2": "new", "row-3": "new"}
    )
    done = ImportJob.objects.exclude(pk=job.pk).get()
    with pytest.raises(ValidationError):
        import_services.import_job_decided(job_id=done.pk, decisions={"2": "new"}, by=None)
