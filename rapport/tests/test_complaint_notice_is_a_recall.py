"""Issue 13, item 7: "where the complaints app has notices, extend them rather than building a
second kind". A notice about a common problem, sent from the complaints dashboard, is a recall of
the service app: tracked per customer, told once, a step on the buyers' complaints."""

import pytest

from rapport.complaints.choices import EventType
from rapport.complaints.models import ComplaintEvent
from rapport.complaints.services import complaint_record
from rapport.service.models import Recall, RecallNotice

pytestmark = pytest.mark.django_db


def test_a_common_problem_notice_is_one_tracked_recall_told_once(
    make_user, make_customer, make_product, client, django_capture_on_commit_callbacks
):
    from rapport.sales.services import order_create

    manager, agent = make_user("manager"), make_user("agent")
    kettle = make_product()
    buyers = [make_customer(emails=[f"b{i}@example.com"]) for i in range(2)]
    for buyer in buyers:
        order_create(
            by=agent, customer_id=buyer.pk, lines=[{"product_id": kettle.pk, "batch": "L7"}]
        )
    other_batch = make_customer(emails=["o@example.com"])
    order_create(
        by=agent, customer_id=other_batch.pk, lines=[{"product_id": kettle.pk, "batch": "L8"}]
    )
    complaint = complaint_record(
        by=agent,
        customer_id=buyers[0].pk,
        channel="phone",
        category="product_quality",
        description="The kettle leaks.",
        product_id=kettle.pk,
        batch="L7",
    )
    client.force_login(manager)
    form = {"product": kettle.pk, "batch": "L7", "subject": "Kettle L7", "body": "Please stop."}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/complaints/notice/", form).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/complaints/notice/", form)  # twice: still one recall, nobody told twice

    recall = Recall.objects.get()
    assert (recall.product_id, recall.batch) == (kettle.pk, "L7")
    told = RecallNotice.objects.filter(recall=recall, notified_at__isnull=False)
    assert sorted(told.values_list("customer_id", flat=True)) == sorted(b.pk for b in buyers)
    steps = ComplaintEvent.objects.filter(complaint=complaint, type=EventType.NOTICE)
    assert steps.count() == 1
