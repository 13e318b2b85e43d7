"""Who may see the analytics pages and record churn; the customer card partial."""
# ruff: noqa: F811 - fixtures come from factories.py, imported by name

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from rapport.analytics import selectors
from rapport.analytics.models import ChurnRecord
from rapport.analytics.tests import factories as f
from rapport.analytics.tests.factories import (  # noqa: F401
    analytics_roles,
    project_test_settings,
    scored_history,
)
from rapport.analytics.views import PAGES

pytestmark = pytest.mark.django_db
PAGE_NAMES = [name for name, _ in PAGES]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_analyst_sees_every_page(scored_history, analyst_client):
    for name in PAGE_NAMES:
        response = analyst_client.get(reverse(f"analytics:{name}"))
        assert response.status_code == 200, name
        page = response.content.decode()
        assert 'id="analytics-charts"' in page and "vendor/chart-4.6.1.umd.min.js" in page, name
        assert "no-analysis" not in page, name


def test_department_staff_and_agents_may_not(scored_history, make_user):
    for role in ("department", "agent"):
        client = client_for(make_user(role))
        for name in PAGE_NAMES:
            assert client.get(reverse(f"analytics:{name}")).status_code == 403, (role, name)


def test_anonymous_is_sent_to_login(db):
    for name in PAGE_NAMES:
        response = Client().get(reverse(f"analytics:{name}"))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_before_the_first_refresh(analyst_client):
    page = analyst_client.get(reverse("analytics:segments")).content.decode()
    assert 'id="no-analysis"' in page and "rapport analytics_refresh" in page
    export = {"export": "segments"}
    assert analyst_client.get(reverse("analytics:segments"), export).status_code == 404


def test_agent_records_why_a_customer_left(make_user, analyst_client):
    agent = make_user("agent")
    (customer,) = f.customers(1)
    url = reverse("analytics:churn_record", args=[customer.pk])
    client = client_for(agent)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"reason": "inconvenience", "destination": "moved_away", "note": "far"}
    )
    assert response.status_code == 302 and response["Location"] == customer.get_absolute_url()
    record = ChurnRecord.objects.get()
    assert (record.reason, record.destination, record.recorded_by) == (
        "inconvenience",
        "moved_away",
        agent,
    )
    assert client.post(url, {"reason": "bored"}).status_code == 200  # the form shows the error
    assert ChurnRecord.objects.count() == 1
    assert analyst_client.post(url, {"reason": "other"}).status_code == 403


def test_customer_card(scored_history, make_user):
    customer = scored_history["people"][5]
    request = RequestFactory().get("/")
    request.user = make_user("agent")
    card = selectors.customer_analytics(customer_id=customer.pk)
    html = render_to_string(
        "analytics/_customer_card.html", {"analytics": card, "customer": customer}, request=request
    )
    assert str(card["segment_label"]).capitalize() in html and "Customer lifetime value" in html
    assert reverse("analytics:churn_record", args=[customer.pk]) in html
    request.user = make_user("department")
    html = render_to_string(
        "analytics/_customer_card.html", {"analytics": None, "customer": customer}, request=request
    )
    assert "No score yet" in html and "churn" not in html
