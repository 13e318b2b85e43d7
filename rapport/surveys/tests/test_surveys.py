"""Asking customers and taking their answers: consent, one-time links, no changes after submit,
one reminder, the delivered-order trigger, and the follow-up a dissatisfied answer opens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.core.exceptions import ValidationError
from rapport.customers.services import consent_set
from rapport.surveys import selectors, services
from rapport.surveys.models import Answer, FollowUp, Invitation, Suggestion
from rapport.surveys.tests.conftest import answers_for, form_for

pytestmark = pytest.mark.django_db


def test_only_consented_customers_are_asked(survey, make_customer, invite_and_link, smtp_server):
    no_consent = make_customer(emails=["quiet@example.com"])
    invitation, token = invite_and_link(survey, no_consent)
    assert invitation.state == "not_asked" and token is None
    assert "not consented" in invitation.reason
    assert smtp_server.to("quiet@example.com") == []


def test_asking_twice_about_the_same_thing_asks_once(survey, consenting, invite_and_link):
    c = consenting()
    first, _token = invite_and_link(survey, c, source=("sales.order", 7))
    again, _token2 = invite_and_link(survey, c, source=("sales.order", 7))
    assert first.pk == again.pk and Invitation.objects.count() == 1


def test_a_link_works_once_and_only_for_its_customer_and_survey(
    client, survey, consenting, invite_and_link
):
    alice, bob = consenting(), consenting()
    _inv_a, token_a = invite_and_link(survey, alice)
    inv_b, token_b = invite_and_link(survey, bob)
    page = client.get(f"/portal/l/{token_a}/")
    assert page.status_code == 200 and "How was your order?" in page.content.decode()
    done = client.post(f"/portal/l/{token_a}/", form_for(survey))
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    assert Answer.objects.filter(customer=alice).count() == 4
    assert client.post(f"/portal/l/{token_a}/", form_for(survey)).status_code == 410  # used
    assert Answer.objects.filter(customer=bob).count() == 0  # bob's survey untouched
    assert client.get(f"/portal/l/{token_a}x/").status_code == 410
    inv_b.refresh_from_db()
    assert inv_b.state == "sent"


def test_a_form_with_a_missing_answer_does_not_use_the_link(
    client, survey, consenting, invite_and_link
):
    c = consenting()
    _inv, token = invite_and_link(survey, c)
    data = form_for(survey)
    data.pop(next(k for k in data if k.endswith("_per")))
    assert client.post(f"/portal/l/{token}/", data).status_code == 422
    assert client.post(f"/portal/l/{token}/", form_for(survey)).status_code == 200


def test_answers_cannot_be_changed_unless_the_survey_allows_it(survey, consenting, invite_and_link):
    c = consenting()
    invitation, _token = invite_and_link(survey, c)
    services.response_submit(invitation_id=invitation.pk, answers=answers_for(survey), by=None)
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.response_submit(
            invitation_id=invitation.pk, answers=answers_for(survey, csat=1), by=None
        )
    survey.allow_changes = True
    survey.save()
    services.response_submit(
        invitation_id=invitation.pk, answers=answers_for(survey, csat=2), by=None
    )
    assert list(Answer.objects.filter(measure="csat").values_list("value", flat=True)) == [2]


def test_a_changeable_survey_link_can_be_opened_again(client, survey, consenting, invite_and_link):
    survey.allow_changes = True
    survey.save()
    _inv, token = invite_and_link(survey, consenting())
    assert client.post(f"/portal/l/{token}/", form_for(survey, csat=3)).status_code == 200
    assert client.post(f"/portal/l/{token}/", form_for(survey, csat=5)).status_code == 200
    assert list(Answer.objects.filter(measure="csat").values_list("value", flat=True)) == [5]


def test_withdrawn_consent_stops_the_survey(client, survey, consenting, invite_and_link, agent):
    c = consenting()
    invitation, token = invite_and_link(survey, c)
    consent_set(customer=c, channel="email", granted=False, method="email", by=agent)
    page = client.get(f"/portal/l/{token}/")
    assert page.status_code == 410 and "closed" in page.content.decode()
    with pytest.raises(ValidationError):
        services.response_submit(invitation_id=invitation.pk, answers=answers_for(survey), by=None)
    invitation.refresh_from_db()
    assert invitation.state == "withdrawn"
    assert services.reminders_send(by=None, now=timezone.now() + timedelta(days=10)) == 0


def test_a_reminder_is_sent_at_most_once(
    survey, consenting, invite_and_link, smtp_server, django_capture_on_commit_callbacks
):
    c = consenting()
    invite_and_link(survey, c)
    later = timezone.now() + timedelta(days=4)
    assert services.reminders_send(by=None, now=timezone.now()) == 0  # not due yet
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(by=None, now=later) == 1
        assert services.reminders_send(by=None, now=later + timedelta(days=5)) == 0
    assert len(smtp_server.to(c.primary_email)) == 2
    assert "reminder" in smtp_server.to(c.primary_email)[1]["Subject"].lower()


def test_a_delivered_order_sends_the_survey(
    survey, consenting, make_product, manager, smtp_server, django_capture_on_commit_callbacks
):
    from rapport.sales.services import order_create

    c = consenting()
    p = make_product()
    order_create(
        by=manager,
        customer_id=c.pk,
        ordered_at=timezone.now(),
        currency="CNY",
        status="placed",
        lines=[{"product_id": p.pk, "quantity": 1}],
    )
    assert services.invite_delivered_orders(by=None) == 0
    from rapport.sales.models import Order

    Order.objects.update(status="delivered", updated_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invite_delivered_orders(by=None) == 1
        assert services.invite_delivered_orders(by=None) == 0  # a re-run asks nobody twice
    invitation = Invitation.objects.get()
    assert invitation.source_type == "sales.order" and invitation.product_id == p.pk
    assert len(smtp_server.to(c.primary_email)) == 1


def test_dissatisfied_answer_opens_a_follow_up_due_in_working_time(
    survey, consenting, invite_and_link
):
    c = consenting()
    invitation, _token = invite_and_link(survey, c)
    services.response_submit(
        invitation_id=invitation.pk,
        answers=answers_for(survey, delivery=(6, 3), text="Call before you come"),
        by=None,
    )
    follow_up = FollowUp.objects.get()
    assert follow_up.reason == "delivery" and "delivery" in follow_up.reason_display
    clock = services.follow_up_clock(None)
    assert clock.worked(follow_up.created_at, follow_up.due_at) == timedelta(hours=8)
    suggestion = Suggestion.objects.get()
    assert suggestion.theme == "delivery" and suggestion.text == "Call before you come"
    services.follow_up_close(by=None, follow_up_id=follow_up.pk, note="Called, apologised")
    follow_up.refresh_from_db()
    assert follow_up.state == "done"


def test_satisfied_answers_open_no_follow_up(survey, consenting, invite_and_link):
    invitation, _token = invite_and_link(survey, consenting())
    services.response_submit(
        invitation_id=invitation.pk, answers=answers_for(survey, delivery=(5, 5)), by=None
    )
    assert not FollowUp.objects.exists()


def test_customer_can_ask_for_a_complaint(client, survey, consenting, invite_and_link):
    _inv, token = invite_and_link(survey, consenting())
    data = form_for(survey, delivery=(5, 6)) | {"complaint": "1"}
    client.post(f"/portal/l/{token}/", data)
    follow_up = FollowUp.objects.get()
    assert follow_up.complaint_requested


def test_answer_page_in_traditional_chinese(client, survey, consenting, invite_and_link):
    c = consenting(preferred_language="zh-hant")
    _inv, token = invite_and_link(survey, c)
    page = client.get(f"/portal/l/{token}/").content.decode()
    assert "您對這次訂單滿意嗎？" in page and "品質" in page


def test_dashboard_figures_and_the_analytics_source(survey, consenting, invite_and_link):
    for delivery in ((6, 3), (5, 5), (4, 6)):
        invitation, _t = invite_and_link(survey, consenting())
        services.response_submit(
            invitation_id=invitation.pk, answers=answers_for(survey, delivery=delivery), by=None
        )
    qs = selectors.answer_queryset({})
    rows = {r.key: r for r in selectors.gaps_by_attribute(qs)}
    assert rows["delivery"].n == 3
    assert (
        rows["delivery"].dissatisfied,
        rows["delivery"].satisfied,
        rows["delivery"].delighted,
    ) == (1, 1, 1)
    assert rows["delivery"].gap == pytest.approx(-1 / 3)
    assert rows["delivery"].verdict == "dissatisfied"
    head = selectors.headline(qs)
    assert head.csat.n == 3 and head.nps.n == 3 and head.nps.value == 100
    method, grid = selectors.importance_performance(qs)
    assert method == "stated" and {p.attribute for p in grid} == {"quality", "delivery"}
    frame = selectors.satisfaction_source(timezone.now() + timedelta(seconds=1))
    assert frame.height == 3
    assert selectors.answer_queryset({"attribute": "delivery"}).count() == 9  # + CSAT, NPS
    assert selectors.answer_queryset({"survey": "x"}).count() == 0


def test_questions_are_checked(survey, manager):
    with pytest.raises(ValidationError):
        services.question_add(by=manager, survey_id=survey.pk, kind="paired", text="No attribute")
    with pytest.raises(ValidationError):
        services.question_add(
            by=manager, survey_id=survey.pk, kind="single", text="x", options=["a"]
        )
    q = services.question_add(
        by=manager, survey_id=survey.pk, kind="multiple", text="Which?", options=["a", "b", "c"]
    )
    assert q.options == [{"en": "a"}, {"en": "b"}, {"en": "c"}]


def test_withdrawing_consent_closes_every_open_survey_at_once(
    survey, consenting, invite_and_link, agent, django_capture_on_commit_callbacks
):
    c = consenting()
    invitation, _token = invite_and_link(survey, c)
    with django_capture_on_commit_callbacks(execute=True):
        consent_set(customer=c, channel="email", granted=False, method="email", by=agent)
    invitation.refresh_from_db()
    assert invitation.state == "withdrawn"
    from rapport.portal.models import PortalLink

    assert PortalLink.objects.get(pk=invitation.link_id).revoked_at is not None
