"""No 500 on any input: hostile filters, cursors, text and numbers get a 400/409 naming the field,
in the API and on the pages (issue 10, item 2), and list fields are bounded (item 4)."""

import base64
import json

import pytest
from django.test import Client

from rapport.api.tests.helpers import API, token_client
from rapport.customers.models import Customer, Tag

pytestmark = pytest.mark.django_db

HOSTILE = ["\x00", "abc", "-116638229340641361920", "9223372036854775808", "1e5", "9999-12-31"]


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


CURSORS = ["abc", _cursor(["x"]), _cursor([1, 2]), _cursor([None, None]), _cursor([10**30, 1])]


@pytest.fixture
def boss(make_user):
    return make_user("administrator")


@pytest.fixture
def api(boss):
    client = token_client(boss)
    client.raise_request_exception = False
    return client


@pytest.fixture
def web(boss):
    client = Client(raise_request_exception=False)
    client.force_login(boss)
    return client


def test_the_reported_filters_are_400_naming_the_field(api):
    for url, field, value in [
        (f"{API}/returns", "order", "-116638229340641361920"),
        (f"{API}/returns", "customer", "9223372036854775808"),
        (f"{API}/orders", "customer", "9223372036854775808"),
        (f"{API}/orders", "ordered_to", "9999-12-31"),
        (f"{API}/orders", "ordered_from", "0001-01-01"),
        (f"{API}/customers", "organisation", "9223372036854775808"),
    ]:
        response = api.get(url, {field: value})
        assert response.status_code == 400, (url, field, response.content)
        assert field in response.json()["errors"]


def test_no_list_endpoint_answers_500_to_hostile_filters_or_cursors(api, make_customer):
    from rapport.api.urls import api as ninja

    customer = make_customer()
    schema = ninja.get_openapi_schema()
    problems = []
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        url = path.replace("{customer_id}", str(customer.pk))
        if "{" in url:
            continue
        for param in operations["get"].get("parameters", []):
            if param["in"] != "query":
                continue
            name = param["name"]
            for value in CURSORS if name == "cursor" else HOSTILE:
                status = api.get(url, {name: value}).status_code
                if status >= 500:
                    problems.append((url, name, value, status))
    assert problems == []


def test_a_cursor_that_is_not_ours_is_400_naming_the_cursor(api, web):
    for cursor in CURSORS:
        response = api.get(f"{API}/orders", {"cursor": cursor})
        assert response.status_code == 400 and "cursor" in response.json()["errors"], cursor
        response = web.get("/sales/orders/", {"cursor": cursor})
        assert response.status_code == 400 and "cursor" in response.content.decode()


@pytest.mark.parametrize(
    "page,param",
    [
        ("/sales/orders/", "customer"),
        ("/imports/export/orders.csv", "customer"),
        ("/imports/export/customers.csv", "organisation"),
        ("/imports/export/customers.xlsx", "customer_since_from"),
        ("/customers/", "cursor"),
        ("/communications/", "cursor"),
        ("/customers/organisations/", "cursor"),
    ],
)
def test_pages_and_exports_refuse_bad_filters_before_sending_anything(web, page, param):
    values = CURSORS if param == "cursor" else HOSTILE
    for value in values:
        response = web.get(page, {param: value})
        assert response.status_code in (200, 400), (page, param, value, response.status_code)
        if response.status_code == 400:
            assert param in response.content.decode()
        if response.streaming:  # an export that starts is complete
            b"".join(response.streaming_content)


def test_nul_bytes_and_lone_surrogates_in_text_are_400_naming_the_field(api, web, make_customer):
    c = make_customer()
    for text in ("Wang\x00", "Wang\ud800"):
        body = json.dumps({"family_name": text})  # JSON escapes both as \\u0000 / \\ud800
        response = api.post(f"{API}/customers", body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert "family_name" in response.json()["errors"]
        body = json.dumps({"version": c.version, "notes": "x", "tags": [text]})
        response = api.patch(f"{API}/customers/{c.pk}", body, content_type="application/json")
        assert response.status_code == 400 and "tags.0" in response.json()["errors"]
    # the web form shows itself again, the error on the field (test_web_forms_… below)
    response = web.post(
        f"/customers/{c.pk}/edit/", {"family_name": "Wang\x00", "version": c.version}
    )
    assert response.status_code == 200 and "family_name" in response.context["form"].errors
    response = api.get(f"{API}/customers/search", {"q": "a\x00"})
    assert response.status_code == 400 and "q" in response.json()["errors"]
    assert Customer.objects.get(pk=c.pk).family_name == c.family_name


def test_text_with_nul_is_refused_by_the_service_too(manager):
    from django.core.exceptions import ValidationError

    from rapport.customers.services import customer_create

    with pytest.raises(ValidationError) as caught:
        customer_create(by=manager, family_name="Wang", notes="a\x00b")
    assert "notes" in caught.value.message_dict


def test_an_order_too_large_for_its_columns_is_400_naming_the_lines(
    api, make_customer, make_product
):
    c, p = make_customer(), make_product(price="999999999999.00")
    for line in (
        {"product_id": p.pk, "quantity": "999999999"},
        {"product_id": p.pk, "quantity": "99999999999"},
        {"product_id": p.pk, "quantity": "1", "unit_price": "999999999999.99"},
    ):
        response = api.post(
            f"{API}/orders",
            {"customer_id": c.pk, "lines": [line, line, line] * 40},
            content_type="application/json",
        )
        assert response.status_code == 400, response.content
        assert any(k.startswith("lines") for k in response.json()["errors"])


def test_a_time_that_leaves_the_calendar_in_utc_is_400(api, make_customer, make_product):
    c, p = make_customer(), make_product()
    for moment in ("9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00"):
        response = api.post(
            f"{API}/orders",
            {"customer_id": c.pk, "ordered_at": moment, "lines": [{"product_id": p.pk}]},
            content_type="application/json",
        )
        assert response.status_code == 400, response.content
        assert "ordered_at" in response.json()["errors"]


def test_another_customers_external_id_is_refused_naming_the_field(api, make_customer):
    first = make_customer(external_id="CRM-1")
    second = make_customer()
    response = api.patch(
        f"{API}/customers/{second.pk}",
        {"version": second.version, "external_id": "CRM-1"},
        content_type="application/json",
    )
    assert response.status_code in (400, 409)
    assert first.number in response.json()["errors"]["external_id"][0]


def test_a_unique_clash_that_escapes_the_checks_is_409_naming_the_field():
    from django.db import IntegrityError, connection

    from rapport.core.middleware import integrity_errors

    try:
        from django.db import transaction

        with transaction.atomic():
            Customer.objects.create(family_name="A", external_id="X-1")
            Customer.objects.create(family_name="B", external_id="X-1")
    except IntegrityError as exc:
        assert list(integrity_errors(exc)) == ["external_id"], (connection.vendor, exc)
    else:
        pytest.fail("no IntegrityError")


def test_a_customer_referring_to_itself_is_told_so(api, make_customer):
    c = make_customer()
    response = api.patch(
        f"{API}/customers/{c.pk}",
        {"version": c.version, "referred_by_id": c.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["referred_by_id"] == ["A customer cannot refer themselves."]


def test_an_agent_chooses_tags_but_cannot_create_them(agent, make_customer, manager):
    Tag.objects.create(name="VIP")
    c = make_customer()
    agent_api = token_client(agent)
    ok = agent_api.patch(
        f"{API}/customers/{c.pk}",
        {"version": c.version, "tags": ["VIP"]},
        content_type="application/json",
    )
    assert ok.status_code == 200
    refused = agent_api.patch(
        f"{API}/customers/{c.pk}",
        {"version": ok.json()["version"], "tags": ["VIP", "Mine"]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "Mine" in refused.json()["errors"]["tags"][0]
    assert not Tag.objects.filter(name="Mine").exists()
    allowed = token_client(manager).patch(
        f"{API}/customers/{c.pk}",
        {"version": ok.json()["version"], "tags": ["VIP", "Mine"]},
        content_type="application/json",
    )
    assert allowed.status_code == 200 and Tag.objects.filter(name="Mine").exists()


def test_list_fields_are_bounded(api, make_customer, settings):
    settings.RAPPORT_CUSTOMER_MAX_TAGS = 3
    settings.RAPPORT_CUSTOMER_MAX_PHONES = 2
    c = make_customer()
    for field, items in [
        ("tags", [f"t{i}" for i in range(10_000)]),
        ("phones", [f"+4219051000{i:02d}" for i in range(3)]),
        ("emails", [f"a{i}@example.com" for i in range(10_000)]),
        ("tags", ["x" * 61]),
    ]:
        response = api.patch(
            f"{API}/customers/{c.pk}",
            {"version": c.version, field: items},
            content_type="application/json",
        )
        assert response.status_code == 400, (field, response.content)
        assert any(k.startswith(field) for k in response.json()["errors"]), response.json()
    assert not Tag.objects.exists()


def test_a_remembered_detail_over_500_characters_is_refused_not_cut(api, make_customer):
    from rapport.communications.models import RememberedDetail

    c = make_customer()
    response = api.post(
        f"{API}/customers/{c.pk}/remembered-details",
        {"text": "x" * 501},
        content_type="application/json",
    )
    assert response.status_code == 400 and "text" in response.json()["errors"]
    assert not RememberedDetail.objects.exists()
    ok = api.post(
        f"{API}/customers/{c.pk}/remembered-details",
        {"text": "y" * 500},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["text"] == "y" * 500


def test_the_detail_service_refuses_too_long_text(manager, make_customer):
    from django.core.exceptions import ValidationError

    from rapport.communications.services import detail_add

    with pytest.raises(ValidationError) as caught:
        detail_add(by=manager, customer_id=make_customer().pk, text="z" * 501)
    assert "500" in caught.value.message_dict["text"][0]


def test_a_phone_extension_is_refused_not_dropped(api, make_customer):
    c = make_customer()
    response = api.patch(
        f"{API}/customers/{c.pk}",
        {"version": c.version, "phones": ["+86 10 6552 9988 ext. 123"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "extension (123)" in " ".join(response.json()["errors"]["phones"])


@pytest.mark.parametrize(
    ("url", "data", "field"),
    [
        ("/customers/new/", {"family_name": "Wang\x00", "given_name": "Wei"}, "family_name"),
        ("/customers/{c}/edit/", {"family_name": "Wang", "notes": "a\x00b"}, "notes"),
        ("/customers/organisations/new/", {"name": "Acme\x00"}, "name"),
        ("/privacy/customers/{c}/erase/", {"reason": "asked\x00", "confirm": "on"}, "reason"),
        (
            "/imports/",
            {"kind": "customers", "mode": "all", "column_map": "a\x00 = b"},
            "column_map",
        ),
    ],
)
def test_web_forms_show_a_nul_byte_as_an_error_on_its_field(web, make_customer, url, data, field):
    """Item 2: text the database cannot hold in a web form is an error on the form's field (the
    form shown again, what was typed kept), not a page of its own; nothing is written."""
    c = make_customer(family_name="Li", notes="kept")
    data = {**data, "version": c.version}
    before = (Customer.objects.count(), Customer.objects.get(pk=c.pk).notes)
    response = web.post(url.format(c=c.pk), data)
    assert response.status_code == 200, response.content[:300]
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert "Null characters are not allowed" in " ".join(form.errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()  # shown on the field
    assert (Customer.objects.count(), Customer.objects.get(pk=c.pk).notes) == before


def test_a_page_that_reads_posted_values_by_hand_still_refuses_them_naming_the_field(
    web, make_customer
):
    c = make_customer()
    response = web.post(
        f"/customers/{c.pk}/consent/",
        {"channel": "email", "granted": "true", "method": "phone", "note": "a\x00"},
    )
    assert response.status_code == 400 and "note" in response.content.decode()
