"""Every page and every API operation refuses callers who are not allowed — checked by walking
the URL map and the OpenAPI schema, so a new page or endpoint without a check fails here."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Pages anyone may open: logging in, resetting a password, the language switch, health check,
# the customer portal (its pages check the customer instead: rapport/portal/tests), and the pages
# customers open without an account: an app's <app>/public/ pages (product notices:
# rapport/service/tests) and the pages under /public/ opened from a message (a signed token is their
# key: an unsubscribe link, an RSVP, a newsletter archive; each app tests them).
PUBLIC = re.compile(
    r"^/(accounts/(login|logout|password-reset|reset|welcome)|i18n/|jsi18n/|healthz|favicon\.ico|admin/|api/v1/"
    r"|portal/|public/|[a-z_-]+/public/)"
)


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _concrete(route: str) -> str:
    """A URL for the route: 1 for every path parameter, the first choice of a regex group."""
    url = re.sub(r"\(\?P<\w+>([^|)]*)[^)]*\)", r"\1", route.replace("^", "").replace("$", ""))
    url = re.sub(r"<(?:\w+:)?\w+>", "1", url).replace("\\.", ".")
    return "/" + url


# Pages every logged-in staff member may open whatever their role: their own password.
OWN_ACCOUNT = {"/accounts/password/", "/accounts/password/done/"}


def web_urls() -> list[str]:
    urls = sorted({_concrete(r) for r in _walk(get_resolver().url_patterns)})
    return [u for u in urls if u != "/" and not PUBLIC.match(u) and u not in OWN_ACCOUNT]


@pytest.mark.parametrize("url", sorted(OWN_ACCOUNT))
def test_own_account_pages_need_login(url, client, make_user):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    make_user(role=None, username="nobody", password="a long passphrase")
    assert client.login(username="nobody", password="a long passphrase")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", web_urls())
def test_every_page_needs_login_and_a_permission(url, client, make_user):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(url)
    assert response.status_code in (302, 403), url
    assert response.status_code == 403 or "/accounts/login/" in response["Location"], url

    make_user(role=None, username="nobody", password="a long passphrase")
    assert client.login(username="nobody", password="a long passphrase")
    for method in (client.get, client.post):
        assert method(url).status_code == 403, (method.__name__, url)


def api_operations() -> list[tuple[str, str]]:
    from rapport.api.urls import api

    schema = api.get_openapi_schema()
    return sorted(
        (method.upper(), re.sub(r"\{\w+\}", "1", path))
        for path, methods in schema["paths"].items()
        for method in methods
    )


@pytest.mark.parametrize(("method", "url"), api_operations())
def test_every_api_operation_needs_a_token_and_a_permission(method, url, make_user):
    from rapport.api.tests.helpers import token_client

    anonymous = Client().generic(method, url, "{}", content_type="application/json")
    assert anonymous.status_code == 401, (method, url)
    nobody = token_client(make_user(role=None))
    response = nobody.generic(method, url, "{}", content_type="application/json")
    # 403 from the permission check; 400 where the body or query is checked before it (the
    # caller learns nothing about the data either way).
    assert response.status_code in (400, 403), (method, url, response.status_code)


def test_forms_and_session_api_calls_need_the_csrf_token(make_user):
    from rapport.customers.models import Customer

    make_user("manager", username="boss", password="a long passphrase")
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="boss", password="a long passphrase")
    form = {"family_name": "Novák", "given_name": "Ján"}
    assert browser.post("/customers/new/", form).status_code == 403
    # The API accepts the browser's session only with the CSRF token, like a form.
    api = browser.post("/api/v1/customers", form, content_type="application/json")
    assert api.status_code in (401, 403)
    assert not Customer.objects.exists()
