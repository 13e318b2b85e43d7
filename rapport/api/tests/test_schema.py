"""The OpenAPI document and the docs page, at ninja's default places under /api/v1/."""

import json

import pytest

from rapport.api.routers import request_errors
from rapport.api.tests.helpers import API

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = {
    "/customers": {"get", "post"},
    "/customers/search": {"get"},
    "/customers/{customer_id}": {"delete", "get", "patch"},
    "/customers/{customer_id}/consents": {"post"},
    "/customers/{customer_id}/history": {"get"},
    "/customers/{customer_id}/timeline": {"get"},
    "/tags": {"get"},
    "/organisations": {"get", "post"},
    "/organisations/{organisation_id}": {"delete", "get", "patch"},
    "/organisations/{organisation_id}/contacts": {"post"},
    "/organisations/{organisation_id}/contacts/{contact_id}": {"delete"},
    "/customers/{customer_id}/duplicates": {"get"},
    "/customers/{customer_id}/merge": {"post"},
    "/customers/merges/{merge_id}/undo": {"post"},
    "/products": {"get", "post"},
    "/products/{product_id}": {"get", "patch"},
    "/orders": {"get", "post"},
    "/orders/{order_id}": {"get"},
    "/returns": {"get"},
    "/orders/{order_id}/returns": {"post"},
    "/customers/{customer_id}/key-figures": {"get"},
    "/exchange-rates": {"get", "post"},
    "/exchange-rates/import": {"post"},
    "/customers/{customer_id}/interactions": {"get", "post"},
    "/interactions/{interaction_id}": {"get"},
    "/customers/{customer_id}/remembered-details": {"get", "post"},
    "/customers/{customer_id}/remembered-details/{detail_id}/archive": {"post"},
    "/analytics/customers/{customer_id}": {"get"},
    "/analytics/segments": {"get"},
    "/analytics/fit": {"get"},
    "/analytics/customers/{customer_id}/churn": {"post"},
    "/privacy/customers/{customer_id}/export": {"get"},
    "/privacy/customers/{customer_id}/erase": {"post"},
    "/privacy/reads": {"get"},
    "/recommendations/customers/{customer_id}": {"get"},
    "/recommendations/products/{product_id}/customers": {"get"},
    "/recommendations/evaluation": {"get"},
    "/duplicates": {"get"},
    "/duplicates/search": {"post"},
    "/duplicates/{pair_id}/merge": {"post"},
    "/duplicates/decisions": {"get", "post"},
    "/duplicates/decisions/{decision_id}": {"delete"},
    "/surveys": {"get", "post"},
    "/surveys/{survey_id}": {"get"},
    "/surveys/{survey_id}/questions": {"post"},
    "/surveys/{survey_id}/invitations": {"get", "post"},
    "/survey-answers": {"get"},
    "/satisfaction": {"get"},
    "/survey-follow-ups": {"get"},
    "/survey-follow-ups/{follow_up_id}/close": {"post"},
    "/survey-suggestions": {"get"},
    "/product-ideas": {"get", "post"},
    "/product-ideas/{idea_id}/status": {"post"},
    "/service-requests": {"get", "post"},
    "/service-requests/{request_id}/visits": {"post"},
    "/service-visits": {"get"},
    "/service-visits/{visit_id}/done": {"post"},
    "/service-commitments": {"get", "post"},
    "/service-commitments/{commitment_id}/close": {"post"},
    "/service-commitments/report": {"get"},
    "/products/{product_id}/service-interval": {"put"},
    "/product-notices": {"get", "post"},
    "/product-notices/{recall_id}/affected": {"get"},
    "/product-notices/{recall_id}/send": {"post"},
    "/product-notices/{recall_id}/notices": {"get"},
    "/product-notice-answers/{notice_id}": {"post"},
    "/complaints": {"get", "post"},
    "/complaints/{complaint_id}": {"get", "patch"},
    "/complaints/{complaint_id}/actions/{action}": {"post"},
    "/complaints/{complaint_id}/events": {"get"},
    "/complaint-causes": {"get", "post"},
    "/complaints/suggestion": {"get"},
    "/complaints/{complaint_id}/attachments": {"post"},
    "/complaints/pareto": {"get"},
    "/complaints/figures": {"get"},
    "/complaints/notices": {"post"},
    "/outreach/moments": {"get"},
    "/outreach/campaigns": {"get", "post"},
    "/outreach/campaigns/{campaign_id}": {"get"},
    "/outreach/campaigns/{campaign_id}/preview": {"get"},
    "/outreach/campaigns/{campaign_id}/send": {"post"},
    "/outreach/coupons": {"get", "post"},
    "/outreach/coupons/redeem": {"post"},
    "/outreach/events": {"get", "post"},
    "/outreach/events/{event_id}/attendance": {"post"},
    "/loyalty/tiers": {"get", "post"},
    "/loyalty/customers/{customer_id}": {"get"},
    "/loyalty/customers/{customer_id}/spend": {"post"},
    "/loyalty/customers/{customer_id}/adjust": {"post"},
    "/loyalty/customers/{customer_id}/referral": {"post"},
    "/loyalty/leaderboard": {"get"},
    "/loyalty/points-rules": {"get", "put"},
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_schema_lists_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Rapport API"
    paths = {
        p.removeprefix(API): {m for m in ops if m != "parameters"}
        for p, ops in schema["paths"].items()
    }
    assert paths == EXPECTED_PATHS


def test_every_operation_requires_auth_and_every_ref_resolves(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}
    names = set(schema["components"]["schemas"])
    refs = set()

    def collect(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"].removeprefix("#/components/schemas/"))
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema)
    assert refs and refs <= names
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            assert op.get("security"), f"{method} {path} is open"


def test_customer_detail_schema_puts_what_matters_first(schema):
    detail = schema["components"]["schemas"]["CustomerDetail"]["properties"]
    keys = list(detail)
    assert keys[:6] == [
        "id",
        "number",
        "display_name",
        "version",
        "remembered_details",
        "key_figures",
    ]
    assert {"age", "phones", "emails", "addresses", "consents", "tags", "organisations"} <= set(
        keys
    )
    gender = schema["components"]["schemas"]["CustomerIn"]["properties"]["gender"]
    assert gender["enum"] == ["", "female", "male", "other"]


def test_docs_page(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger" in page.lower() and f"{API}/openapi.json" in page


def test_request_errors_are_keyed_by_field():
    errors = [
        {"loc": ("body", "payload", "emails", 0), "msg": "Input should be a valid string"},
        {"loc": ("body", "payload", "birthday"), "msg": "Input should be a valid date"},
        {"loc": ("query", "limit"), "msg": "Input should be less than or equal to 200"},
        {"loc": ("body", "payload"), "msg": "Field required"},
    ]
    assert request_errors(errors) == {
        "emails.0": ["Input should be a valid string"],
        "birthday": ["Input should be a valid date"],
        "limit": ["Input should be less than or equal to 200"],
        "__all__": ["Field required"],
    }
