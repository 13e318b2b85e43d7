import pytest
from django.urls import reverse

from rapport.communications.models import RememberedDetail
from rapport.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_pages_need_login(client):
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_role_without_permission_gets_403(make_user, client, make_customer):
    c = make_customer()
    client.force_login(make_user("analyst"))
    assert client.get(reverse("customers:detail", args=[c.pk])).status_code == 200
    assert client.get(reverse("customers:create")).status_code == 403
    assert client.post(reverse("customers:edit", args=[c.pk]), {}).status_code == 403
    client.force_login(make_user(None))
    assert client.get(reverse("customers:list")).status_code == 403


def test_create_customer_through_the_form(agent_client):
    response = agent_client.post(
        reverse("customers:create"),
        {
            "family_name": "Novák",
            "given_name": "Ján",
            "phones": "0905 123 456",
            "emails": "jan@novak.sk",
            "preferred_language": "sk",
            "tags": "VIP, Bratislava",
        },
    )
    assert response.status_code == 200
    assert "not a valid phone number" in response.content.decode()
    # Without a country code the number is read in the default region (CN), where it is invalid.
    assert not Customer.objects.exists()
    response = agent_client.post(
        reverse("customers:create"),
        {
            "family_name": "Novák",
            "given_name": "Ján",
            "phones": "+421 905 123 456",
            "emails": "jan@novak.sk",
            "preferred_language": "sk",
            "tags": "VIP, Bratislava",
        },
    )
    c = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == c.get_absolute_url()
    assert c.primary_phone == "+421905123456"
    assert sorted(c.tags.values_list("name", flat=True)) == ["Bratislava", "VIP"]


def test_stale_form_gets_a_conflict(agent_client, make_customer, manager):
    from rapport.customers.services import customer_update

    c = make_customer(family_name="Smith", given_name="Anna")
    form = agent_client.get(reverse("customers:edit", args=[c.pk]))
    assert form.status_code == 200
    customer_update(customer_id=c.pk, by=manager, expected_version=c.version, occupation="nurse")
    response = agent_client.post(
        reverse("customers:edit", args=[c.pk]),
        {
            "family_name": "Smith",
            "given_name": "Anna",
            "occupation": "pilot",
            "version": c.version,
        },
    )
    assert response.status_code == 409
    assert "Someone else" in response.content.decode()
    c.refresh_from_db()
    assert c.occupation == "nurse"


def test_logged_interaction_detail_stands_at_the_top(agent_client, make_customer):
    c = make_customer()
    response = agent_client.post(
        reverse("customers:interaction_create", args=[c.pk]),
        {
            "kind": "call",
            "direction": "inbound",
            "summary": "Asked about delivery times.",
            "detail": "Prefers delivery after 6 pm",
            "detail_kind": "preference",
        },
    )
    assert response.status_code == 302
    assert RememberedDetail.objects.get(customer=c).text == "Prefers delivery after 6 pm"
    page = agent_client.get(c.get_absolute_url()).content.decode()
    assert page.index("Prefers delivery after 6 pm") < page.index("Timeline")


def test_search_box_finds_by_phone(agent_client, make_customer):
    c = make_customer(phones=["13800138000"])
    response = agent_client.get(reverse("customers:list"), {"q": "+86 138 0013 8000"})
    assert c.number in response.content.decode()


def _fill(make_customer, make_product, n):
    from rapport.communications.services import interaction_log
    from rapport.sales.services import order_create

    p = make_product()
    customers = []
    for i in range(n):
        c = make_customer(
            family_name="Test",
            given_name=f"N{i}",
            phones=[f"1380013{8000 + i:04d}"],
            tags=["A", "B"],
            emails=[f"n{i}@example.com"],
        )
        order_create(by=None, customer_id=c.pk, lines=[{"product_id": p.pk, "quantity": 1}])
        interaction_log(
            by=None,
            customer_id=c.pk,
            kind="call",
            direction="inbound",
            summary="hi",
            details=["likes tea", "two kids"],
        )
        customers.append(c)
    return customers


@pytest.mark.parametrize("n", [3, 12])
def test_list_page_query_count_does_not_grow(
    agent_client, make_customer, make_product, n, django_assert_max_num_queries
):
    _fill(make_customer, make_product, n)
    with django_assert_max_num_queries(8):
        response = agent_client.get(reverse("customers:list"))
    assert response.status_code == 200


@pytest.mark.parametrize("n", [1, 6])
def test_detail_page_query_count_is_fixed(
    agent_client, make_customer, make_product, n, django_assert_max_num_queries
):
    customers = _fill(make_customer, make_product, n)
    from rapport.customers.services import contact_add, organisation_create

    org = organisation_create(by=None, name="Acme")
    contact_add(organisation=org, person=customers[0], buying_role="user", by=None)
    with django_assert_max_num_queries(20):
        response = agent_client.get(customers[0].get_absolute_url())
    assert response.status_code == 200
    assert "likes tea" in response.content.decode()


def test_history_page_shows_who_changed_what(agent_client, make_customer, agent):
    from rapport.customers.services import customer_update

    c = make_customer(family_name="Smith", given_name="Anna", occupation="nurse")
    customer_update(customer_id=c.pk, by=agent, expected_version=c.version, occupation="doctor")
    page = agent_client.get(reverse("customers:history", args=[c.pk])).content.decode()
    assert "nurse" in page and "doctor" in page and agent.username in page
