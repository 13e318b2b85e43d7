"""The analytics API: a customer's scores, segments, the latest fit, churn records."""
# ruff: noqa: F811 - fixtures come from factories.py, imported by name

import pytest

from rapport.analytics.models import ChurnRecord, CustomerScore
from rapport.analytics.tests import factories as f
from rapport.analytics.tests.factories import (  # noqa: F401
    analytics_roles,
    project_test_settings,
    scored_history,
)
from rapport.api.tests.helpers import API, token_client
from rapport.core.models import ObjectChange

pytestmark = pytest.mark.django_db


def test_customer_scores(scored_history, make_user):
    score = CustomerScore.objects.first()
    client = token_client(make_user("analyst"))
    body = client.get(f"{API}/analytics/customers/{score.customer_id}").json()
    assert body["segment"] == score.segment and body["segment_label"]
    assert body["p_alive"] == pytest.approx(score.p_alive)
    assert float(body["clv"]) == pytest.approx(float(score.clv))
    assert body["churn_risk_band"] == score.churn_risk_band and body["horizon_weeks"] == 52
    assert body["as_of"] == "2024-12-31"
    (newcomer,) = f.customers(1)
    assert client.get(f"{API}/analytics/customers/{newcomer.pk}").status_code == 404
    denied = token_client(make_user("department"))
    assert denied.get(f"{API}/analytics/customers/{score.customer_id}").status_code == 403


def test_segments_and_fit(scored_history, make_user):
    client = token_client(make_user("analyst"))
    segments = client.get(f"{API}/analytics/segments").json()
    assert len(segments["items"]) == 8 and segments["customers"] == CustomerScore.objects.count()
    fit = client.get(f"{API}/analytics/fit").json()
    assert set(fit["bgnbd"]["params"]) == {"r", "alpha", "a", "b"}
    assert fit["customers"] == CustomerScore.objects.count() and fit["holdout"]["bgnbd"]
    agent = token_client(make_user("agent"))
    assert agent.get(f"{API}/analytics/segments").status_code == 403
    assert agent.get(f"{API}/analytics/fit").status_code == 403


def test_fit_before_any_refresh(make_user):
    assert token_client(make_user("analyst")).get(f"{API}/analytics/fit").status_code == 404


def test_record_churn(make_user):
    (customer,) = f.customers(1)
    agent = make_user("agent")
    client = token_client(agent)
    url = f"{API}/analytics/customers/{customer.pk}/churn"
    response = client.post(
        url,
        {"reason": "neglect", "destination": "competitor", "note": "rude"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reason"] == "neglect" and body["destination_label"] == "to a competitor"
    assert body["recorded_by"] == agent.username
    assert ObjectChange.objects.filter(customer_id=customer.pk, object_id=body["id"]).exists()
    bad = client.post(url, {"reason": "bored"}, content_type="application/json")
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]
    assert (
        client.post(
            f"{API}/analytics/customers/999999/churn",
            {"reason": "other"},
            content_type="application/json",
        ).status_code
        == 404
    )
    analyst = token_client(make_user("analyst"))
    assert (
        analyst.post(url, {"reason": "other"}, content_type="application/json").status_code == 403
    )
    assert ChurnRecord.objects.count() == 1
