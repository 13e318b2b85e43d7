"""The customer hub's seams: every relation to a customer declares how it merges, is exported and is
erased, and the merge carries the declarations out without losing a row.

The relations of the coming apps are stood in for by rapport/customers/tests/hubapp: a one-to-one
loyalty account (balances added up), a one-to-one member card (the newer one kept), a many-to-many
campaign audience, one survey answer per customer and survey, and a plain customer_id column.
"""

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from rapport.core import relations
from rapport.customers.models import Customer, CustomerEvent, CustomerMerge
from rapport.customers.services import customer_merge
from rapport.customers.tests.hubapp.models import (
    Campaign,
    LoyaltyAccount,
    MemberCard,
    PlainNote,
    SurveyAnswer,
)


def test_every_relation_to_a_customer_declares_merge_export_and_erase(db):
    assert relations.undeclared(Customer) == []


def test_a_relation_without_a_declaration_is_reported(db):
    found = {(m._meta.label, f) for m, f in relations.relations_to(Customer)}
    # Every kind of relation is found: one-to-one, many-to-many, foreign key, plain column, and
    # the customer's own many-to-many and self reference.
    assert {
        ("hubtest.LoyaltyAccount", "customer"),
        ("hubtest.Campaign", "audience"),
        ("hubtest.SurveyAnswer", "customer"),
        ("hubtest.PlainNote", "customer_id"),
        ("core.ObjectChange", "customer_id"),
        ("customers.Customer", "tags"),
        ("customers.Customer", "referred_by"),
        ("sales.Order", "customer"),
    } <= found
    saved = relations._relations.pop(("hubtest.surveyanswer", "customer"))
    try:
        assert relations.undeclared(Customer) == ["hubtest.SurveyAnswer.customer"]
    finally:
        relations._relations[saved.key] = saved


def _hub_rows(a: Customer, b: Customer) -> None:
    now = timezone.now()
    LoyaltyAccount.objects.create(customer=a, points=120)
    LoyaltyAccount.objects.create(customer=b, points=30)
    MemberCard.objects.create(customer=a, card_number="A-1", opened_at=date(2020, 1, 1))
    MemberCard.objects.create(customer=b, card_number="B-1", opened_at=date(2024, 5, 1))
    both, only_b, only_a = (Campaign.objects.create(name=n) for n in ("both", "only b", "only a"))
    both.audience.add(a, b)
    only_b.audience.add(b)
    only_a.audience.add(a)
    SurveyAnswer.objects.create(survey="nps", customer=a, score=6, answered_at=now)
    SurveyAnswer.objects.create(
        survey="nps", customer=b, score=9, answered_at=now - timedelta(days=3)
    )
    SurveyAnswer.objects.create(survey="csat", customer=b, score=5, answered_at=now)
    PlainNote.objects.create(customer_id=b.pk, note="prefers mornings")


def test_merge_keeps_every_row_of_one_to_one_many_to_many_and_unique_relations(
    manager, make_customer
):
    a, b = make_customer(family_name="张", given_name="伟"), make_customer(family_name="張")
    _hub_rows(a, b)
    before = {
        "accounts": set(LoyaltyAccount.objects.values_list("pk", flat=True)),
        "cards": set(MemberCard.objects.values_list("pk", flat=True)),
        "answers": set(SurveyAnswer.objects.values_list("pk", flat=True)),
    }

    result = customer_merge(
        survivor_id=a.pk,
        other_id=b.pk,
        by=manager,
        survivor_version=a.version,
        other_version=b.version,
    )

    # One-to-one, custom: one account holding both balances; the other archived whole.
    assert list(LoyaltyAccount.objects.values_list("customer_id", "points")) == [(a.pk, 150)]
    # One-to-one, keep one: the newer card stays and now belongs to the kept customer.
    assert list(MemberCard.objects.values_list("customer_id", "card_number")) == [(a.pk, "B-1")]
    # Many-to-many: memberships move, none doubled.
    assert {c.name for c in Campaign.objects.filter(audience=a)} == {"both", "only a", "only b"}
    assert Campaign.objects.get(name="both").audience.count() == 1
    # Unique per customer and survey: the newer nps answer (the kept customer's) stays.
    answers = set(SurveyAnswer.objects.values_list("survey", "customer_id", "score"))
    assert answers == {("nps", a.pk, 6), ("csat", a.pk, 5)}
    assert list(PlainNote.objects.values_list("customer_id", flat=True)) == [a.pk]

    # Nothing is lost: every row is still there or archived whole in the merge record.
    merge = CustomerMerge.objects.get(merged_id=b.pk)
    archived = {(row["model"], row["pk"]) for row in merge.archived}
    for model, label, pks in (
        (LoyaltyAccount, "hubtest.loyaltyaccount", before["accounts"]),
        (MemberCard, "hubtest.membercard", before["cards"]),
        (SurveyAnswer, "hubtest.surveyanswer", before["answers"]),
    ):
        kept = set(model.objects.values_list("pk", flat=True))
        assert kept | {pk for m, pk in archived if m == label} == pks
    card = next(r for r in merge.archived if r["model"] == "hubtest.membercard")
    assert card["fields"]["card_number"] == "A-1"

    # What moved, per table, is reported and said in words.
    assert merge.report["hubtest.loyaltyaccount"] == {"archived": 1}
    assert merge.report["hubtest.surveyanswer"] == {"archived": 1, "moved": 1}
    assert merge.report["hubtest.plainnote"] == {"moved": 1}
    assert "set aside as a duplicate" in result.summary()


def test_a_merge_moves_everything_or_nothing(manager, make_customer, monkeypatch):
    a, b = make_customer(), make_customer()
    _hub_rows(a, b)

    def broken(relation, ctx):
        raise RuntimeError("the disk is full")

    saved = relations._relations[("hubtest.loyaltyaccount", "customer")]
    monkeypatch.setitem(
        relations._relations,
        saved.key,
        relations.CustomerRelation(
            saved.model, saved.field, relations.Custom(broken), saved.export, saved.erase
        ),
    )
    with pytest.raises(RuntimeError):
        customer_merge(
            survivor_id=a.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
        )
    assert Customer.objects.filter(pk=b.pk).exists()
    assert PlainNote.objects.get().customer_id == b.pk
    assert SurveyAnswer.objects.filter(customer=b).count() == 2
    assert not CustomerMerge.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_opposite_merges_at_once_never_deadlock(make_user):
    """A into B and B into A at the same moment: one wins, the other is told the record is gone;
    neither waits forever (each locks both customers in id order)."""
    from rapport.customers.services import customer_create

    manager = make_user("manager")
    pairs = [
        (
            customer_create(by=manager, family_name=f"A{i}"),
            customer_create(by=manager, family_name=f"B{i}"),
        )
        for i in range(3)
    ]
    for a, b in pairs:
        _hub_rows(a, b)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def merge(survivor: Customer, other: Customer) -> None:
        try:
            barrier.wait(timeout=10)
            customer_merge(
                survivor_id=survivor.pk,
                other_id=other.pk,
                by=manager,
                survivor_version=None,
                other_version=None,
            )
            outcomes.append("merged")
        except Customer.DoesNotExist:
            outcomes.append("gone")
        except Exception as exc:  # a deadlock or lock timeout would land here
            outcomes.append(f"error: {exc!r}")
        finally:
            connections.close_all()

    for a, b in pairs:
        threads = [
            threading.Thread(target=merge, args=(a, b)),
            threading.Thread(target=merge, args=(b, a)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
    assert sorted(outcomes) == ["gone"] * 3 + ["merged"] * 3, outcomes
    # Each pair is one customer now, with every row of both.
    for a, b in pairs:
        survivor = Customer.objects.get(pk__in=[a.pk, b.pk])
        assert LoyaltyAccount.objects.get(customer=survivor).points == 150
        assert SurveyAnswer.objects.filter(customer=survivor).count() == 2


def test_merge_report_reaches_the_api(manager, make_customer):
    from rapport.api.tests.helpers import API, token_client

    a, b = make_customer(), make_customer()
    PlainNote.objects.create(customer_id=b.pk, note="x")
    response = token_client(manager).post(
        f"{API}/customers/{a.pk}/merge", {"other_id": b.pk}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == a.pk
    assert body["merge"]["merged_number"] == b.number
    assert body["merge"]["moved"]["hubtest.plainnote"] == {"moved": 1}
    assert body["merge"]["summary"]


def test_merge_is_told_on_the_timeline_in_words(manager, make_customer):
    from rapport.core.timeline import customer_timeline

    a, b = make_customer(), make_customer(family_name="李", given_name="娜")
    PlainNote.objects.create(customer_id=b.pk, note="x")
    customer_merge(
        survivor_id=a.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
    )
    events = [e.title for e in customer_timeline(a.pk) if e.kind == "event"]
    assert len(events) == 1
    assert events[0].startswith(f"Customer record {b.number} (李娜) was merged into this one")


def test_a_dry_run_reports_what_would_move_and_changes_nothing(manager, make_customer):
    a, b = make_customer(), make_customer()
    _hub_rows(a, b)
    result = customer_merge(
        survivor_id=a.pk,
        other_id=b.pk,
        by=manager,
        survivor_version=None,
        other_version=None,
        dry_run=True,
    )
    assert result.merge.report["hubtest.surveyanswer"] == {"archived": 1, "moved": 1}
    assert Customer.objects.filter(pk=b.pk).exists()
    assert not CustomerMerge.objects.exists()
    assert LoyaltyAccount.objects.get(customer=b).points == 30


def _table_rows() -> dict[str, list[tuple]]:
    """Every row of every table a merge touches, as values (for comparing before and after)."""
    from rapport.communications.models import Interaction, RememberedDetail
    from rapport.customers.models import (
        CustomerAddress,
        CustomerEmail,
        CustomerPhone,
        CustomerSearchTerm,
        MarketingConsent,
        OrganisationContact,
    )
    from rapport.sales.models import Order

    tables = {}
    for model in (
        CustomerPhone,
        CustomerEmail,
        CustomerAddress,
        MarketingConsent,
        CustomerSearchTerm,
        OrganisationContact,
        Order,
        Interaction,
        RememberedDetail,
        LoyaltyAccount,
        MemberCard,
        SurveyAnswer,
        PlainNote,
        Customer.tags.through,
        Campaign.audience.through,
    ):
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "updated_at"]
        if model is CustomerSearchTerm:  # derived, rebuilt from the names: the same terms
            fields.remove("id")
        tables[model._meta.label] = sorted(
            model._base_manager.order_by("pk").values_list(*fields), key=repr
        )
    customer_fields = [
        f.attname
        for f in Customer._meta.concrete_fields
        if f.attname not in ("version", "updated_at")
    ]
    tables["customers.Customer"] = sorted(Customer.objects.values_list(*customer_fields))
    return tables


def test_undo_puts_both_records_and_every_row_back_exactly(manager, make_customer, make_product):
    from rapport.communications.services import interaction_log
    from rapport.customers.services import (
        consent_set,
        contact_add,
        customer_merge_undo,
        organisation_create,
    )
    from rapport.sales.services import order_create

    a = make_customer(
        family_name="张",
        given_name="伟",
        phones=["13800138000"],
        emails=["zw@example.cn"],
        tags=["VIP"],
    )
    b = make_customer(
        family_name="張",
        given_name="偉",
        occupation="teacher",
        phones=["13800138000", "13900139000"],
        emails=["zhang.wei@example.cn"],
        tags=["VIP", "newsletter"],
        external_id="ERP-1",
        notes="Prefers tea.",
    )
    _hub_rows(a, b)
    consent_set(customer=a, channel="email", granted=False, method="phone", by=manager)
    consent_set(customer=b, channel="email", granted=True, method="web_form", by=manager)
    product = make_product()
    order_create(by=manager, customer_id=b.pk, lines=[{"product_id": product.pk}])
    interaction_log(
        by=manager,
        customer_id=b.pk,
        kind="call",
        direction="inbound",
        summary="Asked about tea",
        details=["Daughter starts university"],
    )
    org = organisation_create(by=manager, name="Acme")
    contact_add(organisation=org, person=a, buying_role="user", by=manager)
    contact_add(organisation=org, person=b, buying_role="purchaser", by=manager)
    before = _table_rows()

    result = customer_merge(
        survivor_id=a.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
    )
    assert not Customer.objects.filter(pk=b.pk).exists()
    assert _table_rows() != before

    undone = customer_merge_undo(merge_id=result.merge.pk, by=manager)
    assert undone.restored.pk == b.pk and undone.kept_changes == [] and undone.skipped_rows == 0
    after = _table_rows()
    for table, rows in before.items():
        assert after[table] == rows, table
    # The old number opens its own record again; a re-import by its external id finds it.
    from rapport.customers.duplicates import merged_into_by_external_id

    assert merged_into_by_external_id(["ERP-1"]) == {}
    assert Customer.objects.get(external_id="ERP-1").pk == b.pk


def test_undo_keeps_later_changes_to_the_kept_record_and_says_so(manager, make_customer):
    from rapport.customers.services import customer_merge_undo, customer_update

    a = make_customer(family_name="Novák", occupation="")
    b = make_customer(family_name="Novák", occupation="teacher", hobbies="chess")
    result = customer_merge(
        survivor_id=a.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
    )
    kept = result.customer
    assert kept.occupation == "teacher" and kept.hobbies == "chess"
    customer_update(customer_id=kept.pk, by=manager, expected_version=None, hobbies="go")
    undone = customer_merge_undo(merge_id=result.merge.pk, by=manager)
    a.refresh_from_db()
    assert a.occupation == ""  # the merge's change is put back
    assert a.hobbies == "go"  # the later change stays …
    assert undone.kept_changes == ["hobbies"]  # … and is reported
    with pytest.raises(ValidationError):
        customer_merge_undo(merge_id=result.merge.pk, by=manager)


def test_an_old_merge_cannot_be_undone(manager, make_customer, settings):
    from rapport.customers.services import customer_merge_undo

    a, b = make_customer(), make_customer()
    result = customer_merge(
        survivor_id=a.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
    )
    CustomerMerge.objects.filter(pk=result.merge.pk).update(
        merged_at=timezone.now() - timedelta(days=settings.RAPPORT_MERGE_UNDO_DAYS + 1)
    )
    with pytest.raises(ValidationError, match="days"):
        customer_merge_undo(merge_id=result.merge.pk, by=manager)


def test_managers_undo_a_merge_from_the_kept_customers_page(manager_client, manager, make_customer):
    from django.urls import reverse

    a, b = make_customer(), make_customer(family_name="李")
    result = customer_merge(
        survivor_id=a.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
    )
    page = manager_client.get(a.get_absolute_url()).content.decode()
    assert reverse("customers:merge_undo", args=[result.merge.pk]) in page
    response = manager_client.post(reverse("customers:merge_undo", args=[result.merge.pk]))
    assert response.status_code == 302 and response["Location"] == b.get_absolute_url()
    assert Customer.objects.filter(pk=b.pk).exists()
    events = [e.sentence() for e in CustomerEvent.objects.filter(customer_id=a.pk)]
    assert f"The merge with {b.number} was undone." in events


def test_agents_cannot_undo_merges(agent_client, manager, make_customer):
    from django.urls import reverse

    from rapport.api.tests.helpers import API, token_client

    a, b = make_customer(), make_customer()
    result = customer_merge(
        survivor_id=a.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
    )
    assert (
        agent_client.post(reverse("customers:merge_undo", args=[result.merge.pk])).status_code
        == 403
    )
    assert "Undo merge" not in agent_client.get(a.get_absolute_url()).content.decode()
    response = token_client(manager).post(f"{API}/customers/merges/{result.merge.pk}/undo")
    assert response.status_code == 200 and response.json()["restored_id"] == b.pk
