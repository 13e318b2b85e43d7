"""The customer API: auth, permissions, CRUD with versions, search, history, paging, query counts."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from rapport.api.tests.helpers import API, count_queries, token_client
from rapport.communications.services import detail_add, detail_archive
from rapport.core.models import ObjectChange
from rapport.customers.models import Customer, CustomerPhone, OrganisationContact, Tag
from rapport.customers.services import customer_update, organisation_create
from rapport.sales.services import order_create

pytestmark = pytest.mark.django_db

CUSTOMERS = f"{API}/customers"


def detail_url(customer: Customer | int) -> str:
    return f"{CUSTOMERS}/{getattr(customer, 'pk', customer)}"


@pytest.fixture
def agent_api(agent) -> Client:
    return token_client(agent)


# Authentication and permissions ---------------------------------------------------------------


def test_bearer_and_token_headers_authenticate(agent, make_customer):
    c = make_customer()
    for scheme in ("Bearer", "Token"):
        response = token_client(agent, scheme=scheme).get(detail_url(c))
        assert response.status_code == 200, scheme
        assert response.json()["id"] == c.pk


def test_token_from_the_management_command_works(agent, make_customer):
    c = make_customer()
    out = StringIO()
    call_command("token", "create", agent.username, stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    assert key.startswith("rpt_")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    assert client.get(detail_url(c)).json()["number"] == c.number


def test_session_login_works_too(agent_client, make_customer):
    c = make_customer()
    assert agent_client.get(detail_url(c)).status_code == 200


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", ""),
        ("post", ""),
        ("get", "/search?q=x"),
        ("get", "/1"),
        ("patch", "/1"),
        ("delete", "/1"),
        ("get", "/1/history"),
        ("get", "/1/timeline"),
    ],
)
def test_no_credentials_is_401(client, method, path):
    response = getattr(client, method)(f"{CUSTOMERS}{path}", {}, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_wrong_or_revoked_token_is_401(agent, make_customer):
    from rapport.staff.models import ApiToken

    c = make_customer()
    assert (
        Client(headers={"Authorization": "Bearer rpt_nonsense"}).get(detail_url(c)).status_code
        == 401
    )
    client = token_client(agent)
    ApiToken.objects.filter(user=agent).update(revoked=True)
    assert client.get(detail_url(c)).status_code == 401


def test_analyst_reads_but_cannot_create(make_user):
    client = token_client(make_user("analyst"))
    assert client.get(CUSTOMERS).status_code == 200
    response = client.post(CUSTOMERS, {"family_name": "李"}, content_type="application/json")
    assert response.status_code == 403
    assert "permission" in response.json()["detail"]
    assert not Customer.objects.exists()


def test_department_cannot_change_or_delete_customers(make_user, make_customer):
    c = make_customer(occupation="nurse")
    client = token_client(make_user("department"))
    assert client.get(detail_url(c)).status_code == 200
    response = client.patch(
        detail_url(c),
        {"version": c.version, "occupation": "pilot"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert client.delete(detail_url(c)).status_code == 403
    c.refresh_from_db()
    assert c.occupation == "nurse"


def test_user_without_any_role_gets_403(make_user):
    assert token_client(make_user(None)).get(CUSTOMERS).status_code == 403


# Create, read, update, delete -----------------------------------------------------------------


def test_create_read_update_delete(agent_api, manager):
    Tag.objects.bulk_create([Tag(name="VIP"), Tag(name="Beijing")])  # agents choose, never create
    response = agent_api.post(
        CUSTOMERS,
        {
            "family_name": "王",
            "given_name": "小明",
            "gender": "male",
            "birthday": "1990-05-01",
            "phones": [{"number": "138 0013 8000", "kind": "mobile"}, "010-6552 9988"],
            "emails": ["XiaoMing@Example.CN"],
            "tags": ["VIP", "Beijing"],
            "addresses": [
                {"kind": "home", "line1": "朝阳路 1 号", "city": "北京", "country": "CN"}
            ],
            "preferred_language": "zh-hans",
            "hobbies": "tea, calligraphy",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    c = Customer.objects.get()
    assert (
        body["id"] == c.pk and body["number"] == f"C{c.pk:07d}" and body["display_name"] == "王小明"
    )
    assert body["version"] == 1 and isinstance(body["age"], int)
    # National spellings are stored as E.164; the first phone is the primary one.
    assert sorted(CustomerPhone.objects.values_list("number", flat=True)) == [
        "+861065529988",
        "+8613800138000",
    ]
    assert body["phones"][0] == {
        "number": "+8613800138000",
        "display": "+86 138 0013 8000",
        "kind": "mobile",
        "is_primary": True,
    }
    assert body["emails"] == [{"address": "xiaoming@example.cn", "is_primary": True}]
    assert sorted(body["tags"]) == ["Beijing", "VIP"]
    assert body["addresses"][0]["city"] == "北京"
    assert body["customer_since"] == date.today().isoformat()

    fetched = agent_api.get(detail_url(c)).json()
    assert fetched["phones"] == body["phones"] and fetched["hobbies"] == "tea, calligraphy"

    response = agent_api.patch(
        detail_url(c),
        {
            "version": 1,
            "occupation": "teacher",
            "phones": ["13900139000"],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2 and body["occupation"] == "teacher"
    assert [p["number"] for p in body["phones"]] == ["+8613900139000"]
    assert body["emails"] == fetched["emails"]  # fields not sent stay as they were
    c.refresh_from_db()
    assert (c.occupation, c.primary_phone, c.version) == ("teacher", "+8613900139000", 2)

    # Deleting needs the delete permission: managers have it, agents do not.
    assert agent_api.delete(detail_url(c)).status_code == 403
    manager_api = token_client(manager)
    assert manager_api.delete(f"{detail_url(c)}?version=1").status_code == 409
    assert manager_api.delete(f"{detail_url(c)}?version=2").status_code == 204
    assert not Customer.objects.filter(pk=c.pk).exists()
    response = manager_api.get(detail_url(c))
    assert response.status_code == 404 and response.json()["detail"]


def test_missing_customer_is_404(agent_api):
    assert agent_api.get(detail_url(999_999)).status_code == 404
    response = agent_api.patch(
        detail_url(999_999), {"version": 1, "notes": "x"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_stale_version_is_409_and_changes_nothing(agent_api, make_customer, manager):
    c = make_customer(occupation="nurse")
    customer_update(customer_id=c.pk, by=manager, expected_version=c.version, occupation="doctor")
    response = agent_api.patch(
        detail_url(c),
        {"version": c.version, "occupation": "pilot"},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["current_version"] == c.version + 1
    assert "Someone else" in body["detail"] and manager.username in body["detail"]
    c.refresh_from_db()
    assert c.occupation == "doctor"


def test_patch_without_version_is_400(agent_api, make_customer):
    c = make_customer()
    response = agent_api.patch(
        detail_url(c), {"occupation": "pilot"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "version" in response.json()["errors"]


def test_bad_email_is_400_with_field_errors(agent_api, make_customer):
    response = agent_api.post(
        CUSTOMERS,
        {"family_name": "Novák", "emails": ["jan(at)novak.sk"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The data is not valid."
    assert body["errors"]["emails"] == ["“jan(at)novak.sk” is not a valid email address."]
    assert not Customer.objects.exists()

    c = make_customer()
    response = agent_api.patch(
        detail_url(c), {"version": c.version, "emails": ["nope"]}, content_type="application/json"
    )
    assert response.status_code == 400 and "emails" in response.json()["errors"]
    c.refresh_from_db()
    assert c.version == 1


def test_other_service_validation_errors_are_400(agent_api):
    response = agent_api.post(
        CUSTOMERS, {"family_name": "Li", "phones": ["12"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"phones": ["“12” is not a valid phone number."]}
    # Names are checked together with the other profile fields.
    response = agent_api.post(CUSTOMERS, {"gender": "dragon"}, content_type="application/json")
    assert set(response.json()["errors"]) == {"family_name", "gender"}
    assert not Customer.objects.exists()


def test_unparseable_body_is_400_in_the_same_shape(agent_api):
    response = agent_api.post(
        CUSTOMERS, {"family_name": "Li", "birthday": "yesterday"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["birthday"]
    response = agent_api.post(
        CUSTOMERS,
        {"family_name": "Li", "phones": ["13800138000", {"kind": "home"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phones.1.number"]
    assert not Customer.objects.exists()


def test_delete_customer_with_orders_is_refused(make_user, make_customer, make_product):
    manager = make_user("manager")
    c = make_customer()
    order_create(by=manager, customer_id=c.pk, lines=[{"product_id": make_product().pk}])
    response = token_client(manager).delete(detail_url(c))
    assert response.status_code == 400
    assert "orders" in response.json()["detail"]
    assert Customer.objects.filter(pk=c.pk).exists()


def test_consent_is_recorded(agent_api, make_customer):
    c = make_customer()
    response = agent_api.post(
        f"{detail_url(c)}/consents",
        {"channel": "email", "granted": True, "method": "phone"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["granted"] is True
    consents = agent_api.get(detail_url(c)).json()["consents"]
    assert [(x["channel"], x["granted"], x["method"]) for x in consents] == [
        ("email", True, "phone")
    ]
    response = agent_api.post(
        f"{detail_url(c)}/consents",
        {"channel": "fax", "granted": True, "method": "phone"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "channel" in response.json()["errors"]


# Search ---------------------------------------------------------------------------------------


@pytest.fixture
def people(make_customer):
    return {
        "wang": make_customer(
            family_name="王", given_name="小明", phones=["13800138000"], emails=["xm@example.cn"]
        ),
        "li": make_customer(family_name="李", given_name="小红", phones=["13911112222"]),
        "novak": make_customer(
            family_name="Novák", given_name="Ján", phones=["+421905123456"], emails=["jan@novak.sk"]
        ),
        "smith": make_customer(family_name="Smith", given_name="Alexandria"),
    }


@pytest.mark.parametrize(
    "query,expected",
    [
        ("+86 138-0013-8000", ["wang"]),  # stored as +8613800138000, typed another way
        ("0086 13800138000", ["wang"]),
        ("JAN@Novak.SK", ["novak"]),
        ("明", ["wang"]),  # one CJK character
        ("小红", ["li"]),  # two CJK characters
        ("小", ["li", "wang"]),  # a character both names share
        ("alex", ["smith"]),  # Latin prefix
        ("novak", ["novak"]),  # without the accent
        ("王大", []),
    ],
)
def test_search(agent_api, people, query, expected):
    response = agent_api.get(f"{CUSTOMERS}/search", {"q": query})
    assert response.status_code == 200
    found = {item["id"] for item in response.json()["items"]}
    assert found == {people[name].pk for name in expected}


def test_search_by_number_returns_list_items(agent_api, people):
    c = people["novak"]
    items = agent_api.get(f"{CUSTOMERS}/search", {"q": c.number}).json()["items"]
    assert [(i["id"], i["display_name"], i["primary_email"]) for i in items] == [
        (c.pk, "Ján Novák", "jan@novak.sk")
    ]


def test_search_items_are_exactly_the_list_item_schema(agent_api, make_customer):
    """The search endpoint builds its items without the schema; they must be what it would give."""
    import json

    from django.db.models import prefetch_related_objects

    from rapport.customers.api_schemas import CustomerListItem
    from rapport.customers.search import search_customers

    today = date.today()
    tomorrow = today + timedelta(days=1)
    made = [
        make_customer(
            family_name="Wang",
            given_name="Lan",
            gender="female",
            birthday=today.replace(year=today.year - 28),  # birthday today: 28 already
            preferred_language="zh-hans",
            customer_since=date(2020, 2, 29),
            source="referral",
            phones=["13800138000"],
            emails=["lan@example.cn"],
            tags=["VIP", "B2B", "早鸟"],
        ),
        make_customer(
            family_name="Wang",
            given_name="Bo",
            birthday=tomorrow.replace(year=tomorrow.year - 40),  # 39 until tomorrow
        ),
        make_customer(family_name="Wang", given_name="", tags=["VIP"]),
    ]
    customer_update(customer_id=made[2].pk, by=None, expected_version=None, occupation="x")
    response = agent_api.get(f"{CUSTOMERS}/search", {"q": "wang"})
    assert response.status_code == 200
    assert response["Content-Type"] == agent_api.get(CUSTOMERS)["Content-Type"]
    found = search_customers("wang")
    prefetch_related_objects(found, "tags")
    expected = [json.loads(CustomerListItem.from_orm(c).model_dump_json()) for c in found]
    assert response.json() == {"items": expected}
    assert [i["id"] for i in expected] == [c.pk for c in reversed(made)]  # newest first
    assert expected[2]["tags"] == ["B2B", "VIP", "早鸟"] and expected[2]["age"] == 28
    assert expected[1]["age"] == 39 and expected[0]["version"] == 2


def test_search_limit_and_a_query_that_finds_nothing(agent_api, make_customer):
    for _ in range(3):
        make_customer(family_name="Novák")
    assert (
        len(agent_api.get(f"{CUSTOMERS}/search", {"q": "novak", "limit": 2}).json()["items"]) == 2
    )
    assert agent_api.get(f"{CUSTOMERS}/search", {"q": "nobody"}).json() == {"items": []}
    assert agent_api.get(f"{CUSTOMERS}/search", {"q": "novak", "limit": 0}).status_code == 400


# History and timeline -------------------------------------------------------------------------


def test_history_records_who_changed_which_field_from_what_to_what(make_user, make_customer):
    agent = make_user("agent", username="lin.agent")
    c = make_customer(family_name="Smith", given_name="Anna", occupation="nurse")
    client = token_client(agent)
    client.patch(
        detail_url(c),
        {"version": 1, "occupation": "pilot", "phones": ["+421905123456"]},
        content_type="application/json",
    )
    response = client.get(f"{detail_url(c)}/history")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["action"] for i in items] == ["update", "create"]
    update = items[0]
    assert update["user"] == "lin.agent" and update["object_type"] == "customer"
    assert update["object_id"] == c.pk
    changes = {ch["field"]: (ch["before"], ch["after"]) for ch in update["changes"]}
    assert changes == {"occupation": ("nurse", "pilot"), "phones": ([], ["+421905123456"])}
    assert ("family_name", None, "Smith") in {
        (ch["field"], ch["before"], ch["after"]) for ch in items[1]["changes"]
    }


def test_history_outlives_the_customer_and_needs_permission(make_user, make_customer):
    c = make_customer()
    manager = token_client(make_user("manager"))
    assert manager.delete(detail_url(c)).status_code == 204
    items = manager.get(f"{detail_url(c)}/history").json()["items"]
    assert [i["action"] for i in items] == ["delete", "create"]
    assert manager.get(f"{detail_url(999_999)}/history").status_code == 404
    # Department staff see customers but not the change log.
    other = make_customer()
    assert (
        token_client(make_user("department")).get(f"{detail_url(other)}/history").status_code == 403
    )


def test_history_pages(agent_api, make_customer, agent):
    c = make_customer()
    for n in range(7):
        customer_update(customer_id=c.pk, by=agent, expected_version=None, notes=f"note {n}")
    seen, cursor = [], None
    while True:
        body = agent_api.get(
            f"{detail_url(c)}/history", {"limit": 3, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [i["id"] for i in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    expected = list(
        ObjectChange.objects.filter(customer_id=c.pk)
        .order_by("-time", "-id")
        .values_list("id", flat=True)
    )
    assert seen == expected and len(seen) == 8


def test_timeline_merges_orders_interactions_and_changes(
    agent_api, agent, make_customer, make_product
):
    from rapport.communications.services import interaction_log

    c = make_customer()
    interaction_log(
        by=agent,
        customer_id=c.pk,
        kind="call",
        direction="inbound",
        summary="Asked for a catalogue",
    )
    order_create(
        by=agent, customer_id=c.pk, lines=[{"product_id": make_product().pk, "quantity": 2}]
    )
    response = agent_api.get(f"{detail_url(c)}/timeline")
    assert response.status_code == 200
    items = response.json()["items"]
    assert {i["kind"] for i in items} == {"order", "interaction", "change"}
    times = [i["time"] for i in items]
    assert times == sorted(times, reverse=True)
    order = next(i for i in items if i["kind"] == "order")
    assert order["details"]["total"] == "200.00"
    assert agent_api.get(f"{detail_url(c)}/timeline", {"limit": 2}).json()["items"] == items[:2]
    assert agent_api.get(f"{detail_url(999_999)}/timeline").status_code == 404


# The detail response --------------------------------------------------------------------------


def test_detail_shows_remembered_details_first_and_key_figures(
    agent_api, agent, make_customer, make_product
):
    c = make_customer()
    older_pinned = detail_add(
        by=agent, customer_id=c.pk, text="Allergic to peanuts", kind="concern", pinned=True
    )
    archived = detail_add(by=agent, customer_id=c.pk, text="Moving house in May")
    detail_archive(by=agent, detail_id=archived.pk)
    newer = detail_add(
        by=agent, customer_id=c.pk, text="Daughter starts university", kind="family_event"
    )
    p = make_product(price="80.00")
    order_create(by=agent, customer_id=c.pk, lines=[{"product_id": p.pk, "quantity": 3}])
    order_create(by=agent, customer_id=c.pk, lines=[{"product_id": p.pk, "quantity": 1}])
    order_create(by=agent, customer_id=c.pk, lines=[{"product_id": p.pk}], status="cancelled")

    response = agent_api.get(detail_url(c))
    body = response.json()
    assert [d["id"] for d in body["remembered_details"]] == [older_pinned.pk, newer.pk]
    assert body["remembered_details"][0]["created_by"] == agent.username
    keys = list(body)
    assert keys.index("remembered_details") < keys.index("family_name")
    assert keys.index("key_figures") < keys.index("family_name")
    figures = body["key_figures"]
    assert (figures["total_spent"], figures["orders"], figures["average_order_value"]) == (
        "320.00",
        2,
        "160.00",
    )
    assert figures["first_purchase"] and figures["last_purchase"] >= figures["first_purchase"]


def test_detail_lists_organisations_with_buying_role(agent_api, agent, make_customer):
    from rapport.customers.services import contact_add

    c = make_customer()
    org = organisation_create(by=agent, name="Acme Trading")
    contact_add(organisation=org, person=c, buying_role="decision_maker", by=agent, job_title="CEO")
    body = agent_api.get(detail_url(c)).json()
    assert body["organisations"] == [
        {
            "contact_id": OrganisationContact.objects.get().pk,
            "organisation_id": org.pk,
            "organisation_name": "Acme Trading",
            "buying_role": "decision_maker",
            "job_title": "CEO",
            "is_primary": False,
        }
    ]


# Lists: filters, cursor paging, query counts -------------------------------------------------


def walk(client: Client, url: str, **params) -> list[dict]:
    """Every item of a cursor-paged list, following next_cursor to the end."""
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get(url, query).json()
        items += body["items"]
        pages += 1
        assert pages < 100
        if not (cursor := body["next_cursor"]):
            return items


@pytest.mark.parametrize("sort", ["newest", "added", "name"])
def test_cursor_paging_has_no_gaps_or_duplicates(agent_api, make_customer, sort):
    # Only three distinct names among 25 people: pages break inside runs of equal names, which
    # the id (the cursor's second key) must order.
    families = ["Zhang", "Lee", "Ng"]
    # Customers since one of three days: "newest" follows that date, then the id.
    days = [date(2024, 1, 1), date(2025, 6, 1), date(2023, 3, 1)]
    created = [
        make_customer(family_name=families[i % 3], given_name="Ann", customer_since=days[i % 3])
        for i in range(25)
    ]
    first = agent_api.get(CUSTOMERS, {"limit": 10, "sort": sort}).json()
    assert len(first["items"]) == 10 and first["next_cursor"]
    items = walk(agent_api, CUSTOMERS, limit=10, sort=sort)
    ids = [i["id"] for i in items]
    assert len(ids) == 25 and len(set(ids)) == 25
    assert set(ids) == {c.pk for c in created}
    if sort == "added":
        assert ids == sorted(ids, reverse=True)
    elif sort == "newest":
        since = {c.pk: (c.customer_since, c.pk) for c in Customer.objects.all()}
        assert ids == sorted(ids, key=since.__getitem__, reverse=True)
    else:
        by_name = {c.pk: (c.sort_name, c.pk) for c in Customer.objects.all()}
        assert ids == sorted(ids, key=by_name.__getitem__)


def test_limit_is_bounded(agent_api, make_customer):
    for _ in range(3):
        make_customer()
    assert len(agent_api.get(CUSTOMERS).json()["items"]) == 3
    response = agent_api.get(CUSTOMERS, {"limit": 201})
    assert response.status_code == 400 and "limit" in response.json()["errors"]
    assert agent_api.get(CUSTOMERS, {"limit": 0}).status_code == 400


def test_list_filters(agent_api, agent, make_customer):
    today = date.today()
    a = make_customer(
        family_name="Ann",
        tags=["VIP"],
        source="referral",
        gender="female",
        preferred_language="sk",
        income_band="high",
        customer_since=today - timedelta(days=400),
    )
    b = make_customer(
        family_name="Bob",
        tags=["VIP", "new"],
        source="website",
        gender="male",
        customer_since=today - timedelta(days=10),
    )
    make_customer(family_name="Cy")
    org = organisation_create(by=agent, name="Acme")
    from rapport.customers.services import contact_add

    contact_add(organisation=org, person=b, buying_role="purchaser", by=agent)

    def ids(**params):
        return {i["id"] for i in walk(agent_api, CUSTOMERS, **params)}

    assert ids(tag="VIP") == {a.pk, b.pk}
    assert ids(tag="new") == {b.pk}
    assert ids(source="referral") == {a.pk}
    assert ids(gender="male") == {b.pk}
    assert ids(preferred_language="sk", income_band="high") == {a.pk}
    assert ids(organisation=org.pk) == {b.pk}
    assert ids(customer_since_to=(today - timedelta(days=100)).isoformat()) == {a.pk}
    assert ids(customer_since_from=(today - timedelta(days=100)).isoformat(), tag="VIP") == {b.pk}
    assert agent_api.get(CUSTOMERS, {"sort": "oldest"}).status_code == 400


def _fill(make_customer, agent, n: int) -> list[Customer]:
    made = []
    for i in range(n):
        c = make_customer(
            family_name=f"Name{i}",
            phones=[f"+42190512{i:04d}"],
            emails=[f"p{i}@example.sk"],
            tags=[f"t{i % 4}", "all"],
            addresses=[{"line1": f"Street {i}"}],
        )
        detail_add(by=agent, customer_id=c.pk, text=f"Detail {i}")
        made.append(c)
    return made


def test_customer_list_query_count_does_not_grow(
    agent_api, agent, make_customer, django_assert_max_num_queries
):
    _fill(make_customer, agent, 5)
    agent_api.get(CUSTOMERS)  # the token's first use is recorded once; measure after that
    small, body = count_queries(agent_api, CUSTOMERS)
    assert len(body["items"]) == 5 and all(i["tags"] for i in body["items"])
    _fill(make_customer, agent, 25)
    large, body = count_queries(agent_api, CUSTOMERS)
    assert len(body["items"]) == 30
    assert small == large
    # token + permissions (one query) + customers + their tags + their consents + the read log
    # (the reader's reads today, the new row: rapport.privacy)
    with django_assert_max_num_queries(7):
        agent_api.get(CUSTOMERS)
    searched, body = count_queries(agent_api, f"{CUSTOMERS}/search", q="name", limit=200)
    # one statement finds the customers and reads them with their tags, one their consents
    # (and the read log, as the list)
    assert len(body["items"]) == 30 and searched == small - 1


def test_customer_detail_query_count_does_not_grow(
    agent_api, agent, make_customer, make_product, django_assert_max_num_queries
):
    from rapport.customers.services import contact_add

    Tag.objects.bulk_create([Tag(name=f"tag{i}") for i in range(50)])

    def enrich(c: Customer, n: int) -> None:
        customer_update(
            customer_id=c.pk,
            by=agent,
            expected_version=None,
            phones=[f"+4219051{i:05d}" for i in range(n)],
            emails=[f"x{i}@example.sk" for i in range(n)],
            tags=[f"tag{i}" for i in range(n)],
            addresses=[{"line1": f"Street {i}"} for i in range(n)],
        )
        for i in range(n):
            detail_add(by=agent, customer_id=c.pk, text=f"Detail {i}")
            org = organisation_create(by=agent, name=f"Org {c.pk}-{i}")
            contact_add(organisation=org, person=c, buying_role="user", by=agent)
            order_create(by=agent, customer_id=c.pk, lines=[{"product_id": make_product().pk}])

    few, many = make_customer(referred_by_id=None), make_customer()
    enrich(few, 1)
    enrich(many, 12)
    agent_api.get(detail_url(few))
    small, body = count_queries(agent_api, detail_url(few))
    assert len(body["phones"]) == 1
    large, body = count_queries(agent_api, detail_url(many))
    assert len(body["phones"]) == 12 and len(body["remembered_details"]) == 12
    assert len(body["organisations"]) == 12 and body["key_figures"]["orders"] == 12
    assert small == large
    # token + permissions (one query) + customer + 6 prefetched relations + details + key figures
    # + recommendations + satisfaction gaps (surveys) + promises (service) + open complaints
    # + loyalty (account, balance, entries, referrals)
    with django_assert_max_num_queries(19):
        agent_api.get(detail_url(many))


def test_misspelt_field_is_400_not_silently_ignored(agent_api, make_customer):
    c = make_customer(occupation="nurse")
    response = agent_api.patch(
        detail_url(c), {"version": 1, "ocupation": "pilot"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["ocupation"]
    c.refresh_from_db()
    assert (c.occupation, c.version) == ("nurse", 1)


def test_detail_leaves_out_what_the_caller_may_not_see(make_user, make_customer, agent):
    from django.contrib.auth.models import Permission

    c = make_customer()
    detail_add(by=agent, customer_id=c.pk, text="Private remark")
    user = make_user(None)
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    body = token_client(user).get(detail_url(c)).json()
    assert body["id"] == c.pk
    assert body["remembered_details"] == [] and body["key_figures"] is None


def test_tags(agent_api, make_customer):
    make_customer(tags=["VIP", "Bratislava"])
    items = agent_api.get(f"{API}/tags").json()["items"]
    assert [t["name"] for t in items] == ["Bratislava", "VIP"]


# Organisations and their contact people -------------------------------------------------------

ORGS = f"{API}/organisations"


def test_organisation_with_contacts(make_user, make_customer):
    manager = make_user("manager")
    client = token_client(manager)
    boss, buyer = make_customer(family_name="Chen", given_name="Wei"), make_customer()
    response = client.post(
        ORGS,
        {
            "name": "Acme Trading",
            "phone": "010 6552 9988",
            "email": "Sales@Acme.CN",
            "tags": ["B2B"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    org = response.json()
    assert (org["phone"], org["email"], org["tags"]) == ("+861065529988", "sales@acme.cn", ["B2B"])
    assert org["number"].startswith("O") and org["contacts"] == []
    url = f"{ORGS}/{org['id']}"

    response = client.post(
        f"{url}/contacts",
        {
            "person_id": boss.pk,
            "buying_role": "decision_maker",
            "job_title": "CEO",
            "is_primary": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["person"] == {
        "id": boss.pk,
        "number": boss.number,
        "display_name": "Wei Chen",
    }
    client.post(
        f"{url}/contacts",
        {"person_id": buyer.pk, "buying_role": "purchaser"},
        content_type="application/json",
    )
    contacts = client.get(url).json()["contacts"]
    assert [(x["person"]["id"], x["buying_role"], x["is_primary"]) for x in contacts] == [
        (boss.pk, "decision_maker", True),
        (buyer.pk, "purchaser", False),
    ]
    bad = [
        ({"person_id": buyer.pk, "buying_role": "boss"}, "buying_role"),
        ({"person_id": 999_999, "buying_role": "user"}, "person_id"),
        ({"person_id": buyer.pk}, "buying_role"),
    ]
    for payload, field in bad:
        response = client.post(f"{url}/contacts", payload, content_type="application/json")
        assert response.status_code == 400 and field in response.json()["errors"], payload

    # Removing a contact goes through its own organisation only.
    other = organisation_create(by=manager, name="Other Ltd")
    contact_id = contacts[1]["id"]
    assert client.delete(f"{ORGS}/{other.pk}/contacts/{contact_id}").status_code == 404
    assert client.delete(f"{url}/contacts/{contact_id}").status_code == 204
    assert [x["person"]["id"] for x in client.get(url).json()["contacts"]] == [boss.pk]
    assert OrganisationContact.objects.filter(person=buyer).count() == 0


def test_organisation_update_list_delete(make_user):
    manager = make_user("manager")
    client = token_client(manager)
    names = ["Zeta", "Alpha", "Beta", "Gamma", "Delta"]
    orgs = {name: organisation_create(by=manager, name=name, tags=["t"]) for name in names}
    items = walk(client, ORGS, limit=2)
    assert [i["name"] for i in items] == sorted(names)
    assert [i["name"] for i in walk(client, ORGS, q="ga")] == ["Gamma"]
    url = f"{ORGS}/{orgs['Beta'].pk}"
    response = client.patch(url, {"version": 1, "industry": "tea"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["version"] == 2
    response = client.patch(
        url, {"version": 1, "industry": "steel"}, content_type="application/json"
    )
    assert response.status_code == 409
    response = client.patch(url, {"version": 2, "email": "nope"}, content_type="application/json")
    assert response.status_code == 400 and "email" in response.json()["errors"]
    analyst = token_client(make_user("analyst"))
    assert analyst.get(url).json()["industry"] == "tea"
    assert analyst.delete(url).status_code == 403
    assert token_client(make_user("agent")).delete(url).status_code == 403
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_change_titles_are_whole_sentences(make_customer, agent, make_product):
    from django.contrib.contenttypes.models import ContentType

    from rapport.core.choices import ChangeAction
    from rapport.core.selectors import change_title
    from rapport.sales.models import Product

    def title(model, action, record="R-1"):
        return change_title(
            ObjectChange(
                content_type=ContentType.objects.get_for_model(model),
                action=action,
                object_repr=record,
            )
        )

    assert title(Customer, ChangeAction.CREATE) == "Customer created"
    assert title(Customer, ChangeAction.UPDATE) == "Customer details changed"
    assert title(Customer, ChangeAction.MERGE) == "Customer records merged"
    assert title(OrganisationContact, ChangeAction.DELETE) == (
        "Removed as a contact person of an organisation"
    )
    from rapport.sales.models import Order

    assert title(Order, ChangeAction.UPDATE, "O-0042") == "Order O-0042 changed"
    assert title(Product, ChangeAction.UPDATE, "SKU-1 Tea") == "Changed: product SKU-1 Tea"


@pytest.mark.parametrize(
    "query",
    [
        "王小明",
        "王小",
        "Wolfeschlegelsteinhausen",
        "wolfeschlegel",
        "100%",
        "a_b",
        "x@y.cn",
        "C0000001",
    ],
)
def test_search_api_finds_what_the_search_function_finds(agent_api, make_customer, query):
    from rapport.customers.search import search_customer_ids

    make_customer(family_name="王", given_name="小明")
    make_customer(family_name="王", given_name="小红", emails=["x@y.cn"])
    make_customer(family_name="Wolfeschlegelsteinhausenbergerdorff", given_name="Hubert")
    make_customer(family_name="Wolfeschlegel", given_name="Anna")
    items = agent_api.get(f"{CUSTOMERS}/search", {"q": query}).json()["items"]
    assert [i["id"] for i in items] == search_customer_ids(query)
    if query not in ("100%", "a_b", "C0000001"):
        assert items, query
