"""The products page: return and complaint rates per product (complaints from a registered
source), the period and segment filters, and the plain statement before complaints exist."""
# ruff: noqa: F811 - fixtures come from factories.py, imported by name

import csv
import io
from datetime import date

import polars as pl
import pytest
from django.urls import reverse

from rapport.analytics import services
from rapport.analytics.models import CustomerScore
from rapport.analytics.tests import factories as f
from rapport.analytics.tests.factories import analytics_roles, project_test_settings  # noqa: F401

pytestmark = pytest.mark.django_db
AS_OF = date(2024, 12, 31)
SPRING = {"period_from": "2024-03", "period_to": "2024-04"}


@pytest.fixture
def shop():
    tea, cake = f.products(2)
    alice, bob = f.customers(2)
    f.order(alice, date(2024, 3, 1), [(tea, 1), (cake, 1)])
    f.order(bob, date(2024, 3, 5), [(tea, 2)])
    f.order(bob, date(2024, 4, 1), [(tea, 1), (tea, 1)])  # two lines, one order with tea
    f.order(bob, date(2024, 6, 1), [(tea, 1)])  # outside the period
    return {"tea": tea, "cake": cake, "alice": alice, "bob": bob}


def complaints_from(shop):
    def source(end):
        return pl.DataFrame(
            {
                "product_id": [shop["tea"].pk, shop["cake"].pk, shop["tea"].pk],
                "month": [date(2024, 3, 1), date(2024, 4, 1), date(2024, 9, 1)],
                "complaints": [2, 1, 5],
                "customer_id": [shop["alice"].pk, None, shop["bob"].pk],
            }
        )

    return source


def table(client, params) -> dict[int, dict[str, str]]:
    """The products page's return and complaint table as CSV rows by SKU."""
    response = client.get(reverse("analytics:products"), {**params, "export": "returns"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {r["SKU"]: r for r in rows}


def test_complaint_rate_is_complaints_per_order_with_the_product(shop, analyst_client, monkeypatch):
    monkeypatch.setitem(services.PRODUCT_COMPLAINT_SOURCES, "complaints", complaints_from(shop))
    services.analytics_refresh(as_of=AS_OF, holdout_weeks=4)
    page = analyst_client.get(reverse("analytics:products"), SPRING)
    rows = {r["sku"]: r for r in page.context["tables"]["returns"].rows}
    tea, cake = rows[shop["tea"].sku], rows[shop["cake"].sku]
    # tea: 3 orders in March–April (the two-line order counts once), 2 complaints
    assert (tea["orders"], tea["complaints"]) == (3, 2)
    assert tea["complaint_rate"] == pytest.approx(2 / 3)
    assert (cake["orders"], cake["complaints"], cake["complaint_rate"]) == (1, 1, 1.0)
    assert [r["sku"] for r in page.context["tables"]["returns"].rows][:2] == [
        shop["cake"].sku,
        shop["tea"].sku,
    ]  # worst first
    html = page.content.decode()
    assert 'id="complaint-rates"' in html and "divided" in html
    exported = table(analyst_client, SPRING)
    assert float(exported[shop["tea"].sku]["Complaint rate"]) == pytest.approx(2 / 3, abs=1e-6)
    # the whole history: September's complaints about tea against its 4 orders
    everything = table(analyst_client, {"period_from": "", "period_to": ""})
    assert float(everything[shop["tea"].sku]["Complaint rate"]) == pytest.approx(7 / 4, abs=1e-6)


def test_segment_filter_applies_to_sales_and_complaints(shop, analyst_client, monkeypatch):
    monkeypatch.setitem(services.PRODUCT_COMPLAINT_SOURCES, "complaints", complaints_from(shop))
    services.analytics_refresh(as_of=AS_OF, holdout_weeks=4)
    segment = CustomerScore.objects.get(customer=shop["alice"]).segment
    assert CustomerScore.objects.get(customer=shop["bob"]).segment != segment
    rows = table(analyst_client, {**SPRING, "segment": segment})
    tea, cake = rows[shop["tea"].sku], rows[shop["cake"].sku]
    assert (tea["Orders with the product"], tea["Complaints"], tea["Sold"]) == ("1", "2", "1.0")
    assert cake["Complaints"] == "0"  # the complaint without a customer has no segment
    first = analyst_client.get(
        reverse("analytics:products"), {**SPRING, "segment": segment}
    ).context["tables"]["first_products"]
    assert sum(r["first_buyers"] for r in first.rows if r["sku"] == shop["tea"].sku) == 1


def test_before_complaints_are_recorded(shop, analyst_client):
    services.analytics_refresh(as_of=AS_OF, holdout_weeks=4)
    page = analyst_client.get(reverse("analytics:products"), SPRING)
    returns = page.context["tables"]["returns"]
    assert "complaint_rate" not in [c.key for c in returns.columns]
    assert "appear here once complaints are recorded" in page.content.decode()
    assert {r["sku"] for r in returns.rows} == {shop["tea"].sku, shop["cake"].sku}
