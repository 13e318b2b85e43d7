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
