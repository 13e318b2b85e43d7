"""The knowledge base (searchable in every language, Chinese included, public) and training
sessions with attendance."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.core.exceptions import ValidationError
from rapport.service import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(manager, make_product):
    kettle = make_product(name="Kettle")
    descale = services.article_create(
        by=manager,
        kind="care",
        product_id=kettle.pk,
        texts={
            "en": {
                "title": "Descaling your kettle",
                "body": "Boil water with vinegar once a month.",
            },
            "zh-hans": {"title": "电水壶除垢", "body": "每月用白醋煮一次水。"},
            "zh-hant": {"title": "電水壺除垢", "body": "每月用白醋煮一次水。"},
            "sk": {"title": "Odvápnenie kanvice", "body": "Raz mesačne prevarte vodu s octom."},
        },
    )
    hidden = services.article_create(
        by=manager,
        kind="faq",
        public=False,
        texts={"en": {"title": "Internal", "body": "Staff only"}},
    )
    return descale, hidden


def test_search_finds_chinese_and_slovak_and_prefers_the_readers_language(articles):
    descale, _hidden = articles
    [hit] = selectors.article_search("除垢", language="zh-hant")
    assert hit.article_id == descale.pk and hit.language == "zh-hant"
    [sk] = selectors.article_search("OCTOM", language="sk")
    assert sk.title == "Odvápnenie kanvice"
    assert selectors.article_search("Staff only") == []  # not public
    assert len(selectors.article_search("Staff only", public_only=False)) == 1


def test_public_knowledge_pages(client, articles):
    descale, hidden = articles
    page = client.get("/service/public/knowledge/?q=vinegar")
    assert page.status_code == 200 and "Descaling your kettle" in page.content.decode()
    assert client.get(f"/service/public/knowledge/{descale.pk}/").status_code == 200
    assert client.get(f"/service/public/knowledge/{hidden.pk}/").status_code == 404


def test_an_article_that_resolved_a_request_is_counted(articles, make_customer, manager):
    descale, _hidden = articles
    request = services.request_open(
        by=manager, customer_id=make_customer().pk, kind="training", description="Scale in kettle"
    )
    services.article_resolved(by=manager, article_id=descale.pk, request_id=request.pk)
    descale.refresh_from_db()
    assert descale.resolved_count == 1 and list(request.articles.all()) == [descale]


def test_training_sessions_and_attendance(manager, make_customer, manager_client):
    session = services.training_create(
        by=manager,
        title="Using your espresso machine",
        starts_at=timezone.now() + timedelta(days=3),
        capacity=1,
    )
    first, second = make_customer(), make_customer()
    services.attendance_set(by=manager, session_id=session.pk, customer_id=first.pk)
    services.attendance_set(by=manager, session_id=session.pk, customer_id=first.pk, attended=True)
    with pytest.raises(ValidationError):
        services.attendance_set(by=manager, session_id=session.pk, customer_id=second.pk)
    assert session.attendances.get().attended
    page = manager_client.get("/service/training/").content.decode()
    assert "Using your espresso machine" in page and "1 / 1" in page
