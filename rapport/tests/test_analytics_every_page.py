"""Every dashboard opens with every filter value — on the demo data, on a database where nobody
has bought, and on a history too small to forecast — and every table downloads (issue 9,
item 10: `?segment=new` on the loyalty page and the products page of an empty database were
500s)."""
# ruff: noqa: F811 - fixtures come from factories.py, imported by name

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.analytics import services
from rapport.analytics.choices import Segment
from rapport.analytics.tests import factories as f
from rapport.analytics.tests.factories import analytics_roles, project_test_settings  # noqa: F401
from rapport.analytics.views import PAGES

pytestmark = pytest.mark.django_db

FILTERS = [
    {},
    *({"segment": s} for s in Segment.values),
    {"period_from": "", "period_to": ""},
    {"period_from": "1990-01", "period_to": "1990-03"},  # before any purchase
    {"period_to": "2001-01", "period_from": "2031-12"},  # reversed, far future
    {"segment": "nonsense", "period_from": "not a month"},
]


def open_everything(client) -> int:
    opened = 0
    for name, _ in PAGES:
        url = reverse(f"analytics:{name}")
        for params in FILTERS:
            response = client.get(url, params)
            assert response.status_code == 200, (name, params)
            for table in response.context["tables"]:
                export = client.get(url, {**params, "export": table})
                assert export.status_code == 200, (name, params, table)
            opened += 1
    return opened


def test_on_the_demo_data(analyst_client):
    from rapport.demo.services import generate_demo

    generate_demo(customers=250, seed=11)
    fit = services.analytics_refresh(as_of=timezone.localdate())
    assert fit.customers > 100 and fit.scored_by
    assert open_everything(analyst_client) == len(PAGES) * len(FILTERS)


def test_when_nobody_has_bought(analyst_client):
    f.customers(3)
    services.analytics_refresh(as_of=date(2024, 12, 31))
    assert open_everything(analyst_client) == len(PAGES) * len(FILTERS)


def test_with_too_little_history_to_forecast(analyst_client, make_product):
    tea = make_product(price="12.00")
    for i, c in enumerate(f.customers(4)):
        for k in range(i + 1):
            f.order(c, date(2024, 3, 1 + 5 * k), [(tea, 1)])
    fit = services.analytics_refresh(as_of=date(2024, 12, 31))
    assert fit.scored_by == "" and fit.customers == 4
    assert open_everything(analyst_client) == len(PAGES) * len(FILTERS)
    page = analyst_client.get(reverse("analytics:future")).content.decode()
    assert "too little purchase history to forecast" in page
