"""The analytics scores where staff work: on the customer page, in the list filter and the API."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.analytics.services import analytics_refresh
from rapport.customers.models import Customer
from rapport.sales.services import order_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(make_customer, make_product):
    product = make_product(price="50.00", unit_cost="20.00")
    now = timezone.now()
    customers = []
    for i in range(24):
        c = make_customer(family_name="Test", given_name=f"N{i}")
        # A spread of histories: frequent recent buyers, one-off buyers, lapsed buyers.
        for k in range(i % 6 + 1):
            order_create(
                by=None,
                customer_id=c.pk,
                ordered_at=now - timedelta(days=700 - 90 * k - 7 * i),
                lines=[{"product_id": product.pk, "quantity": 1 + i % 3}],
            )
        customers.append(c)
    analytics_refresh()
    return customers


def test_customer_page_shows_segment_and_value(scored, manager_client):
    from rapport.analytics.models import CustomerScore

    score = CustomerScore.objects.get(customer=scored[5])
    page = manager_client.get(scored[5].get_absolute_url()).content.decode()
    assert 'id="customer-analytics"' in page
    assert str(score.get_segment_display()).capitalize()[:6] in page


def test_list_filters_by_segment(scored, manager_client):
    from rapport.analytics.models import CustomerScore

    segment = CustomerScore.objects.values_list("segment", flat=True).first()
    expected = set(
        CustomerScore.objects.filter(segment=segment).values_list("customer_id", flat=True)
    )
    page = manager_client.get(reverse("customers:list"), {"segment": segment}).content.decode()
    shown = {c.pk for c in Customer.objects.all() if f">{c.number}<" in page}
    assert shown == expected


def test_department_staff_do_not_see_scores(scored, make_user, client):
    client.force_login(make_user("department"))
    page = client.get(scored[0].get_absolute_url()).content.decode()
    assert 'id="customer-analytics"' not in page


def test_a_merge_recomputes_the_kept_customers_scores(
    manager, manager_client, make_customer, make_product, django_capture_on_commit_callbacks
):
    """After a merge the kept record has its scores again (issue 11: it said "No score yet")."""
    from datetime import timedelta

    from django.utils import timezone

    from rapport.analytics.models import AnalyticsEvent, CustomerScore
    from rapport.analytics.services import analytics_refresh
    from rapport.customers.services import customer_merge
    from rapport.sales.services import order_create

    product = make_product()
    kept, other = make_customer(family_name="王"), make_customer(family_name="王", given_name="芳")
    now = timezone.now()
    for days in (300, 200, 100):
        order_create(
            by=manager,
            customer_id=other.pk,
            lines=[{"product_id": product.pk}],
            ordered_at=now - timedelta(days=days),
        )
    analytics_refresh()
    assert not CustomerScore.objects.filter(pk=kept.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        customer_merge(
            survivor_id=kept.pk,
            other_id=other.pk,
            by=manager,
            survivor_version=None,
            other_version=None,
        )
    score = CustomerScore.objects.get(pk=kept.pk)
    assert score.orders == 3
    sentences = [e.sentence() for e in AnalyticsEvent.objects.order_by("time", "id")]
    assert "A refresh of the scores was asked for: customer records were merged." in sentences
    assert sentences[-1].startswith("Scores recomputed for")
    page = manager_client.get("/analytics/").content.decode()
    assert "Latest refreshes" in page
