"""Dashboard contents: bounded query counts, CSV exports holding the tables' rows, filters."""
# ruff: noqa: F811 - fixtures come from factories.py, imported by name

import csv
import io

import pytest
from django.urls import reverse

from rapport.analytics.choices import Segment
from rapport.analytics.models import CustomerScore
from rapport.analytics.tests.factories import (  # noqa: F401
    analytics_roles,
    project_test_settings,
    scored_history,
)
from rapport.analytics.views import PAGES

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_query_counts_are_bounded(scored_history, analyst_client, django_assert_max_num_queries):
    for name, _ in PAGES:
        analyst_client.get(reverse(f"analytics:{name}"))  # warm the session and permission caches
        with django_assert_max_num_queries(10):
            assert analyst_client.get(reverse(f"analytics:{name}")).status_code == 200


def test_every_table_exports_its_rows(scored_history, analyst_client):
    for name, _ in PAGES:
        response = analyst_client.get(reverse(f"analytics:{name}"))
        for table in response.context["tables"].values():
            got = rows(analyst_client.get(reverse(f"analytics:{name}"), {"export": table.name}))
            assert got[0] == [str(c.label) for c in table.columns], (name, table.name)
            assert len(got) == len(table.rows) + 1, (name, table.name)
    assert analyst_client.get(reverse("analytics:segments"), {"export": "nope"}).status_code == 404


def test_segment_table_counts_every_scored_customer(scored_history, analyst_client):
    got = rows(analyst_client.get(reverse("analytics:segments"), {"export": "segments"}))
    header, body = got[0], got[1:]
    counts = {r[0]: int(r[header.index("Customers")]) for r in body}
    for segment in Segment:
        assert counts[str(segment.label)] == CustomerScore.objects.filter(segment=segment).count()
    grid = rows(analyst_client.get(reverse("analytics:segments"), {"export": "rfm_grid"}))
    assert len(grid) == 26 and sum(int(r[3]) for r in grid[1:]) == CustomerScore.objects.count()


def test_segment_filter(scored_history, analyst_client):
    segment = CustomerScore.objects.values_list("segment", flat=True).first()
    label = str(Segment(segment).label)
    got = rows(
        analyst_client.get(
            reverse("analytics:segments"), {"segment": segment, "export": "segments"}
        )
    )
    assert [r[0] for r in got[1:]] == [label]
    page = analyst_client.get(reverse("analytics:loyalty"), {"segment": segment})
    repeat = page.context["tables"]["repeat"].rows
    assert [r["segment"] for r in repeat] == [segment]
    assert repeat[0]["customers"] == CustomerScore.objects.filter(segment=segment).count()


def test_profit_period_and_growth(scored_history, analyst_client):
    url = reverse("analytics:profit")
    default = analyst_client.get(url).context
    assert default["filters"].period_from.isoformat() == "2024-01-01"  # the last 12 months
    assert default["data"]["growth"] is not None
    year = analyst_client.get(url, {"period_from": "2024-01", "period_to": "2024-12"}).context
    everything = analyst_client.get(url, {"period_from": "", "period_to": ""}).context
    assert year["data"]["totals"]["revenue"] < everything["data"]["totals"]["revenue"]
    assert everything["data"]["growth"] is None
    scores = CustomerScore.objects.all()
    assert everything["data"]["totals"]["revenue"] == pytest.approx(
        float(sum(s.revenue for s in scores))
    )


def test_leaky_bucket_counts_churn_reasons(scored_history, analyst_client):
    page = analyst_client.get(reverse("analytics:leaky_bucket"))
    reasons = {r["label"]: r["count"] for r in page.context["tables"]["churn_reasons"].rows}
    assert reasons["no timely help"] == 1 and reasons["unreliability"] == 1
    assert sum(reasons.values()) == 2
    november = analyst_client.get(
        reverse("analytics:leaky_bucket"), {"period_from": "2024-11", "period_to": "2024-11"}
    )
    assert november.context["churn"]["total"] == 1
    cohorts = page.context["tables"]["cohorts"].rows
    assert cohorts and all(r["m0"] == 1.0 for r in cohorts)


def test_promotion_page_states_its_method(scored_history, analyst_client):
    page = analyst_client.get(reverse("analytics:promotion"))
    html = page.content.decode()
    assert 'id="promotion-method"' in html and "exact matching" in html
    overall = page.context["data"]["overall"]
    assert overall is not None and overall["matched"] <= overall["promo_buyers"]
    assert 0 <= overall["repeat_promo"] <= 1 and 0 <= overall["repeat_control"] <= 1


def test_future_page_shows_the_fit(scored_history, analyst_client):
    page = analyst_client.get(reverse("analytics:future"))
    params = page.context["tables"]["parameters"].rows
    assert {p["model"] for p in params} == {
        "BG/NBD",
        "modified BG/NBD",
        "Pareto/NBD",
        "Gamma-Gamma",
    }
    assert len(page.context["tables"]["top_clv"].rows) == 25
    assert "holdout" in page.context["tables"]
    # which model scored the customers, and how it was chosen (item 1)
    fit = scored_history["fit"]
    assert fit.scored_by in ("pareto_nbd", "mbgnbd")
    html = page.content.decode()
    label = {"pareto_nbd": "Pareto/NBD", "mbgnbd": "modified BG/NBD"}[fit.scored_by]
    assert 'id="scored-by"' in html and f"<strong>{label}</strong>" in html
    choice = page.context["tables"]["model_choice"].rows
    assert {r["model"] for r in choice} == {"Pareto/NBD", "modified BG/NBD"}


def test_every_page_has_the_filters_and_says_where_they_do_not_apply(
    scored_history, analyst_client
):
    both_apply = {"leaky_bucket", "profit", "products"}
    for name, _ in PAGES:
        page = analyst_client.get(reverse(f"analytics:{name}"))
        html = page.content.decode()
        assert 'name="period_from"' in html and 'name="segment"' in html, name
        assert 'class="explain"' in html, name
        if name in both_apply:
            assert not page.context["scope"], name
        else:
            assert page.context["scope"] and 'id="filter-scope"' in html, name


def test_segment_filter_on_cohorts_and_profit_deciles(scored_history, analyst_client):
    segment = CustomerScore.objects.values_list("segment", flat=True).order_by("segment").first()
    members = CustomerScore.objects.filter(segment=segment).count()
    everything = {"period_from": "", "period_to": ""}
    for params, expected in (
        (everything, CustomerScore.objects.count()),
        ({**everything, "segment": segment}, members),
    ):
        bucket = analyst_client.get(reverse("analytics:leaky_bucket"), params).context
        assert sum(r["customers"] for r in bucket["cohort"]["rows"]) == expected
        profit = analyst_client.get(reverse("analytics:profit"), params).context
        deciles = profit["data"]["deciles"]
        assert sum(d["customers"] for d in deciles) == expected
        assert [d["decile"] for d in deciles] == sorted(d["decile"] for d in deciles)


def test_overview_headline_follows_the_segment(scored_history, analyst_client):
    segment = CustomerScore.objects.values_list("segment", flat=True).order_by("-segment").first()
    everyone = analyst_client.get(reverse("analytics:index")).context["overview"]
    chosen = analyst_client.get(reverse("analytics:index"), {"segment": segment}).context
    assert everyone["customers"] == CustomerScore.objects.count()
    members = CustomerScore.objects.filter(segment=segment)
    assert chosen["overview"]["customers"] == members.count()
    assert chosen["overview"]["revenue"] == pytest.approx(float(sum(s.revenue for s in members)))


def test_figures_are_explained_in_plain_words(scored_history, analyst_client):
    """Every statistical column carries a one-line explanation; no column is headed with a
    statistical name such as P(alive) (issue 9, item 9)."""
    explained = set()
    for name, _ in PAGES:
        page = analyst_client.get(reverse(f"analytics:{name}"))
        for table in page.context["tables"].values():
            labels = [str(c.label) for c in table.columns]
            assert not any("P(alive)" in label for label in labels), (name, table.name)
            explained |= {str(c.label) for c in table.columns if c.help}
        if any(t.helps for t in page.context["tables"].values()):
            assert 'class="explain column-help"' in page.content.decode(), name
    for label in (
        "Still buying (average chance)",
        "Still buying from you",
        "CLV (total)",
        "Net contribution",
        "Lift",
        "Retention",
        "± 95 %",
    ):
        assert label in explained, label
