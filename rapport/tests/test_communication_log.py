import pytest
from django.core.exceptions import ValidationError

from rapport.communications.selectors import remembered_details
from rapport.communications.services import detail_add, detail_archive, interaction_log
from rapport.core.timeline import customer_timeline

pytestmark = pytest.mark.django_db


def test_details_mentioned_in_a_call_are_remembered_pinned_first(make_customer, agent):
    c = make_customer()
    interaction_log(
        by=agent,
        customer_id=c.pk,
        kind="call",
        direction="inbound",
        summary="Order question",
        details=[{"text": "Daughter's wedding in May", "kind": "family_event"}],
    )
    detail_add(
        by=agent, customer_id=c.pk, text="Allergic to peanuts", kind="preference", pinned=True
    )
    texts = [d.text for d in remembered_details(customer_id=c.pk)]
    assert texts == ["Allergic to peanuts", "Daughter's wedding in May"]


def test_archived_details_leave_the_top_of_the_page(make_customer, agent):
    c = make_customer()
    d = detail_add(by=agent, customer_id=c.pk, text="Call back on Friday", kind="request")
    detail_archive(by=agent, detail_id=d.pk)
    assert remembered_details(customer_id=c.pk) == []


def test_bad_interaction_is_refused(make_customer, agent):
    c = make_customer()
    with pytest.raises(ValidationError):
        interaction_log(
            by=agent, customer_id=c.pk, kind="telepathy", direction="inbound", summary="x"
        )
    with pytest.raises(ValidationError):
        interaction_log(by=agent, customer_id=c.pk, kind="call", direction="inbound", summary="  ")


def test_timeline_merges_orders_interactions_and_changes_newest_first(
    make_customer, make_product, agent
):
    from rapport.sales.services import order_create

    c = make_customer()
    p = make_product()
    order_create(by=agent, customer_id=c.pk, lines=[{"product_id": p.pk, "quantity": 1}])
    interaction_log(
        by=agent, customer_id=c.pk, kind="visit", direction="outbound", summary="Installed it"
    )
    entries = customer_timeline(c.pk)
    kinds = {e.kind for e in entries}
    assert {"order", "interaction", "change"} <= kinds
    times = [e.time for e in entries]
    assert times == sorted(times, reverse=True)


def test_order_creation_shows_once_in_the_timeline(make_customer, make_product, agent):
    from rapport.sales.services import order_create

    c = make_customer()
    order = order_create(
        by=agent, customer_id=c.pk, lines=[{"product_id": make_product().pk, "quantity": 1}]
    )
    entries = customer_timeline(c.pk)
    assert [
        e.kind for e in entries if order.number in e.title or e.details.get("total") == order.total
    ] == ["order"]
    assert not [e for e in entries if e.kind == "change" and "Order" in e.title]


def test_every_kind_and_direction_has_a_whole_timeline_title(make_customer, agent):
    from django.utils import translation

    from rapport.communications.choices import Direction, InteractionKind
    from rapport.communications.selectors import interaction_timeline, interaction_title
    from rapport.communications.services import interaction_log

    titles = {
        (kind, direction): interaction_title(kind, direction)
        for kind in InteractionKind.values
        for direction in Direction.values
    }
    assert len(set(titles.values())) == len(titles)  # a distinct sentence for each
    assert titles[("call", "inbound")] == "Call from the customer"
    customer = make_customer()
    interaction_log(
        by=agent, customer_id=customer.pk, kind="visit", direction="outbound", summary="Tea tasting"
    )
    with translation.override("zh-hans"):
        [entry] = interaction_timeline(customer.pk, limit=5)
        assert entry.title == interaction_title("visit", "outbound") != "Visit to the customer"


def test_the_communication_log_lists_contacts_newest_first(
    agent_client, agent, make_customer, django_assert_max_num_queries
):
    from django.urls import reverse

    from rapport.communications.services import interaction_log

    people = [make_customer(family_name=name) for name in ("王", "Novák", "Smith")]
    for i, person in enumerate(people):
        interaction_log(
            by=agent,
            customer_id=person.pk,
            kind="call" if i != 1 else "visit",
            direction="inbound",
            summary=f"Talked {i}",
        )
    with django_assert_max_num_queries(5):
        page = agent_client.get(reverse("communications:interaction_list")).content.decode()
    assert page.index("Talked 2") < page.index("Talked 1") < page.index("Talked 0")
    visits = agent_client.get(reverse("communications:interaction_list"), {"kind": "visit"})
    assert "Talked 1" in visits.content.decode() and "Talked 0" not in visits.content.decode()
