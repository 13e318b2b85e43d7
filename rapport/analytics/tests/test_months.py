"""Cohorts and monthly profit: a month in which nobody bought is 0, not blank like a month not
yet observed; the month still in progress is flagged, not drawn as a collapse (issue 9, item 7)."""
# ruff: noqa: F811 - fixtures come from factories.py, imported by name

from datetime import date

import pytest
from django.urls import reverse

from rapport.analytics import services
from rapport.analytics.tests import factories as f
from rapport.analytics.tests.factories import analytics_roles, project_test_settings  # noqa: F401

pytestmark = pytest.mark.django_db
AS_OF = date(2024, 12, 5)  # five days into December


@pytest.fixture
def history(make_product):
    tea = make_product(price="20.00", unit_cost="5.00")
    people = f.customers(3)
    for c in people:  # all start in January 2024, nobody buys in February
        f.order(c, date(2024, 1, 10), [(tea, 1)])
    f.order(people[0], date(2024, 3, 3), [(tea, 1)])
    for month in range(4, 12):  # customer 1 buys every month until November
        f.order(people[1], date(2024, month, 15), [(tea, 2)])
    f.order(people[2], date(2024, 12, 2), [(tea, 1)])
    services.analytics_refresh(as_of=AS_OF, holdout_weeks=4)
    return people


def test_zero_is_not_unobserved_and_the_month_in_progress_is_flagged(history, analyst_client):
    page = analyst_client.get(
        reverse("analytics:leaky_bucket"), {"period_from": "", "period_to": ""}
    )
    (row,) = page.context["cohort"]["rows"]
    assert row["cohort"] == "2024-01" and row["customers"] == 3
    shares = row["shares"]
    assert len(shares) == 12  # January .. December are observed
    assert shares[0] == 1.0 and shares[1] == 0.0  # February: nobody bought — 0, not blank
    assert shares[2] == pytest.approx(1 / 3)
    assert row["partial"] == 11 and [c["partial"] for c in row["cells"]].count(True) == 1
    html = page.content.decode()
    assert 'class="unobserved"' not in html  # nothing after December is shown
    assert "observed only up to day 5" in html
    export = analyst_client.get(
        reverse("analytics:leaky_bucket"),
        {"period_from": "", "period_to": "", "export": "cohorts"},
    )
    line = export.content.decode("utf-8-sig").splitlines()[1].split(",")
    assert line[3] == "0.0"  # month 1 (February) exported as 0


def test_profit_does_not_draw_five_days_as_a_collapse(history, analyst_client):
    page = analyst_client.get(reverse("analytics:profit"))
    monthly = page.context["data"]["monthly"]
    assert monthly["partial"] == "2024-12" and monthly["partial_days"] == 5
    chart = page.context["charts"]["profit-monthly"]
    revenue, so_far = chart["datasets"][0], chart["datasets"][1]
    assert revenue["data"][-1] is None  # the full-month line stops before December
    assert so_far["borderDash"] and so_far["data"][-1] == 20.0 and so_far["data"][-2] == 40.0
    assert all(v is None for v in so_far["data"][:-2])
    rows = page.context["tables"]["profit_by_month"].rows
    assert rows[-1]["month"] == "2024-12 (days 1–5 so far)"


def test_a_month_that_is_over_is_not_flagged(history, analyst_client):
    services.analytics_refresh(as_of=date(2024, 12, 31), holdout_weeks=4)
    page = analyst_client.get(reverse("analytics:profit"))
    assert page.context["data"]["monthly"]["partial"] is None
    (row,) = analyst_client.get(
        reverse("analytics:leaky_bucket"), {"period_from": "", "period_to": ""}
    ).context["cohort"]["rows"]
    assert row["partial"] is None
