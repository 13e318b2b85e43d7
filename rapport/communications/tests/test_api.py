"""The communication API: logging contacts, remembering what customers mentioned, archiving it."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from rapport.api.tests.helpers import API, count_queries, token_client
from rapport.communications.models import Interaction, RememberedDetail
from rapport.communications.services import detail_add, interaction_log
from rapport.customers.services import organisation_create

pytestmark = pytest.mark.django_db


def url(customer, rest: str = "") -> str:
    return f"{API}/customers/{customer.pk}/{rest}"


def test_log_an_interaction_with_details(make_user, make_customer):
    agent = make_user("agent")
    client = token_client(agent)
    c = make_customer()
    org = organisation_create(by=agent, name="Acme")
    birthday = date.today() + timedelta(days=30)
    response = client.post(
        url(c, "interactions"),
        {
            "kind": "call",
            "direction": "inbound",
            "subject": "Delivery",
            "organisation_id": org.pk,
            "summary": "Asked when the sofa arrives.",
            "details": [
                {"text": "Prefers delivery after 6 pm", "kind": "preference", "pinned": True},
                {
                    "text": "Wife's birthday soon",
                    "kind": "family_event",
                    "relevant_on": birthday.isoformat(),
                },
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    interaction = Interaction.objects.get()
    assert body["id"] == interaction.pk and body["staff"] == agent.username
    assert body["organisation_id"] == org.pk and body["summary"] == "Asked when the sofa arrives."
    assert [d["text"] for d in body["details"]] == [
        "Prefers delivery after 6 pm",
        "Wife's birthday soon",
    ]
    assert body["details"][1]["relevant_on"] == birthday.isoformat()
    assert all(d["interaction_id"] == interaction.pk for d in body["details"])
    assert client.get(f"{API}/interactions/{interaction.pk}").json() == body

    # What the customer mentioned is the first thing the next person sees.
    other = token_client(make_user("agent"))
    detail = other.get(f"{API}/customers/{c.pk}").json()
    assert [d["text"] for d in detail["remembered_details"]] == [
        "Prefers delivery after 6 pm",
        "Wife's birthday soon",
    ]


def test_interaction_errors_and_permissions(make_user, make_customer):
    c = make_customer()
    client = token_client(make_user("agent"))
    for payload, field in [
        ({"kind": "telepathy", "direction": "inbound", "summary": "x"}, "kind"),
        ({"kind": "call", "direction": "sideways", "summary": "x"}, "direction"),
        ({"kind": "call", "direction": "inbound", "summary": "  "}, "summary"),
        (
            {"kind": "call", "direction": "inbound", "summary": "x", "organisation_id": 999_999},
            "organisation_id",
        ),
        (
            {
                "kind": "call",
                "direction": "inbound",
                "summary": "x",
                "details": [{"text": "y", "kind": "gossip"}],
            },
            "kind",
        ),
    ]:
        response = client.post(url(c, "interactions"), payload, content_type="application/json")
        assert response.status_code == 400, payload
        assert field in response.json()["errors"], payload
    assert not Interaction.objects.exists() and not RememberedDetail.objects.exists()
    response = client.post(
        f"{API}/customers/999999/interactions",
        {"kind": "call", "direction": "inbound", "summary": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404

    # Department staff log contacts, but keeping details for everyone is for agents and managers.
    department = token_client(make_user("department"))
    plain = {"kind": "visit", "direction": "outbound", "summary": "Inspected the damaged parcel."}
    assert (
        department.post(url(c, "interactions"), plain, content_type="application/json").status_code
        == 201
    )
    with_detail = {**plain, "details": [{"text": "Works nights"}]}
    assert (
        department.post(
            url(c, "interactions"), with_detail, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        department.post(
            url(c, "remembered-details"), {"text": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    analyst = token_client(make_user("analyst"))
    assert (
        analyst.post(url(c, "interactions"), plain, content_type="application/json").status_code
        == 403
    )
    assert analyst.get(url(c, "interactions")).status_code == 200
    assert Interaction.objects.count() == 1 and not RememberedDetail.objects.exists()


def test_interaction_list_pages_newest_first(
    make_user, make_customer, django_assert_max_num_queries
):
    agent = make_user("agent")
    client = token_client(agent)
    c, other = make_customer(), make_customer()
    start = timezone.now() - timedelta(days=30)
    made = [
        interaction_log(
            by=agent,
            customer_id=c.pk,
            kind="email",
            direction="outbound",
            summary=f"Newsletter {i}",
            occurred_at=start + timedelta(days=i),
            details=[f"Detail {i}"],
        ).pk
        for i in range(7)
    ]
    interaction_log(
        by=agent, customer_id=other.pk, kind="call", direction="inbound", summary="Other"
    )
    seen, cursor = [], None
    while True:
        body = client.get(
            url(c, "interactions"), {"limit": 3, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [i["id"] for i in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == made[::-1]
    small, _ = count_queries(client, url(c, "interactions"), limit=2)
    large, body = count_queries(client, url(c, "interactions"), limit=50)
    assert len(body["items"]) == 7 and all(len(i["details"]) == 1 for i in body["items"])
    assert small == large
    # token + permissions (2) + customer exists + interactions with staff + details
    with django_assert_max_num_queries(6):
        client.get(url(c, "interactions"))


def test_remembered_details_list_add_archive(make_user, make_customer):
    agent = make_user("agent")
    client = token_client(agent)
    c, other = make_customer(), make_customer()
    old = detail_add(by=agent, customer_id=c.pk, text="Likes green tea", kind="preference")
    response = client.post(
        url(c, "remembered-details"),
        {"text": "Son graduates in June", "kind": "family_event", "pinned": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pinned = response.json()
    assert pinned["created_by"] == agent.username and pinned["archived"] is False
    newest = detail_add(
        by=agent, customer_id=c.pk, text="Asked about gift wrapping", kind="request"
    )
    detail_add(by=agent, customer_id=other.pk, text="Not this customer")

    def texts():
        return [d["text"] for d in client.get(url(c, "remembered-details")).json()["items"]]

    assert texts() == ["Son graduates in June", "Asked about gift wrapping", "Likes green tea"]
    response = client.post(url(c, f"remembered-details/{old.pk}/archive"))
    assert response.status_code == 200 and response.json()["archived"] is True
    assert texts() == ["Son graduates in June", "Asked about gift wrapping"]
    detail = client.get(f"{API}/customers/{c.pk}").json()
    assert [d["id"] for d in detail["remembered_details"]] == [pinned["id"], newest.pk]

    # A detail is archived only through its own customer; analysts cannot archive at all.
    other_detail = RememberedDetail.objects.get(customer=other)
    assert client.post(url(c, f"remembered-details/{other_detail.pk}/archive")).status_code == 404
    other_detail.refresh_from_db()
    assert other_detail.archived is False
    analyst = token_client(make_user("analyst"))
    assert analyst.post(url(c, f"remembered-details/{newest.pk}/archive")).status_code == 403
    response = client.post(
        url(c, "remembered-details"), {"text": "   "}, content_type="application/json"
    )
    assert response.status_code == 400 and "text" in response.json()["errors"]
