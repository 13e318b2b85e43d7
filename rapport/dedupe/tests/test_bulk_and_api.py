"""Issue 15, item 8: `rapport duplicates find`, `rapport duplicates merge KEEP DROP [--dry-run]`
for bulk work, and the API over the queue and the decisions (what test_queue.py does not cover)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from rapport.api.tests.helpers import API
from rapport.core.actors import COMMAND_LINE
from rapport.customers.models import Customer, CustomerMerge, CustomerPhone
from rapport.dedupe.models import DuplicatePair, NotSamePerson
from rapport.dedupe.services import duplicates_find, not_same_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(make_user):
    manager, agent = Client(), Client()
    manager.force_login(make_user("manager"))
    agent.force_login(make_user("agent"))
    return manager, agent


def _find() -> str:
    out = StringIO()
    call_command("duplicates", "find", stdout=out)
    return out.getvalue()


def test_find_prints_every_pair_with_its_evidence_and_fills_the_queue(people):
    output = _find()
    assert "7 customers compared, 3 possible duplicates" in output
    lines = [line for line in output.splitlines() if "~" in line]
    assert len(lines) == 3 == DuplicatePair.objects.count()
    jan = next(line for line in lines if people["jan"].number in line)
    assert people["jan2"].number in jan and "same phone" in jan
    wang = next(line for line in lines if people["wang"].number in line)
    assert "same birthday" in wang


def test_find_never_proposes_a_pair_decided_as_different_people(people):
    not_same_person(first_id=people["jan"].pk, second_id=people["jan2"].pk, by=COMMAND_LINE)
    output = _find()
    assert people["jan2"].number not in output
    assert not DuplicatePair.objects.filter(first=people["jan"], second=people["jan2"]).exists()
    assert DuplicatePair.objects.count() == 2


def test_merge_dry_run_says_what_would_move_and_changes_nothing(people):
    keep, drop = people["jan"], people["jan2"]
    out = StringIO()
    call_command("duplicates", "merge", keep.number, drop.number, "--dry-run", stdout=out)
    assert out.getvalue().startswith(f"Dry run, nothing changed: would merge {drop.number}")
    assert Customer.objects.filter(pk=drop.pk).exists()
    assert CustomerPhone.objects.filter(customer=drop).count() == 1
    assert not CustomerMerge.objects.exists()


def test_merge_merges_and_names_the_merge_to_undo(people):
    from rapport.customers.services import customer_merge_undo

    keep, drop = people["jan"], people["jan2"]
    out = StringIO()
    call_command("duplicates", "merge", keep.number, str(drop.pk), stdout=out)
    merge = CustomerMerge.objects.get()
    assert f"(merge {merge.pk})" in out.getvalue()
    assert not Customer.objects.filter(pk=drop.pk).exists()
    customer_merge_undo(merge_id=merge.pk, by=COMMAND_LINE)
    assert Customer.objects.filter(pk=drop.pk).exists()


@pytest.mark.parametrize(
    "args",
    [("C9999999", "jan2"), ("jan", "jan"), ("nonsense", "jan2")],
    ids=["unknown customer", "same customer", "not a number"],
)
def test_merge_refuses_what_it_cannot_merge(people, args):
    keep, drop = (people[a].number if a in people else a for a in args)
    with pytest.raises(CommandError):
        call_command("duplicates", "merge", keep, drop, stdout=StringIO())
    assert Customer.objects.count() == 7


def test_api_search_runs_in_the_background_and_fills_the_queue(people, clients):
    manager, agent = clients
    assert agent.post(f"{API}/duplicates/search").status_code == 403
    assert not DuplicatePair.objects.exists()
    response = manager.post(f"{API}/duplicates/search")
    assert response.status_code == 202 and response.json() == {"enqueued": True}
    assert DuplicatePair.objects.count() == 3  # the task ran (immediately, in the tests)


def test_api_withdrawn_decision_lets_the_pair_be_proposed_again(people, clients):
    manager, agent = clients
    created = agent.post(
        f"{API}/duplicates/decisions",
        {"first_id": people["jan2"].pk, "second_id": people["jan"].pk},
        content_type="application/json",
    ).json()
    duplicates_find(by=COMMAND_LINE)
    assert not DuplicatePair.objects.filter(first=people["jan"]).exists()
    url = f"{API}/duplicates/decisions/{created['id']}"
    assert agent.delete(url).status_code == 403  # agents decide, managers withdraw
    assert manager.delete(url).status_code == 204
    assert manager.delete(url).status_code == 404
    assert not NotSamePerson.objects.exists()
    duplicates_find(by=COMMAND_LINE)
    assert DuplicatePair.objects.filter(first=people["jan"], second=people["jan2"]).exists()


def test_api_refuses_a_bad_decision_or_merge(people, clients):
    manager, agent = clients
    same = manager.post(
        f"{API}/duplicates/decisions",
        {"first_id": people["jan"].pk, "second_id": people["jan"].pk},
        content_type="application/json",
    )
    assert same.status_code in (400, 422)
    duplicates_find(by=COMMAND_LINE)
    pair = DuplicatePair.objects.get(first=people["jan"])
    url = f"{API}/duplicates/{pair.pk}/merge"
    outsider = manager.post(url, {"keep_id": people["wang"].pk}, content_type="application/json")
    assert outsider.status_code == 422
    assert (
        agent.post(url, {"keep_id": people["jan"].pk}, content_type="application/json").status_code
        == 403
    )
    assert (
        manager.post(
            f"{API}/duplicates/999999/merge", {"keep_id": 1}, content_type="application/json"
        ).status_code
        == 404
    )
    assert Customer.objects.count() == 7


def test_the_search_over_all_customers_is_scheduled_every_night():
    from crontask import scheduler

    from rapport.dedupe.tasks import find_duplicates

    job = {job.name: job for job in scheduler.get_jobs()}[find_duplicates.name]
    assert job.func == find_duplicates.enqueue
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"], fields["day"]) == ("4", "0", "*")
