"""The rest of items 1–3: a survey sent to a saved customer filter (once each, consent checked),
gaps per product, department and month, importance derived from the correlation with overall
satisfaction (checked against scipy), and suggestions counted by theme that become a product
idea with a status."""

from datetime import datetime

import pytest
from scipy import stats

from rapport.surveys import selectors, services
from rapport.surveys.models import Answer, Invitation
from rapport.surveys.tests.conftest import answers_for

pytestmark = pytest.mark.django_db


def test_a_survey_sent_to_a_saved_filter_asks_each_match_once(
    survey, consenting, make_customer, manager, smtp_server, django_capture_on_commit_callbacks
):
    slovak = [consenting(preferred_language="sk") for _ in range(2)]
    unconsented = make_customer(emails=["no@example.com"], preferred_language="sk")
    consenting(preferred_language="zh-hans")  # not in the filter
    services.survey_update(
        by=manager,
        survey_id=survey.pk,
        expected_version=None,
        trigger="segment",
        audience={"preferred_language": "sk"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_send_to_audience(by=manager, survey_id=survey.pk) == 3
        services.survey_send_to_audience(by=manager, survey_id=survey.pk)  # again: nobody twice
    states = dict(Invitation.objects.values_list("customer_id", "state"))
    assert states == {slovak[0].pk: "sent", slovak[1].pk: "sent", unconsented.pk: "not_asked"}
    assert len(smtp_server.messages) == 2


def test_gaps_per_product_department_and_month(
    survey, consenting, invite_and_link, make_product, manager
):
    from rapport.staff.models import Department

    kettle, toaster = make_product(name="Kettle"), make_product(name="Toaster")
    logistics, _c = Department.objects.get_or_create(code="logistics")
    for product, department, delivery in (
        (kettle, logistics, (6, 3)),
        (kettle, None, (5, 5)),
        (toaster, None, (4, 6)),
    ):
        invitation, _t = invite_and_link(
            survey,
            consenting(),
            product_id=product.pk,
            department_id=department.pk if department else None,
        )
        services.response_submit(
            invitation_id=invitation.pk,
            answers=answers_for(survey, quality=(5, 5), delivery=delivery),
            by=None,
        )
    first = Answer.objects.filter(product=toaster)
    first.update(month=datetime(2025, 1, 1).date())
    qs = selectors.answer_queryset({})
    by_product = {r.key: r for r in selectors.gaps_by_product(qs)}
    assert by_product[kettle.pk].n == 4 and by_product[kettle.pk].gap == pytest.approx(-0.75)
    assert by_product[toaster.pk].n == 2 and by_product[toaster.pk].delighted == 1
    assert "Kettle" in by_product[kettle.pk].label
    by_department = {r.key: r for r in selectors.gaps_by_department(qs)}
    assert by_department[logistics.pk].dissatisfied == 1
    months = [(r.label, r.n) for r in selectors.gaps_by_month(qs)]
    assert months[0] == ("2025-01", 2) and sum(n for _m, n in months) == 6
    only_kettle = selectors.answer_queryset({"product": str(kettle.pk)})
    assert {r.key for r in selectors.gaps_by_product(only_kettle)} == {kettle.pk}


def test_importance_is_derived_from_the_correlation_with_overall_satisfaction(
    survey, consenting, invite_and_link
):
    samples = [  # (delivery experience, quality experience, overall)
        (2, 5, 1),
        (3, 4, 2),
        (4, 6, 3),
        (5, 5, 4),
        (6, 4, 5),
        (7, 6, 5),
    ]
    for delivery, quality, overall in samples:
        invitation, _t = invite_and_link(survey, consenting())
        services.response_submit(
            invitation_id=invitation.pk,
            answers=answers_for(survey, delivery=(4, delivery), quality=(4, quality), csat=overall),
            by=None,
        )
    method, grid = selectors.importance_performance(selectors.answer_queryset({}))
    assert method == "derived"
    points = {p.attribute: p for p in grid}
    overall = [s[2] for s in samples]
    for index, attribute in ((0, "delivery"), (1, "quality")):
        r = stats.pearsonr([s[index] for s in samples], overall).statistic
        assert points[attribute].importance == pytest.approx(100 * max(0.0, r))
    assert points["delivery"].importance > points["quality"].importance


def test_suggestions_are_counted_by_theme_and_become_a_product_idea(
    survey, consenting, invite_and_link, manager, make_product
):
    from rapport.surveys.models import ProductIdea, Suggestion

    for text in ("Call before you come", "Deliver on Saturdays"):
        invitation, _t = invite_and_link(survey, consenting())
        services.response_submit(
            invitation_id=invitation.pk, answers=answers_for(survey, text=text), by=None
        )
    counts = {r["theme"]: r["n"] for r in selectors.theme_counts()}
    assert counts == {"delivery": 2}
    one = Suggestion.objects.get(text="Deliver on Saturdays")
    assert one.department.code == "logistics"  # routed by theme
    services.suggestion_set_theme(by=manager, suggestion_id=one.pk, theme="service")
    assert {r["theme"]: r["n"] for r in selectors.theme_counts()} == {"delivery": 1, "service": 1}
    idea = services.idea_create(
        by=manager,
        title="Weekend delivery",
        theme="delivery",
        product_id=make_product().pk,
        suggestion_ids=[one.pk],
    )
    assert list(idea.suggestions.all()) == [one] and idea.status == "new"
    services.idea_set_status(by=manager, idea_id=idea.pk, status="planned")
    assert ProductIdea.objects.get().status == "planned"
    from rapport.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.idea_set_status(by=manager, idea_id=idea.pk, status="someday")
