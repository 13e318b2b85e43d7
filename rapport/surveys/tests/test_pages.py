"""The staff pages and the API: figures shown, query counts bounded, permissions checked."""

import pytest

from rapport.surveys import services
from rapport.surveys.tests.conftest import answers_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(survey, consenting, invite_and_link):
    for delivery in ((6, 3), (5, 5), (4, 6), (7, 2)):
        invitation, _t = invite_and_link(survey, consenting())
        services.response_submit(
            invitation_id=invitation.pk, answers=answers_for(survey, delivery=delivery), by=None
        )
    return survey


def test_dashboard_shows_gaps_labels_and_intervals(
    manager_client, answered, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        page = manager_client.get("/surveys/?attribute=delivery")
    html = page.content.decode()
    assert page.status_code == 200
    # The attribute chosen stays chosen, and only it.
    assert '<option value="delivery" selected>' in html
    assert '<option value="quality" selected>' not in html
    assert 'id="gaps-attribute"' in html and "Dissatisfied" in html
    assert "95 % interval" in html and "too few answers" in html


def test_dashboard_filter_options_carry_plain_keys(manager_client, answered):
    # A key of 12345 is written 12345 in the option, never "12,345" (thousands separator on).
    from rapport.staff.models import Department

    Department.objects.create(pk=12345, code="north")
    html = manager_client.get("/surveys/?department=12345").content.decode()
    assert '<option value="12345" selected>' in html
    assert "12,345" not in html


def test_customer_page_panel_shows_gap_and_follow_up(manager_client, answered):
    from rapport.surveys.models import FollowUp

    follow_up = FollowUp.objects.order_by("pk").first()
    page = manager_client.get(f"/customers/{follow_up.customer_id}/")
    html = page.content.decode()
    assert 'id="satisfaction-panel"' in html and "dissatisfied" in html.lower()
    assert "Follow up by" in html


def test_builder_and_queue_pages(manager_client, answered, django_assert_max_num_queries):
    assert manager_client.get("/surveys/surveys/").status_code == 200
    assert manager_client.get(f"/surveys/surveys/{answered.pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        assert manager_client.get("/surveys/follow-ups/").status_code == 200
    assert manager_client.get("/surveys/suggestions/").status_code == 200
    r = manager_client.post(
        f"/surveys/surveys/{answered.pk}/questions/",
        {
            "kind": "paired",
            "text": "Price",
            "attribute": "price",
            "scale_max": "5",
            "required": "1",
        },
    )
    assert r.status_code == 302 and answered.questions.filter(attribute="price").exists()


def test_analyst_cannot_build_surveys(analyst_client, answered):
    assert analyst_client.get("/surveys/").status_code == 200
    assert analyst_client.post("/surveys/surveys/new/", {"name": "x"}).status_code == 403


def test_api_dashboard_and_create(answered, make_user):
    from rapport.api.tests.helpers import token_client

    client = token_client(make_user("manager", username="apiman"))
    data = client.get("/api/v1/satisfaction?attribute=delivery").json()
    assert data["csat"]["method"] == "wilson" and data["csat"]["n"] == 4
    assert {r["attribute"] for r in data["by_attribute"]} == {"delivery"}
    created = client.post(
        "/api/v1/surveys",
        {
            "name": "After repair",
            "trigger": "service_visit",
            "questions": [{"kind": "paired", "attribute": "after_sales", "text": {"sk": "Servis"}}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["questions"][0]["attribute"] == "after_sales"
    answers = client.get("/api/v1/survey-answers?attribute=delivery").json()
    assert len(answers["items"]) == 12  # delivery, CSAT and NPS answers
