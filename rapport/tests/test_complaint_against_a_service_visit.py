"""A complaint against a service visit: the complaints app reaches the service app's visits only
through the hub's linkable records (rapport.core.registry), never by importing it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.api.tests.helpers import API, token_client
from rapport.complaints.models import Complaint

pytestmark = pytest.mark.django_db


def test_a_complaint_against_the_customers_own_service_visit(make_user, make_customer, client):
    from rapport.core.registry import linkable_record
    from rapport.service.services import visit_schedule

    agent = make_user("agent")
    ann, bob = make_customer(emails=["ann@example.com"]), make_customer()
    visit = visit_schedule(
        by=agent, customer_id=ann.pk, kind="repair", starts_at=timezone.now() - timedelta(days=1)
    )
    assert linkable_record("service_visit").choices(ann.pk) == [
        (visit.pk, linkable_record("service_visit").describe(visit.pk, ann.pk)[0])
    ]
    api = token_client(agent)
    body = {
        "channel": "phone",
        "category": "service",
        "description": "The technician left the boiler leaking.",
        "target": "service_visit",
    }
    r = api.post(
        f"{API}/complaints",
        dict(body, customer_id=ann.pk, subject_id=visit.pk),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    complaint = Complaint.objects.get(pk=r.json()["id"])
    assert complaint.subject_id == visit.pk and "repair" in complaint.subject_text
    # another customer's visit, or no visit at all, is refused
    for customer, subject in ((bob.pk, visit.pk), (ann.pk, None), (ann.pk, 999999)):
        refused = api.post(
            f"{API}/complaints",
            dict(body, customer_id=customer, subject_id=subject),
            content_type="application/json",
        )
        assert refused.status_code in (400, 422), refused.content
    client.force_login(agent)
    page = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert complaint.subject_text in page
