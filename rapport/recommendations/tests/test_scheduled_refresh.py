"""Item 4: the refresh is scheduled beside the analytics refresh (after it), and each run
recomputes only the customers whose purchase history changed (a new order, a return); the others'
stored recommendations are left as they are."""

import datetime as dt

import pytest
from django.utils import timezone

from rapport.recommendations.models import HistoryMark, Recommendation
from rapport.sales.models import OrderLine
from rapport.sales.services import order_create, return_create

pytestmark = pytest.mark.django_db


def test_the_refresh_is_scheduled_after_the_analytics_refresh():
    from crontask import scheduler

    from rapport.analytics.tasks import refresh_scores
    from rapport.recommendations.tasks import refresh_recommendations

    jobs = {job.name: job for job in scheduler.get_jobs()}
    ours, analytics = jobs[refresh_recommendations.name], jobs[refresh_scores.name]
    assert ours.func == refresh_recommendations.enqueue

    def at(job):
        fields = {f.name: str(f) for f in job.trigger.fields}
        return int(fields["hour"]) * 60 + int(fields["minute"])

    assert 0 < at(ours) - at(analytics) <= 120


def _stored():
    return {
        customer: sorted(
            Recommendation.objects.filter(customer_id=customer).values_list(
                "pk", "product_id", "computed_at"
            )
        )
        for customer in Recommendation.objects.values_list("customer_id", flat=True).distinct()
    }


def test_each_scheduled_run_recomputes_only_the_changed_histories(
    make_customer, make_product, manager
):
    from rapport.recommendations.tasks import refresh_recommendations

    products = [make_product(name=f"P{i}") for i in range(5)]
    when = timezone.now() - dt.timedelta(days=90)
    customers = []
    for n in range(12):
        c = make_customer(family_name="Run", given_name=str(n))
        order_create(
            by=manager,
            customer_id=c.pk,
            ordered_at=when,
            lines=[{"product_id": products[(n + i) % 5].pk, "quantity": 1} for i in range(2)],
        )
        customers.append(c)
    first = refresh_recommendations.enqueue().return_value
    assert first["customers"] == 12
    before = _stored()
    assert refresh_recommendations.enqueue().return_value["customers"] == 0
    assert _stored() == before  # nothing changed, nothing rewritten

    buyer, returner = customers[0], customers[1]
    order_create(
        by=manager, customer_id=buyer.pk, lines=[{"product_id": products[4].pk, "quantity": 1}]
    )
    line = OrderLine.objects.filter(order__customer=returner).first()
    return_create(by=manager, order_line_id=line.pk, quantity=1)
    done = refresh_recommendations.enqueue().return_value
    assert done["customers"] == 2
    after = _stored()
    for c in customers[2:]:  # untouched: the same rows, computed at the same time
        assert after.get(c.pk) == before.get(c.pk)
    assert after[buyer.pk] != before[buyer.pk]
    assert HistoryMark.objects.get(customer=returner).returns == 1
