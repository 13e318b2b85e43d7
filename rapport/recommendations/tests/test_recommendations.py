"""Stored recommendations: the refresh, reasons that match the data, the customer page and API,
the audience page, the list filter, the evaluation page and the CLI."""

import csv
import datetime as dt
import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.api.tests.helpers import API
from rapport.recommendations.models import Evaluation, HistoryMark, Recommendation
from rapport.recommendations.services import evaluation_run, recommendations_refresh
from rapport.sales.services import order_create, return_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(make_customer, make_product, manager):
    """Five customers bought a kettle and a teapot; Xiaoming bought only a kettle; tea is bought
    again and again."""
    kettle = make_product(name="Kettle")
    teapot = make_product(name="Teapot")
    tea = make_product(name="Tea")
    tea.consumable = True
    tea.save(update_fields=["consumable"])
    when = timezone.now() - dt.timedelta(days=30)
    buyers = []
    for i in range(5):
        c = make_customer(family_name="李", given_name=f"{i}")
        order_create(
            by=manager,
            customer_id=c.pk,
            ordered_at=when,
            lines=[
                {"product_id": kettle.pk, "quantity": 1},
                {"product_id": teapot.pk, "quantity": 1},
            ],
        )
        buyers.append(c)
    xm = make_customer()
    order_create(
        by=manager,
        customer_id=xm.pk,
        ordered_at=when,
        lines=[{"product_id": kettle.pk, "quantity": 1}, {"product_id": tea.pk, "quantity": 1}],
    )
    return {"kettle": kettle, "teapot": teapot, "tea": tea, "xm": xm, "buyers": buyers}


def test_reason_names_the_product_and_the_number_who_bought_both(shop):
    done = recommendations_refresh(method="item_to_item")
    assert done["customers"] == 6
    recs = list(Recommendation.objects.filter(customer=shop["xm"]).order_by("rank"))
    first = recs[0]
    assert first.product == shop["teapot"]
    assert first.reason == "bought_with"
    assert first.because_of == shop["kettle"]
    assert first.customers == 5  # five customers bought the kettle and the teapot
    products = {r.product_id for r in recs}
    assert shop["kettle"].pk not in products  # bought already, not a consumable
    assert shop["tea"].pk in products  # a consumable: offered again
    assert next(r for r in recs if r.product_id == shop["tea"].pk).reason == "buy_again"


def test_refresh_is_incremental(shop, manager):
    recommendations_refresh(method="item_to_item")
    assert recommendations_refresh(method="item_to_item")["customers"] == 0
    order = order_create(
        by=manager,
        customer_id=shop["xm"].pk,
        lines=[{"product_id": shop["teapot"].pk, "quantity": 1}],
    )
    assert recommendations_refresh(method="item_to_item")["customers"] == 1
    assert not Recommendation.objects.filter(customer=shop["xm"], product=shop["teapot"]).exists()
    return_create(by=manager, order_line_id=order.lines.get().pk, quantity=1)
    assert recommendations_refresh(method="item_to_item")["customers"] == 1
    assert HistoryMark.objects.get(customer=shop["xm"]).returns == 1
    # returned everything: the teapot is not theirs, so it is offered again
    assert Recommendation.objects.filter(customer=shop["xm"], product=shop["teapot"]).exists()
    assert recommendations_refresh(full=True, method="item_to_item")["customers"] == 6


def test_full_refresh_replaces_every_row_and_keeps_the_tables_as_they_were(shop, manager):
    # on PostgreSQL the full refresh loads fresh tables and swaps them in: the rows, the marks,
    # the unique rank per customer and the incremental refresh afterwards must be as before
    from django.db import IntegrityError, transaction

    recommendations_refresh(method="item_to_item")
    before = sorted(Recommendation.objects.values_list("customer_id", "product_id", "rank"))
    stale = Recommendation.objects.filter(customer=shop["xm"]).first()
    assert stale is not None
    assert recommendations_refresh(full=True, method="item_to_item")["customers"] == 6
    assert sorted(Recommendation.objects.values_list("customer_id", "product_id", "rank")) == before
    assert not Recommendation.objects.filter(pk=stale.pk, computed_at=stale.computed_at).exists()
    assert HistoryMark.objects.count() == 6
    assert recommendations_refresh(method="item_to_item")["customers"] == 0
    first = Recommendation.objects.filter(customer=shop["xm"]).first()
    assert first is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.create(
            customer=first.customer,
            product=first.product,
            rank=first.rank,
            score=0,
            reason=first.reason,
            method=first.method,
            computed_at=first.computed_at,
        )
    order_create(by=manager, customer_id=shop["xm"].pk, lines=[{"product_id": shop["teapot"].pk}])
    assert recommendations_refresh(method="item_to_item")["customers"] == 1


def test_customer_page_shows_the_advice_with_one_query(shop, agent_client):
    recommendations_refresh(method="item_to_item")
    url = reverse("customers:detail", args=[shop["xm"].pk])
    with CaptureQueriesContext(connection) as ctx:
        response = agent_client.get(url)
    body = response.content.decode()
    assert "Offer next" in body
    assert "Bought with Kettle by 5 customers" in body
    mine = [q for q in ctx.captured_queries if "recommendations_recommendation" in q["sql"]]
    assert len(mine) == 1


def test_customer_page_query_count_is_bounded(shop, agent_client, django_assert_max_num_queries):
    recommendations_refresh(method="item_to_item")
    url = reverse("customers:detail", args=[shop["xm"].pk])
    agent_client.get(url)
    with django_assert_max_num_queries(40):
        assert agent_client.get(url).status_code == 200


def test_api_section_and_endpoint(shop, agent_client, django_assert_max_num_queries):
    recommendations_refresh(method="item_to_item")
    detail = agent_client.get(f"{API}/customers/{shop['xm'].pk}").json()
    assert detail["recommendations"][0]["name"] == "Teapot"
    assert detail["recommendations"][0]["reason_text"] == "Bought with Kettle by 5 customers"
    with django_assert_max_num_queries(6):
        items = agent_client.get(f"{API}/recommendations/customers/{shop['xm'].pk}").json()["items"]
    assert items[0]["because_of_name"] == "Kettle" and items[0]["customers"] == 5


def test_customers_who_should_be_offered_a_product(shop, make_user, django_assert_max_num_queries):
    from django.test import Client

    recommendations_refresh(method="item_to_item")
    client = Client()
    client.force_login(make_user("marketing"))
    url = reverse("recommendations:product_audience", args=[shop["teapot"].pk])
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert str(shop["xm"]) in response.content.decode()
    api = client.get(f"{API}/recommendations/products/{shop['teapot'].pk}/customers").json()
    assert [m["customer_id"] for m in api["items"]] == [shop["xm"].pk]
    found = client.get(reverse("recommendations:audience"), {"product": shop["teapot"].sku})
    assert found.status_code == 302 and found.url == url


def test_audience_filter_in_the_customer_list(shop, agent_client):
    recommendations_refresh(method="item_to_item")
    ids = [
        c["id"]
        for c in agent_client.get(
            f"{API}/customers", {"recommended_product": shop["teapot"].sku}
        ).json()["items"]
    ]
    assert ids == [shop["xm"].pk]
    none = agent_client.get(f"{API}/customers", {"recommended_product": "NO-SUCH"}).json()["items"]
    assert none == []


def test_evaluation_page_documents_the_split(shop, analyst_client):
    evaluation = evaluation_run(split_date=timezone.localdate() - dt.timedelta(days=10))
    assert Evaluation.objects.count() == 1
    response = analyst_client.get(reverse("recommendations:index"))
    body = response.content.decode()
    assert evaluation.split_date.strftime("%Y") in body
    assert "trained the method" in body
    api = analyst_client.get(f"{API}/recommendations/evaluation").json()
    assert set(api["model"]) == {"precision_at_k", "recall_at_k", "ndcg_at_k", "coverage"}


def test_merge_recomputes_the_kept_customer(shop, manager):
    from rapport.customers.services import customer_merge

    recommendations_refresh(method="item_to_item")
    keep, drop = shop["xm"], shop["buyers"][0]
    keep.refresh_from_db()
    drop.refresh_from_db()
    customer_merge(
        survivor_id=keep.pk,
        other_id=drop.pk,
        by=manager,
        survivor_version=keep.version,
        other_version=drop.version,
    )
    assert not Recommendation.objects.filter(customer_id=drop.pk).exists()
    assert recommendations_refresh(method="item_to_item")["customers"] == 1
    # the kept customer now has the teapot: it is no longer offered
    assert not Recommendation.objects.filter(customer=keep, product=shop["teapot"]).exists()


def test_cli_evaluates_a_retail_export(tmp_path):
    from rapport.recommendations.engine.synthetic import baskets

    tx = baskets(customers=400, products=60, seed=11)
    path = tmp_path / "retail.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "CustomerID"])
        for i, (c, p, d, q) in enumerate(
            zip(tx["customer"], tx["product"], tx["date"], tx["quantity"], strict=True)
        ):
            code = p[1:] if i % 3 else f"{p[1:]}.0"  # numeric codes, some written as floats
            if i % 7 == 0:
                code = f" {p.lower()} "  # mixed: letters, spaces, case
                code = code.replace("p", "")
            w.writerow([f"C{i}" if q < 0 else str(i), code, int(q), f"{d} 10:{i % 60:02d}", c[1:]])
        w.writerow(["x", "85123A", "1", "2025-03-01 09:00", ""])  # no customer: skipped
    out, err = StringIO(), StringIO()
    call_command(
        "recommend",
        "evaluate",
        "--csv",
        str(path),
        "--customer",
        "CustomerID",
        "--date",
        "InvoiceDate",
        "--product",
        "StockCode",
        "--split-date",
        "2025-07-01",
        "--k",
        "10",
        stdout=out,
        stderr=err,
    )
    result = json.loads(out.getvalue())
    assert set(result) == {"model", "popularity", "chosen", "customers_evaluated"}
    keys = {"precision_at_k", "recall_at_k", "ndcg_at_k", "coverage"}
    assert set(result["model"]) == keys and set(result["popularity"]) == keys
    assert result["chosen"] in ("item_to_item", "als")
    assert result["customers_evaluated"] > 100
    assert result["model"]["precision_at_k"] > result["popularity"]["precision_at_k"]


def test_cli_refuses_a_missing_column(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "recommend",
            "evaluate",
            "--csv",
            str(path),
            "--customer",
            "c",
            "--date",
            "d",
            "--product",
            "p",
            "--split-date",
            "2025-01-01",
            stdout=StringIO(),
            stderr=err,
        )
    assert "has no column" in err.getvalue()


@pytest.mark.parametrize(
    "language,text",
    [
        ("zh-hans", "有 5 位客户将其与 Kettle 一起购买"),
        ("zh-hant", "有 5 位客戶將其與 Kettle 一起購買"),
        ("sk", "S produktom Kettle to kúpilo 5 zákazníkov"),
    ],
)
def test_reasons_are_said_in_the_agents_language(shop, agent_client, language, text):
    recommendations_refresh(method="item_to_item")
    response = agent_client.get(
        reverse("customers:detail", args=[shop["xm"].pk]), headers={"accept-language": language}
    )
    assert text in response.content.decode()


def test_a_return_is_dated_when_it_came_back(shop, manager):
    """A time split must not know, in its training period, of a return made after its day."""
    from rapport.recommendations.services import load_history

    ordered = timezone.now() - dt.timedelta(days=100)
    # half past midnight local time, the evening before in UTC (the zone is ahead of UTC): a
    # cut-off compared as text in the wrong zone counted this return on the local day before
    day = timezone.localdate() - dt.timedelta(days=10)
    returned = timezone.make_aware(dt.datetime.combine(day, dt.time(0, 30)))
    assert returned.astimezone(dt.UTC).date() < day
    order = order_create(
        by=manager,
        customer_id=shop["xm"].pk,
        ordered_at=ordered,
        lines=[{"product_id": shop["teapot"].pk, "quantity": 1}],
    )
    return_create(by=manager, order_line_id=order.lines.get().pk, quantity=1, returned_at=returned)
    history = load_history()
    is_return = history.line == 0
    assert list(history.product[is_return]) == [shop["teapot"].pk]
    assert history.date[is_return][0] == np.datetime64(timezone.localdate(returned), "D")
    # up to a day between the order and the return, the teapot is still bought
    before = load_history(as_of=timezone.localdate(returned) - dt.timedelta(days=1))
    assert not (before.line == 0).any()
    assert shop["teapot"].pk in before.product[before.customer == shop["xm"].pk]
    on_the_day = load_history(as_of=day)
    assert list(on_the_day.product[on_the_day.line == 0]) == [shop["teapot"].pk]
