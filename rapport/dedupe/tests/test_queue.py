"""The duplicate queue: the search over all customers, decisions that survive re-runs, merging
from the queue through customers' merge service, the API and the commands."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from rapport.api.tests.helpers import API
from rapport.core.actors import COMMAND_LINE
from rapport.customers.models import Customer
from rapport.dedupe.models import DedupeEvent, DuplicatePair, NotSamePerson
from rapport.dedupe.services import duplicates_find, import_matches, not_same_person

pytestmark = pytest.mark.django_db


def _pairs():
    return {(p.first_id, p.second_id) for p in DuplicatePair.objects.all()}


def test_search_fills_the_queue_with_the_hard_duplicates(people):
    done = duplicates_find(by=COMMAND_LINE)
    assert done["customers"] == 7
    pairs = _pairs()
    for a, b in (("wang", "wang_trad"), ("zhang", "zhang_py"), ("jan", "jan2")):
        assert tuple(sorted((people[a].pk, people[b].pk))) in pairs
    assert all(people["eva"].pk not in p for p in pairs)
    assert DedupeEvent.objects.filter(type="searched").exists()


def test_not_the_same_person_survives_re_runs(people):
    duplicates_find(by=COMMAND_LINE)
    a, b = people["wang"], people["wang_trad"]
    not_same_person(first_id=b.pk, second_id=a.pk, by=COMMAND_LINE)
    assert (a.pk, b.pk) not in _pairs()
    duplicates_find(by=COMMAND_LINE)
    duplicates_find(by=COMMAND_LINE)
    assert (a.pk, b.pk) not in _pairs()
    # the same decision twice is one decision
    not_same_person(first_id=a.pk, second_id=b.pk, by=COMMAND_LINE)
    assert NotSamePerson.objects.count() == 1


def test_a_decision_follows_the_kept_record_through_a_merge_and_back(people, manager):
    from rapport.customers.services import customer_merge, customer_merge_undo

    eva, jan, jan2 = people["eva"], people["jan"], people["jan2"]
    decision = not_same_person(first_id=eva.pk, second_id=jan2.pk, by=COMMAND_LINE)
    jan.refresh_from_db()
    jan2.refresh_from_db()
    result = customer_merge(
        survivor_id=jan.pk,
        other_id=jan2.pk,
        by=manager,
        survivor_version=jan.version,
        other_version=jan2.version,
    )
    decision.refresh_from_db()
    assert {decision.first_id, decision.second_id} == {eva.pk, jan.pk}
    customer_merge_undo(merge_id=result.merge.pk, by=manager)
    decision.refresh_from_db()
    assert {decision.first_id, decision.second_id} == {eva.pk, jan2.pk}


def test_a_decision_about_the_merged_pair_itself_is_set_aside_and_restored(people, manager):
    from rapport.customers.services import customer_merge, customer_merge_undo

    jan, jan2 = people["jan"], people["jan2"]
    not_same_person(first_id=jan.pk, second_id=jan2.pk, by=COMMAND_LINE)
    jan.refresh_from_db()
    jan2.refresh_from_db()
    result = customer_merge(
        survivor_id=jan.pk,
        other_id=jan2.pk,
        by=manager,
        survivor_version=jan.version,
        other_version=jan2.version,
    )
    assert NotSamePerson.objects.count() == 0
    customer_merge_undo(merge_id=result.merge.pk, by=manager)
    assert NotSamePerson.objects.filter(first=jan, second=jan2).exists()


def test_queue_page_and_merge_from_it(people, make_user, django_assert_max_num_queries):
    duplicates_find(by=COMMAND_LINE)
    client = Client()
    client.force_login(make_user("manager"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("dedupe:queue"))
    body = response.content.decode()
    assert "same name, once in characters and once in pinyin" in body
    assert "same phone" in body
    pair = DuplicatePair.objects.get(first=people["jan"], second=people["jan2"])
    response = client.post(reverse("dedupe:merge", args=[pair.pk]), {"keep": people["jan"].pk})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=people["jan2"].pk).exists()
    assert not DuplicatePair.objects.filter(pk=pair.pk).exists()


def test_agent_sees_the_queue_but_cannot_merge(people, agent_client):
    duplicates_find(by=COMMAND_LINE)
    assert agent_client.get(reverse("dedupe:queue")).status_code == 200
    pair = DuplicatePair.objects.first()
    assert agent_client.post(reverse("dedupe:merge", args=[pair.pk]), {}).status_code == 403
    assert agent_client.post(reverse("dedupe:not_same", args=[pair.pk])).status_code == 302


def test_api_queue_decisions_and_merge(people, make_user, django_assert_max_num_queries):
    duplicates_find(by=COMMAND_LINE)
    client = Client()
    client.force_login(make_user("manager"))
    with django_assert_max_num_queries(6):
        items = client.get(f"{API}/duplicates").json()["items"]
    assert items == sorted(items, key=lambda p: -p["score"])
    assert all(p["evidence_text"] for p in items)
    wang = next(p for p in items if p["first"]["id"] == people["wang"].pk)
    created = client.post(
        f"{API}/duplicates/decisions",
        {"first_id": wang["first"]["id"], "second_id": wang["second"]["id"], "note": "twins"},
        content_type="application/json",
    )
    assert created.status_code == 201
    listed = client.get(f"{API}/duplicates/decisions").json()["items"]
    assert listed[0]["note"] == "twins"
    jan = next(p for p in items if p["first"]["id"] == people["jan"].pk)
    dry = client.post(
        f"{API}/duplicates/{jan['id']}/merge",
        {"keep_id": people["jan"].pk, "dry_run": True},
        content_type="application/json",
    ).json()
    assert dry["dry_run"] and dry["merge_id"] is None
    assert Customer.objects.filter(pk=people["jan2"].pk).exists()
    done = client.post(
        f"{API}/duplicates/{jan['id']}/merge",
        {"keep_id": people["jan"].pk},
        content_type="application/json",
    ).json()
    assert done["merge_id"]
    assert not Customer.objects.filter(pk=people["jan2"].pk).exists()


def test_commands_find_and_merge_with_dry_run(people):
    out = StringIO()
    call_command("duplicates", "find", stdout=out)
    assert "possible duplicates" in out.getvalue()
    keep, drop = people["zhang"], people["zhang_py"]
    out = StringIO()
    call_command("duplicates", "merge", keep.number, drop.number, "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert Customer.objects.filter(pk=drop.pk).exists()
    call_command("duplicates", "merge", keep.number, drop.number, stdout=StringIO())
    assert not Customer.objects.filter(pk=drop.pk).exists()


def test_import_rows_are_matched_with_the_same_matcher(people):
    matches = import_matches(
        [
            {"family_name": "王", "given_name": "曉明", "birthday": dt.date(1985, 6, 1)},
            {"family_name": "Jan", "given_name": "Novak", "phone": "+421 905 123 456"},
            {"family_name": "Nobody", "given_name": "Else"},
        ]
    )
    assert people["wang"].pk in [m["customer_id"] for m in matches[0]]
    assert matches[1][0]["customer_id"] in (people["jan"].pk, people["jan2"].pk)
    assert "same phone" in matches[1][0]["words"]
    assert matches[2] == []


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("zh-hant", "姓名相同，一個用漢字一個用拼音"),
        ("zh-hans", "姓名相同，一个用汉字一个用拼音"),
        ("sk", "rovnaké meno, raz znakmi a raz v pchin-jine"),
    ],
)
def test_evidence_is_said_in_the_users_language(people, agent_client, language, text):
    duplicates_find(by=COMMAND_LINE)
    body = agent_client.get(
        reverse("dedupe:queue"), headers={"accept-language": language}
    ).content.decode()
    assert text in body


def test_customer_page_shows_the_possible_duplicates(people, agent_client):
    duplicates_find(by=COMMAND_LINE)
    body = agent_client.get(reverse("customers:detail", args=[people["zhang"].pk])).content.decode()
    assert "Possibly the same person" in body
    assert people["zhang_py"].number in body
    assert "same email" in body
    body = agent_client.get(reverse("customers:detail", args=[people["eva"].pk])).content.decode()
    assert "Possibly the same person" not in body


def test_customer_page_panel_shows_the_best_pairs_in_two_queries_and_none_in_one(
    people, django_assert_num_queries
):
    from rapport.dedupe.panels import SHOWN, customer_panel

    duplicates_find(by=COMMAND_LINE)
    jan = people["jan"]
    with django_assert_num_queries(2):  # the scores of the customer's pairs, then the best
        shown = customer_panel(None, jan)
    assert shown is not None
    expected = DuplicatePair.objects.filter(first=jan) | DuplicatePair.objects.filter(second=jan)
    assert [d["pair"].pk for d in shown["duplicates"]] == list(
        expected.order_by("-score", "id").values_list("pk", flat=True)[:SHOWN]
    )
    assert shown["duplicates"][0]["other"] == people["jan2"]
    assert shown["duplicates"][0]["words"]
    with django_assert_num_queries(1):
        assert customer_panel(None, people["eva"]) is None
