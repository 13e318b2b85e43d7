"""Rows of the surveys app for the privacy erasure test (`rapport/tests/test_privacy_erasure.py`).
Made directly: an invitation, the response, a free-text answer, the suggestion routed from it, a
follow-up and an event (the answering flow is tested in the app's own tests)."""

from datetime import timedelta

from django.utils import timezone

from rapport.surveys.models import (
    Answer,
    FollowUp,
    Invitation,
    Question,
    Response,
    Suggestion,
    Survey,
    SurveyEvent,
)


def make_rows(customer, other, staff, product) -> list[str]:
    now = timezone.now()
    survey = Survey.objects.create(name="zq-survey")
    question = Question.objects.create(survey=survey, kind="text", text={"en": "Anything else?"})
    invitation = Invitation.objects.create(
        survey=survey, customer=customer, key="zq-invitation-key", state="answered",
        answered_at=now,
    )  # fmt: skip
    response = Response.objects.create(invitation=invitation, submitted_at=now)
    answer = Answer.objects.create(
        response=response, question=question, survey=survey, customer=customer, kind="text",
        answered_at=now, month=now.date().replace(day=1), text="answer-text-zq",
    )  # fmt: skip
    Suggestion.objects.create(customer=customer, answer=answer, text="idea-zq", theme="product")
    FollowUp.objects.create(
        customer=customer, invitation=invitation, answer=answer, reason="low_score",
        due_at=now + timedelta(days=1), note="follow-up-note-zq",
    )  # fmt: skip
    SurveyEvent.objects.create(
        type="follow_up_closed", customer_id=customer.pk, survey=survey,
        parameters={"note": "survey-event-zq"},
    )  # fmt: skip
    return ["answer-text-zq", "idea-zq", "follow-up-note-zq", "survey-event-zq"]
