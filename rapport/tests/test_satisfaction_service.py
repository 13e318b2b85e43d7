"""Surveys and service together: a service visit done sends the "after a service visit" survey
(through the typed event, neither app importing the other), all of it on the customer's
timeline; demo data of both apps."""

import pytest
from django.utils import timezone

from rapport.customers.services import consent_set

pytestmark = pytest.mark.django_db


def test_a_service_visit_done_sends_the_after_visit_survey(
    make_customer, manager, smtp_server, django_capture_on_commit_callbacks
):
    from rapport.service import services as service
    from rapport.surveys import services as surveys
    from rapport.surveys.models import Invitation

    surveys.survey_create(
        by=manager,
        name="After the visit",
        trigger="service_visit",
        questions=[{"kind": "paired", "attribute": "after_sales", "text": "After-sales service"}],
    )
    customer = make_customer(emails=["visit@example.com"])
    consent_set(customer=customer, channel="email", granted=True, method="web_form", by=manager)
    visit = service.visit_schedule(
        by=manager, customer_id=customer.pk, kind="repair", starts_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        service.visit_done(by=manager, visit_id=visit.pk, labour_cost="50")
    invitation = Invitation.objects.get()
    assert (invitation.source_type, invitation.source_id) == ("service.visit", visit.pk)
    assert invitation.state == "sent"
    # The visit, the survey and the follow-up its dissatisfied answer opens: on the timeline.
    from rapport.core.timeline import customer_timeline

    surveys.response_submit(
        invitation_id=invitation.pk,
        answers={invitation.survey.questions.get().pk: {"expectation": 6, "experience": 3}},
        by=manager,
    )
    titles = [e.title for e in customer_timeline(customer.pk)]
    assert "Service visit (repair) done." in titles
    assert "Asked to answer the survey “After the visit”." in titles
    assert "Answered the survey “After the visit”." in titles
    assert any(t.startswith("A dissatisfied answer opened a follow-up, due") for t in titles)


def test_demo_steps_write_surveys_visits_promises_and_a_recall(manager):
    from rapport.demo.services import generate_demo
    from rapport.service.models import Commitment, Recall, Visit
    from rapport.surveys.models import Answer

    counts = generate_demo(customers=150, seed=7, by=manager)
    assert counts["survey_responses"] > 0 and counts["service_visits"] > 0
    assert Answer.objects.filter(kind="paired").values("label").distinct().count() == 3
    assert set(Answer.objects.values_list("response__language", flat=True)) >= {"en"}
    assert Visit.objects.filter(state="done").exists()
    assert set(Commitment.objects.values_list("state", flat=True)) >= {"kept", "broken"}
    assert Recall.objects.get().notices.exists()
    # The complaints' demo satisfaction checks are answers of the built-in survey.
    from rapport.complaints.models import Satisfaction

    checks = Answer.objects.filter(survey__code="complaint_check", question__code="score")
    assert counts["complaint_checks"] == Satisfaction.objects.count() == checks.count() > 0
