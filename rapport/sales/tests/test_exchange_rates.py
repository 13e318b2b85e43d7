"""The exchange-rate table: entered on a page or through the API, imported from a CSV (all rows
or none), each change recorded."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from rapport.api.tests.helpers import API, token_client
from rapport.core.models import ObjectChange
from rapport.sales import services
from rapport.sales.models import ExchangeRate

pytestmark = pytest.mark.django_db

CSV = b"\xef\xbb\xbfday;from;to;rate\n2024-01-02;usd;CNY;7,1012\n2024-01-03;USD;CNY;7.1100\n"


def test_a_rate_is_entered_corrected_and_recorded(manager):
    rate = services.exchange_rate_set(
        by=manager, day="2024-01-02", from_currency="usd", to_currency="CNY", rate="7.1"
    )
    assert (rate.from_currency, rate.to_currency, rate.rate) == ("USD", "CNY", Decimal("7.1"))
    services.exchange_rate_set(
        by=manager, day=date(2024, 1, 2), from_currency="USD", to_currency="CNY", rate="7.2"
    )
    assert ExchangeRate.objects.get().rate == Decimal("7.2")
    changes = ObjectChange.objects.filter(object_id=rate.pk).order_by("pk")
    assert [c.changes["rate"] for c in changes] == [
        [None, "7.1000000000"],
        ["7.1000000000", "7.2000000000"],
    ]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"day": "2024-02-30"}, "day"),
        ({"from_currency": "US"}, "from_currency"),
        ({"to_currency": "USD"}, "to_currency"),
        ({"rate": "0"}, "rate"),
        ({"rate": "-1"}, "rate"),
        ({"rate": "abc"}, "rate"),
    ],
)
def test_bad_rates_are_refused_by_field(manager, fields, bad):
    data = {"day": "2024-01-02", "from_currency": "USD", "to_currency": "CNY", "rate": "7.1"}
    with pytest.raises(ValidationError) as exc:
        services.exchange_rate_set(by=manager, **(data | fields))
    assert bad in exc.value.message_dict and not ExchangeRate.objects.exists()


def test_an_import_writes_every_row_or_none(manager):
    rows = services.read_exchange_rates_csv(CSV)
    assert services.exchange_rates_import(by=manager, rows=rows) == 2
    assert ExchangeRate.objects.get(day=date(2024, 1, 2)).rate == Decimal("7.1012")
    bad = CSV + b"2024-01-04;EUR;CNY;x\n2024-01-03;USD;CNY;7.2\n"
    with pytest.raises(ValidationError) as exc:
        services.exchange_rates_import(by=manager, rows=services.read_exchange_rates_csv(bad))
    errors = exc.value.message_dict["file"]
    assert any(e.startswith("Line 4:") for e in errors)  # the bad rate
    assert any("twice" in e for e in errors)  # 2024-01-03 USD twice
    assert (
        ExchangeRate.objects.count() == 2
        and not ExchangeRate.objects.filter(from_currency="EUR").exists()
    )
    with pytest.raises(ValidationError) as exc:
        services.read_exchange_rates_csv(b"date,currency,value\n")
    assert "rate" in exc.value.message_dict["file"][0]


def test_the_command(tmp_path, db):
    path = tmp_path / "rates.csv"
    path.write_bytes(CSV)
    out = io.StringIO()
    call_command("rates", "import", str(path), stdout=out)
    assert "Imported 2 exchange rates" in out.getvalue() and ExchangeRate.objects.count() == 2
    path.write_bytes(b"day,from,to,rate\n2024-01-05,USD,CNY,\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("rates", "import", str(path), stdout=io.StringIO())
    assert ExchangeRate.objects.count() == 2


def test_the_page(manager_client, analyst_client, agent_client):
    url = reverse("sales:exchange_rates")
    response = manager_client.post(
        url,
        {
            "action": "add",
            "day": "2024-01-02",
            "from_currency": "USD",
            "to_currency": "CNY",
            "rate": "7.1",
        },
    )
    assert response.status_code == 302 and ExchangeRate.objects.count() == 1
    page = manager_client.post(
        url,
        {
            "action": "add",
            "day": "2024-01-02",
            "from_currency": "X",
            "to_currency": "CNY",
            "rate": "1",
        },
    )
    assert page.status_code == 200 and "three-letter currency code" in page.content.decode()
    upload = io.BytesIO(CSV)
    upload.name = "rates.csv"
    assert manager_client.post(url, {"action": "import", "file": upload}).status_code == 302
    assert ExchangeRate.objects.count() == 2
    listing = analyst_client.get(url).content.decode()
    assert "7.110000" in listing and 'id="rate-form"' not in listing  # analysts only read
    assert analyst_client.post(url, {"action": "add"}).status_code == 403
    assert agent_client.get(url).status_code == 403


def test_the_api(manager, analyst):
    client = token_client(manager)
    body = {"day": "2024-01-02", "from_currency": "usd", "to_currency": "CNY", "rate": "7.1"}
    created = client.post(f"{API}/exchange-rates", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["from_currency"] == "USD"
    rows = {"rates": [body | {"day": "2024-01-03"}, body | {"day": "2024-01-04", "rate": "-1"}]}
    refused = client.post(f"{API}/exchange-rates/import", rows, content_type="application/json")
    assert refused.status_code in (400, 422) and ExchangeRate.objects.count() == 1
    rows["rates"][1]["rate"] = "7.3"
    done = client.post(f"{API}/exchange-rates/import", rows, content_type="application/json")
    assert done.status_code == 201 and done.json() == {"imported": 2}
    listed = token_client(analyst).get(f"{API}/exchange-rates", {"currency": "usd"}).json()
    assert [r["day"] for r in listed["items"]] == ["2024-01-04", "2024-01-03", "2024-01-02"]
    assert (
        token_client(analyst)
        .post(f"{API}/exchange-rates", body, content_type="application/json")
        .status_code
        == 403
    )
