"""Common problems are flagged, and a notice reaches every buyer of the product and batch."""

import pytest
from django.test import Client
from django.urls import reverse

from rapport.communications.models import OutboundMessage
from rapport.complaints.models import ComplaintEvent
from rapport.complaints.notices import buyers, common_problems

pytestmark = pytest.mark.django_db


def test_flag_and_notify_buyers(
    make_customer,
    make_product,
    complaint_factory,
    manager,
    agent,
    django_capture_on_commit_callbacks,
):
    from rapport.sales.services import order_create

    kettle = make_product(name="Kettle")
    ann = make_customer(emails=["ann@example.com"])
    bob = make_customer(emails=["bob@example.com"])
    cy = make_customer(emails=["cy@example.com"])
    order_create(by=agent, customer_id=ann.pk, lines=[{"product_id": kettle.pk, "batch": "B7"}])
    order_create(by=agent, customer_id=bob.pk, lines=[{"product_id": kettle.pk, "batch": "B7"}])
    order_create(by=agent, customer_id=cy.pk, lines=[{"product_id": kettle.pk, "batch": "B8"}])
    dee = make_customer(emails=["dee@example.com"])  # ordered B7, cancelled: never had one
    order_create(
        by=agent,
        customer_id=dee.pk,
        lines=[{"product_id": kettle.pk, "batch": "B7"}],
        status="cancelled",
    )
    for customer in (ann, bob, ann):
        complaint_factory(customer=customer, product_id=kettle.pk, batch="B7")
    flagged = common_problems()
    assert flagged[0]["product_id"] == kettle.pk and flagged[0]["count"] == 3
    assert buyers(kettle.pk, "B7") == sorted([ann.pk, bob.pk])
    client = Client()
    client.force_login(manager)
    assert "common-problem" in client.get(reverse("complaints:dashboard")).content.decode()
    # The notice steps are written when each buyer is told (after the commit, where the service
    # app's recall tracks the notice).
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("complaints:notice"),
            {"product": kettle.pk, "batch": "B7", "subject": "Kettle B7", "body": "Free repair."},
        )
    sent = OutboundMessage.objects.filter(subject="Kettle B7")
    assert sorted(sent.values_list("customer_id", flat=True)) == sorted([ann.pk, bob.pk])
    assert ComplaintEvent.objects.filter(type="notice").count() == 3
    agent_client = Client()
    agent_client.force_login(agent)
    assert (
        agent_client.post(reverse("complaints:notice"), {"product": kettle.pk}).status_code == 403
    )
