import pytest
from django.urls import reverse

from rapport.communications.models import RememberedDetail
from rapport.customers.models import Customer, Tag

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
    Tag.objects.bulk_create([Tag(name="VIP"), Tag(name="Bratislava")])  # agents choose tags
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
    html = response.content.decode()
    # Who saved in between, what they changed, and a link that loads their version.
    assert f"{manager.username} saved this record" in html
    assert "Occupation" in html and "nurse" in html
    assert f'href="{reverse("customers:edit", args=[c.pk])}"' in html
    c.refresh_from_db()
    assert c.occupation == "nurse"


def test_logged_interaction_detail_stands_at_the_top(agent_client, make_customer):
    c = make_customer()
    response = agent_client.post(
        reverse("communications:interaction_create", args=[c.pk]),
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
    with django_assert_max_num_queries(9):  # one of them the read log's insert (rapport.privacy)
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
    agent_client.get(customers[0].get_absolute_url())  # steady state: per-process caches filled
    with django_assert_max_num_queries(35):  # see test_detail_page_query_count_is_exact
        response = agent_client.get(customers[0].get_absolute_url())
    assert response.status_code == 200
    assert "likes tea" in response.content.decode()


def test_history_page_shows_who_changed_what(agent_client, make_customer, agent):
    from rapport.customers.services import customer_update

    c = make_customer(family_name="Smith", given_name="Anna", occupation="nurse")
    customer_update(customer_id=c.pk, by=agent, expected_version=c.version, occupation="doctor")
    page = agent_client.get(reverse("customers:history", args=[c.pk])).content.decode()
    assert "nurse" in page and "doctor" in page and agent.username in page
    # What happened, as whole translatable sentences (not "Customer" + "updated")
    assert "Customer details changed" in page and "Customer created" in page


def test_detail_page_query_count_is_exact(agent_client, make_customer, make_product):
    """session, user, permissions (one query), customer + 6 relations, then the panels (details,
    key figures, analytics card, recommendations, possible duplicates, satisfaction: gaps and
    follow-ups, service: promises and requests, complaints, loyalty: account, balance, entries,
    referrals, moments: invitations) and the timeline (changes, events, orders, interactions,
    messages, survey, service, complaint, outreach and loyalty events)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = _fill(make_customer, make_product, 1)[0]
    agent_client.get(c.get_absolute_url())  # steady state: per-process caches filled
    with CaptureQueriesContext(connection) as ctx:
        assert agent_client.get(c.get_absolute_url()).status_code == 200
    assert len(ctx.captured_queries) == 35, "\n".join(q["sql"][:90] for q in ctx.captured_queries)
    assert sum("auth_permission" in q["sql"] for q in ctx.captured_queries) == 1


@pytest.mark.parametrize("language", ["en", "zh-hans", "sk"])
def test_the_page_forms_rendered_once_are_the_forms(language):
    from django.template.loader import render_to_string
    from django.utils import translation

    from rapport.communications.forms import InteractionForm
    from rapport.communications.views import blank_interaction_form
    from rapport.customers.forms import ConsentForm
    from rapport.customers.views import blank_consent_form

    with translation.override(language):
        interaction = blank_interaction_form(language)
        assert interaction == render_to_string(
            "communications/_interaction_fields.html", {"form": InteractionForm()}
        )
        consent = blank_consent_form(language)
        assert consent == ConsentForm().as_div()
        assert blank_interaction_form(language) is interaction
        assert blank_consent_form(language) is consent
    assert 'name="summary"' in interaction and 'name="channel"' in consent


def test_detail_page_has_both_forms_and_logs_an_interaction(agent_client, make_customer):
    c = make_customer()
    page = agent_client.get(c.get_absolute_url()).content.decode()
    for name in ("kind", "direction", "subject", "summary", "detail", "detail_kind"):
        assert f'name="{name}"' in page
    assert 'name="csrfmiddlewaretoken"' in page and 'name="method"' in page
    response = agent_client.post(
        reverse("communications:interaction_create", args=[c.pk]),
        {"kind": "call", "direction": "inbound", "summary": "Asked about tea", "detail": "Oolong"},
    )
    assert response.status_code == 302
    page = agent_client.get(c.get_absolute_url()).content.decode()
    assert "Asked about tea" in page and "Oolong" in page


def test_timeline_titles_are_whole_sentences_and_long_changes_are_counted(
    agent_client, make_customer, agent
):
    from rapport.customers.services import customer_update

    c = make_customer(family_name="Smith", given_name="Anna")
    customer_update(
        customer_id=c.pk,
        by=agent,
        expected_version=None,
        occupation="doctor",
        hobbies="tea",
        personality="calm",
        family_situation="two kids",
        notes="prefers mornings",
        income_band="high",
        preferred_channel="email",
    )
    page = agent_client.get(c.get_absolute_url()).content.decode()
    assert "Customer details changed" in page and "Customer created" in page
    assert "and 2 more fields" in page  # 7 changed fields, 5 shown
    customer_update(
        customer_id=c.pk,
        by=agent,
        expected_version=None,
        occupation="surgeon",
        hobbies="go",
        personality="bold",
        family_situation="three kids",
        notes="evenings",
        income_band="middle",
    )
    page = agent_client.get(c.get_absolute_url()).content.decode()
    assert "and 1 more field<" in page  # 6 changed fields: the singular
