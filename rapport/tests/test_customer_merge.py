"""Duplicate customers: finding them and merging two records into one without losing anything."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.communications.models import Interaction, RememberedDetail
from rapport.communications.services import interaction_log
from rapport.core.exceptions import ConflictError, ValidationError
from rapport.core.models import ObjectChange
from rapport.customers.duplicates import (
    REASON_EMAIL,
    REASON_NAME_BIRTHDAY,
    REASON_PHONE,
    duplicate_candidates,
    duplicate_groups,
)
from rapport.customers.models import (
    Customer,
    CustomerMerge,
    CustomerSearchTerm,
    MarketingConsent,
)
from rapport.customers.search import search_customers
from rapport.customers.services import (
    consent_set,
    contact_add,
    customer_create,
    customer_merge,
    customer_update,
    organisation_create,
)
from rapport.sales.models import Order
from rapport.sales.services import order_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(manager, make_product):
    """The same person, entered by sales (with orders) and by service (with a phone and notes)."""
    sales = customer_create(
        by=manager,
        external_id="CRM-1",
        family_name="王",
        given_name="小明",
        emails=["xm@example.com"],
        hobbies="tea",
        tags=["VIP"],
    )
    service = customer_create(
        by=manager,
        external_id="SHOP-9",
        family_name="王",
        given_name="小明",
        phones=["138 0013 8000"],
        emails=["xm@example.com", "wang@work.example"],
        birthday="1980-05-01",
        occupation="engineer",
        hobbies="fishing",
        tags=["newsletter"],
    )
    product = make_product()
    order_create(
        by=manager, customer_id=service.pk, lines=[{"product_id": product.pk, "quantity": 1}]
    )
    interaction_log(
        by=manager,
        customer_id=service.pk,
        kind="call",
        direction="inbound",
        summary="Asked about delivery",
        details=["Daughter starts university in September"],
    )
    return sales, service


def test_merge_moves_everything_and_loses_nothing(manager, pair):
    sales, service = pair
    org = organisation_create(by=manager, name="Acme")
    contact_add(by=manager, organisation=org, person=service, buying_role="purchaser")
    referred = customer_create(
        by=manager, family_name="李", given_name="娜", referred_by_id=service.pk
    )
    service_history = set(
        ObjectChange.objects.filter(customer_id=service.pk).values_list("id", flat=True)
    )
    assert len(service_history) >= 4  # created, order, interaction, detail, organisation role

    merged = customer_merge(
        survivor_id=sales.pk,
        other_id=service.pk,
        by=manager,
        survivor_version=sales.version,
        other_version=service.version,
    ).customer

    assert not Customer.objects.filter(pk=service.pk).exists()
    assert merged.pk == sales.pk
    # Orders, interactions, remembered details and organisation roles now belong to the survivor.
    assert Order.objects.filter(customer=merged).count() == 1
    assert Interaction.objects.filter(customer=merged).count() == 1
    assert RememberedDetail.objects.filter(customer=merged).count() == 1
    assert merged.organisation_roles.get().organisation == org
    referred.refresh_from_db()
    assert referred.referred_by_id == merged.pk
    # Contact details are united without duplicates; the survivor's primary stays primary.
    assert sorted(merged.emails.values_list("address", flat=True)) == [
        "wang@work.example",
        "xm@example.com",
    ]
    assert merged.primary_email == "xm@example.com"
    assert merged.primary_phone == "+8613800138000"
    # Blank fields are filled from the other record; free-text notes of both are kept.
    assert merged.birthday.isoformat() == "1980-05-01" and merged.occupation == "engineer"
    assert "tea" in merged.hobbies and "fishing" in merged.hobbies
    assert sorted(merged.tags.values_list("name", flat=True)) == ["VIP", "newsletter"]
    # The history of the merged record shows on the survivor, and the merge itself is recorded.
    history = ObjectChange.objects.filter(customer_id=merged.pk)
    assert service_history <= set(history.values_list("id", flat=True))
    step = history.get(object_id=merged.pk, action="merge")
    assert step.user == manager and step.changes["merged"] == [None, service.number]
    assert step.changes["birthday"] == [None, "1980-05-01"]
    # Old number and external id still lead to the survivor.
    record = CustomerMerge.objects.get(merged_id=service.pk)
    assert record.into == merged and record.external_id == "SHOP-9"
    assert record.last_state["phones"] == ["+8613800138000"]
    # Search finds the survivor by the merged record's phone, and only once.
    assert [c.pk for c in search_customers("138 0013 8000")] == [merged.pk]
    assert CustomerSearchTerm.objects.filter(customer_id=service.pk).count() == 0


def test_survivor_values_win_unless_the_user_takes_the_other(manager, make_customer):
    a = make_customer(occupation="teacher", gender="female")
    b = make_customer(occupation="doctor", gender="male")
    merged = customer_merge(
        survivor_id=a.pk,
        other_id=b.pk,
        by=manager,
        survivor_version=a.version,
        other_version=b.version,
        take_from_other=["occupation"],
    ).customer
    assert merged.occupation == "doctor" and merged.gender == "female"


def test_external_id_moves_to_a_survivor_without_one(manager, make_customer):
    a = make_customer()
    b = make_customer(external_id="SHOP-1")
    merged = customer_merge(
        survivor_id=a.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
    ).customer
    assert merged.external_id == "SHOP-1"
    assert CustomerMerge.objects.get(merged_id=b.pk).external_id is None


def test_newest_consent_per_channel_wins(manager, make_customer):
    a, b = make_customer(), make_customer()
    earlier = timezone.now() - timezone.timedelta(days=30)
    consent_set(
        customer=a, channel="email", granted=True, method="web_form", by=manager, at=earlier
    )
    consent_set(customer=b, channel="email", granted=False, method="phone", by=manager)
    consent_set(customer=b, channel="sms", granted=True, method="phone", by=manager)
    customer_merge(
        survivor_id=a.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
    )
    consents = {c.channel: c.granted for c in MarketingConsent.objects.filter(customer=a)}
    assert consents == {"email": False, "sms": True}


def test_merge_refuses_stale_versions_and_itself(manager, make_customer):
    a, b = make_customer(), make_customer()
    seen = b.version
    customer_update(customer_id=b.pk, by=manager, expected_version=b.version, occupation="pilot")
    with pytest.raises(ConflictError):
        customer_merge(
            survivor_id=a.pk,
            other_id=b.pk,
            by=manager,
            survivor_version=a.version,
            other_version=seen,
        )
    assert Customer.objects.filter(pk=b.pk).exists()
    with pytest.raises(ValidationError):
        customer_merge(
            survivor_id=a.pk, other_id=a.pk, by=manager, survivor_version=None, other_version=None
        )


def test_referral_between_the_two_records_is_dropped(manager, make_customer):
    a = make_customer()
    b = make_customer(referred_by_id=a.pk)
    c = make_customer()
    a2 = customer_update(customer_id=a.pk, by=manager, expected_version=None, referred_by_id=b.pk)
    merged = customer_merge(
        survivor_id=a2.pk, other_id=b.pk, by=manager, survivor_version=None, other_version=None
    ).customer
    assert merged.referred_by_id is None
    merged2 = customer_merge(
        survivor_id=c.pk, other_id=merged.pk, by=manager, survivor_version=None, other_version=None
    ).customer
    # A chain of merges keeps every old number pointing at the final record.
    assert set(CustomerMerge.objects.filter(into=merged2).values_list("merged_id", flat=True)) == {
        a.pk,
        b.pk,
    }


def test_candidates_by_phone_email_and_name_with_birthday(pair, make_customer):
    sales, service = pair
    twin = make_customer(family_name="王", given_name="小明", birthday="1980-05-01")
    stranger = make_customer(family_name="Novák", given_name="Ján")
    found = {c.customer.pk: c.reasons for c in duplicate_candidates(service)}
    assert REASON_EMAIL in found[sales.pk]
    assert REASON_NAME_BIRTHDAY in found[twin.pk]
    assert stranger.pk not in found and service.pk not in found
    phone_twin = make_customer(family_name="Smith", phones=["+86 138-0013-8000"])
    found = {c.customer.pk: c.reasons for c in duplicate_candidates(service)}
    assert found[phone_twin.pk] == [REASON_PHONE]


def test_duplicate_groups_page_through_shared_emails(manager, make_customer):
    for i in range(3):
        make_customer(emails=[f"shared{i}@example.com"])
        make_customer(emails=[f"shared{i}@example.com"])
    make_customer(emails=["alone@example.com"])
    first, after = duplicate_groups(by="email", size=2)
    assert [g.value for g in first] == ["shared0@example.com", "shared1@example.com"]
    assert all(len(g.customers) == 2 for g in first)
    rest, after2 = duplicate_groups(by="email", after=after, size=2)
    assert [g.value for g in rest] == ["shared2@example.com"] and after2 == ""


def test_pages_check_permissions(agent_client, manager_client, pair):
    sales, service = pair
    merge_url = reverse("customers:merge", args=[sales.pk, service.pk])
    assert agent_client.get(merge_url).status_code == 403
    assert agent_client.post(merge_url).status_code == 403
    assert agent_client.get(reverse("customers:duplicate_list")).status_code == 403
    assert agent_client.get(reverse("customers:duplicates", args=[service.pk])).status_code == 200
    assert Customer.objects.filter(pk=service.pk).exists()


def test_compare_and_merge_through_the_pages(manager_client, pair, django_assert_max_num_queries):
    sales, service = pair
    page = manager_client.get(reverse("customers:duplicates", args=[service.pk]))
    assert sales.number in page.content.decode()
    merge_url = reverse("customers:merge", args=[sales.pk, service.pk])
    with django_assert_max_num_queries(20):
        page = manager_client.get(merge_url)
    html = page.content.decode()
    assert "engineer" in html and 'name="survivor_version"' in html
    response = manager_client.post(
        merge_url, {"survivor_version": sales.version, "other_version": service.version}
    )
    assert response.status_code == 302 and response["Location"] == sales.get_absolute_url()
    assert not Customer.objects.filter(pk=service.pk).exists()
    # The old record's page leads to the surviving one.
    old = manager_client.get(reverse("customers:detail", args=[service.pk]))
    assert old.status_code == 301 and old["Location"] == sales.get_absolute_url()


def test_a_stale_form_gets_a_conflict_not_a_merge(manager_client, manager, pair):
    sales, service = pair
    merge_url = reverse("customers:merge", args=[sales.pk, service.pk])
    customer_update(customer_id=service.pk, by=manager, expected_version=None, occupation="pilot")
    response = manager_client.post(
        merge_url,
        {"survivor_version": sales.version, "other_version": service.version},
        follow=True,
    )
    assert "Someone else" in response.content.decode()
    assert Customer.objects.filter(pk=service.pk).exists()


def test_duplicate_list_shows_shared_phones(manager_client, pair, make_customer):
    sales, service = pair
    other = make_customer(phones=["13800138000"])
    html = manager_client.get(reverse("customers:duplicate_list")).content.decode()
    assert "+8613800138000" in html and other.number in html and service.number in html


def test_api_lists_candidates_and_merges(agent, manager, pair):
    from rapport.api.tests.helpers import token_client

    sales, service = pair
    agent_api, manager_api = token_client(agent), token_client(manager)
    found = agent_api.get(f"/api/v1/customers/{service.pk}/duplicates").json()
    assert [(c["customer"]["id"], c["reasons"]) for c in found] == [
        (sales.pk, ["same email", "same name"])
    ]
    body = {"other_id": service.pk, "version": sales.version, "other_version": service.version}
    url = f"/api/v1/customers/{sales.pk}/merge"
    assert agent_api.post(url, body, content_type="application/json").status_code == 403
    stale = {**body, "other_version": service.version - 1}
    assert manager_api.post(url, stale, content_type="application/json").status_code == 409
    bad = {**body, "take_from_other": ["notes"]}
    assert manager_api.post(url, bad, content_type="application/json").status_code == 400
    response = manager_api.post(
        url, {**body, "take_from_other": ["occupation"]}, content_type="application/json"
    )
    assert response.status_code == 200
    merged = response.json()
    assert merged["id"] == sales.pk and merged["occupation"] == "engineer"
    assert merged["remembered_details"][0]["text"] == "Daughter starts university in September"
    assert manager_api.get(f"/api/v1/customers/{service.pk}").status_code == 404


def test_the_customer_list_links_managers_to_the_duplicates(manager_client, agent_client):
    link = reverse("customers:duplicate_list")
    assert link in manager_client.get(reverse("customers:list")).content.decode()
    assert link not in agent_client.get(reverse("customers:list")).content.decode()
