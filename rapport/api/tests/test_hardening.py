"""Tokens on writes, per-token rate limits, and refusals logged in one line."""

import logging

import pytest
from django.test import Client

from rapport.api.tests.helpers import API, token_client
from rapport.staff.services import token_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])
def test_a_wrong_or_revoked_token_on_a_write_is_401_not_a_csrf_failure(agent, scheme):
    token, key = token_create(user=agent, name="shop")
    token.revoked = True
    token.save()
    for header in (f"{scheme} {key}", f"{scheme} rpt_not_a_token"):
        client = Client(enforce_csrf_checks=True, headers={"Authorization": header})
        response = client.post(
            f"{API}/customers", {"family_name": "Wang"}, content_type="application/json"
        )
        assert response.status_code == 401, response.content
        assert "CSRF" not in response.content.decode()


def test_a_browser_session_still_needs_its_csrf_token(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(
        f"{API}/customers", {"family_name": "Wang"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_each_token_is_rate_limited_with_429_and_retry_after(agent, settings):
    settings.RAPPORT_API_REQUESTS_PER_MINUTE = 5
    first, second = token_client(agent), token_client(agent)
    answers = [first.get(f"{API}/tags").status_code for _ in range(6)]
    assert answers[:5] == [200] * 5 and answers[5] == 429
    response = first.get(f"{API}/tags")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many requests" in response.json()["detail"]
    # Another token of the same user has its own allowance.
    assert second.get(f"{API}/tags").status_code == 200


def test_a_403_is_logged_in_one_line(make_user, make_customer, caplog):
    from rapport.core.logs import OneLineRefusals

    nobody = make_user(None)
    client = Client()
    client.force_login(nobody)
    customer = make_customer()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/customers/{customer.pk}/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    record = records[0]
    assert OneLineRefusals().filter(record)
    text = logging.Formatter().format(record)
    assert "Traceback" not in text and len(text.splitlines()) == 1
    assert "Forbidden" in text


def test_the_configured_console_handler_drops_the_traceback_of_refusals():
    from django.conf import settings

    assert "one_line_refusals" in settings.LOGGING["handlers"]["console"]["filters"]
    handler = logging.getLogger().handlers
    filters = [f for h in handler for f in h.filters]
    assert any(type(f).__name__ == "OneLineRefusals" for f in filters)


def test_the_schema_documents_each_operations_errors(client):
    schema = client.get(f"{API}/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "429"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "patch", "delete"):
                assert "409" in codes, (method, path)
    limit = schema["paths"]["/api/v1/returns"]["get"]["parameters"]
    order = next(p for p in limit if p["name"] == "order")
    assert "maximum" in str(order["schema"]) and "9223372036854775807" in str(order["schema"])
