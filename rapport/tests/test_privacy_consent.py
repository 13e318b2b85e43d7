"""Consent is obeyed: lists and the API filter on it and show it, impossible dates are refused,
and a merge never lets a consent dated in the future override a withdrawal."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.api.tests.helpers import API, token_client
from rapport.core.exceptions import ValidationError
from rapport.customers.models import MarketingConsent
from rapport.customers.services import consent_set, customer_merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(make_customer, manager):
    yes, no, never = (make_customer(given_name=n) for n in ("Yes", "No", "Never"))
    consent_set(customer=yes, channel="email", granted=True, method="web_form", by=manager)
    consent_set(customer=no, channel="email", granted=False, method="phone", by=manager)
    return yes, no, never


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("email:granted", ["Yes"]),
        ("email:withdrawn", ["No"]),
        ("email:unknown", ["Never"]),
        ("sms:unknown", ["Never", "No", "Yes"]),
        ("email:bogus", []),
        ("fax:granted", []),
    ],
)
def test_the_api_list_filters_on_consent_per_channel(three, manager, value, names):
    body = token_client(manager).get(f"{API}/customers", {"consent": value, "sort": "name"}).json()
    assert [i["given_name"] for i in body["items"]] == names


def test_the_api_list_and_search_show_consent(three, manager):
    api = token_client(manager)
    listed = {i["given_name"]: i["consents"] for i in api.get(f"{API}/customers").json()["items"]}
    assert listed == {"Yes": {"email": True}, "No": {"email": False}, "Never": {}}
    found = api.get(f"{API}/customers/search", {"q": "Yes"}).json()["items"]
    assert found[0]["consents"] == {"email": True}


def test_the_web_list_and_export_filter_on_consent(three, manager_client):
    page = manager_client.get("/customers/", {"consent": "email:granted"}).content.decode()
    assert "Yes" in page and "Never" not in page
    response = manager_client.get(
        reverse("imports:export", args=["customers", "csv"]), {"consent": "email:withdrawn"}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "No" in text and "Yes" not in text


@pytest.mark.parametrize(
    "at",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, tzinfo=UTC),
        timezone.now() + timedelta(days=2),
    ],
)
def test_impossible_consent_dates_are_refused(make_customer, manager, at):
    with pytest.raises(ValidationError) as refused:
        consent_set(customer=make_customer(), channel="sms", granted=True, method="phone",
                    by=manager, at=at)  # fmt: skip
    assert "at" in refused.value.message_dict
    assert not MarketingConsent.objects.exists()


def test_the_api_refuses_a_consent_in_year_one_with_the_field_named(make_customer, manager):
    customer = make_customer()
    response = token_client(manager).post(
        f"{API}/customers/{customer.pk}/consents",
        {"channel": "sms", "granted": True, "method": "phone", "at": "0001-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "at" in response.json()["errors"]


def test_a_merge_never_lets_a_future_consent_override_a_withdrawal(make_customer, manager):
    withdrew, consented = make_customer(), make_customer()
    consent_set(customer=withdrew, channel="email", granted=False, method="phone", by=manager)
    consent_set(customer=consented, channel="email", granted=True, method="web_form", by=manager)
    # a consent row dated in the future (written before dates were checked)
    MarketingConsent.objects.filter(customer=consented).update(
        changed_at=datetime(9999, 12, 31, tzinfo=UTC)
    )
    customer_merge(survivor_id=consented.pk, other_id=withdrew.pk, by=manager,
                   survivor_version=None, other_version=None)  # fmt: skip
    assert MarketingConsent.objects.get(customer=consented).granted is False


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_include_consent_per_channel(three, manager_client, fmt):
    """Each channel's consent is a column of the customer export (web and `rapport export`)."""
    import csv
    import io

    response = manager_client.get(reverse("imports:export", args=["customers", fmt]))
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
        rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    channels = ["phone", "sms", "email", "post", "wechat", "visit"]
    assert [h for h in header if h.startswith("consent_")] == [f"consent_{c}" for c in channels]
    by_name = {r[header.index("given_name")]: r for r in rows[1:]}
    email, sms = header.index("consent_email"), header.index("consent_sms")
    assert {n: r[email] for n, r in by_name.items()} == {
        "Yes": "granted",
        "No": "withdrawn",
        "Never": "",
    }
    assert {r[sms] for r in by_name.values()} == {""}


def test_export_in_words_names_the_consent_columns_and_values(three, manager_client):
    response = manager_client.get(
        reverse("imports:export", args=["customers", "csv"]),
        {"headers": "labels", "values": "labels"},
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Consent to marketing by email" in text.splitlines()[0]
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("Consent to marketing by email")
    assert sorted(r[column] for r in rows[1:]) == ["", "given", "withdrawn"]


def test_the_web_list_and_search_show_consent_per_channel(three, manager_client):
    page = manager_client.get("/customers/").content.decode()
    assert ">Consent<" in page
    assert "email: given" in page and "email: withdrawn" in page
    found = manager_client.get("/customers/", {"q": "Yes"}).content.decode()
    assert "email: given" in found and "email: withdrawn" not in found


def test_web_list_pages_and_searches_are_logged_in_one_insert(
    three, manager, manager_client, make_customer, django_assert_max_num_queries
):
    """Item 8: the web list and its search are bulk reads: who, when, which filter, how many."""
    from rapport.privacy.models import PersonalDataRead

    manager_client.get("/customers/")  # warm the session and the caches
    PersonalDataRead.objects.all().delete()
    manager_client.get("/customers/", {"consent": "email:granted", "sort": "name"})
    manager_client.get("/customers/", {"q": "Never"})
    reads = list(PersonalDataRead.objects.order_by("pk"))
    assert [(r.kind, r.user_id, r.count) for r in reads] == [
        ("web_list", manager.pk, 1),
        ("web_list", manager.pk, 1),
    ]
    assert reads[0].filters == {
        "consent": "email:granted",
        "sort": "name",
        "page": False,
        "search": False,
    }
    assert reads[1].filters["search"] is True and "Never" not in str(reads[1].filters)
    # one insert per page, however many customers it shows (and the search no N+1 either)
    for n in range(20):
        yes = make_customer(family_name=f"F{n}", given_name="Yes", tags=["VIP"])
        consent_set(customer=yes, channel="sms", granted=True, method="web_form", by=manager)
    with django_assert_max_num_queries(10):  # as many for 1 customer as for 21
        manager_client.get("/customers/", {"q": "Yes"})
    assert PersonalDataRead.objects.filter(kind="web_list").count() == 3
