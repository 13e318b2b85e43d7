"""The page a customer answers a survey on, opened by their private link (no login): in their
language, phone-sized, one use per link (or changeable when the survey allows it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from rapport.core.actors import SystemActor
from rapport.core.exceptions import ValidationError
from rapport.surveys import services
from rapport.surveys.choices import QuestionKind
from rapport.surveys.models import Invitation

CUSTOMER = SystemActor("customer (survey link)")


def _language(request: HttpRequest, invitation: Invitation) -> str:
    codes = {code for code, _label in settings.LANGUAGES}
    chosen = request.GET.get("lang") or request.POST.get("lang") or ""
    return chosen if chosen in codes else (invitation.language or settings.LANGUAGE_CODE)


def field_name(q: Any) -> str:
    """A question's form field: "q<id>", or a built-in question's code ("solved")."""
    return q.code or f"q{q.pk}"


def _answers_from(data: Any, questions: list[Any]) -> dict[int, dict[str, Any]]:
    answers: dict[int, dict[str, Any]] = {}
    for q in questions:
        name = field_name(q)
        if q.kind == QuestionKind.PAIRED:
            answers[q.pk] = {
                "expectation": data.get(f"{name}_exp"),
                "experience": data.get(f"{name}_per"),
            }
        elif q.kind == QuestionKind.MULTIPLE:
            answers[q.pk] = {"choices": data.getlist(name)}
        elif q.kind == QuestionKind.TEXT:
            answers[q.pk] = {"text": data.get(name, "")}
        else:
            answers[q.pk] = {"value": data.get(name)}
    return answers


def _previous(invitation: Invitation) -> dict[str, Any]:
    response = getattr(invitation, "response", None)
    if response is None:
        return {}
    values: dict[str, Any] = {}
    for a in response.answers.select_related("question"):
        name = field_name(a.question)
        values[name] = a.value if a.value is not None else a.text
        values[f"{name}_exp"], values[f"{name}_per"] = a.expectation, a.experience
        values[f"{name}_choices"] = a.choices
    return values


def answer_page(request: HttpRequest, link: Any, token: str) -> HttpResponse:
    invitation = (
        Invitation.objects.select_related("survey", "customer")
        .filter(pk=link.target_id, customer_id=link.customer_id)
        .first()
    )
    if invitation is None or link.target_type != "surveys.invitation":
        return render(request, "portal/link_invalid.html", {"state": "unknown"}, status=410)
    return answer(request, invitation, token, purpose=services.LINK_PURPOSE)


def answer(
    request: HttpRequest, invitation: Invitation, token: str, *, purpose: str
) -> HttpResponse:
    """The survey page for one invitation, its link used (once) with `purpose` on submit."""
    from rapport.portal.services import LinkInvalid, link_use

    language = _language(request, invitation)
    with translation.override(language):
        questions = list(invitation.survey.questions.all())
        closed = not services.still_open(invitation_id=invitation.pk, by=CUSTOMER)
        context: dict[str, Any] = {
            "invitation": invitation,
            "survey": invitation.survey,
            "title": invitation.survey.title_in(language),
            "intro": invitation.survey.intro_in(language),
            "language": language,
            "languages": settings.LANGUAGES,
            "questions": [_question_view(q, language) for q in questions],
            "closed": closed,
            "errors": {},
            "values": _previous(invitation),
        }
        if closed:
            return render(request, "surveys/answer.html", context, status=410)
        if request.method != "POST":
            return render(request, "surveys/answer.html", context)
        answers = _answers_from(request.POST, questions)
        try:
            with transaction.atomic():
                link_use(token, purpose=purpose)
                response = services.response_submit(
                    invitation_id=invitation.pk,
                    answers=answers,
                    language=language,
                    by=CUSTOMER,
                    wants_complaint=request.POST.get("complaint") == "1",
                )
        except LinkInvalid as exc:
            return render(request, "portal/link_invalid.html", {"state": exc.state}, status=410)
        except ValidationError as exc:
            errors = exc.message_dict
            for q in questions:
                if q.code and f"q{q.pk}" in errors:
                    errors[q.code] = errors.pop(f"q{q.pk}")
            context["errors"] = errors
            context["values"] = {k: request.POST.get(k) for k in request.POST} | {
                f"{field_name(q)}_choices": [
                    int(v) for v in request.POST.getlist(field_name(q)) if v.isdigit()
                ]
                for q in questions
                if q.kind == QuestionKind.MULTIPLE
            }
            return render(request, "surveys/answer.html", context, status=422)
        follow_up = invitation.follow_ups.filter(state="open").first()
        return render(
            request,
            "surveys/answer_done.html",
            {**context, "response": response, "follow_up": follow_up},
        )


def _question_view(q: Any, language: str) -> dict[str, Any]:
    return {
        "q": q,
        "name": field_name(q),
        "text": q.text_in(language),
        "scale": list(q.scale_range),
        "options": list(enumerate(q.options_in(language))),
        "paired": q.kind == QuestionKind.PAIRED,
        "multiple": q.kind == QuestionKind.MULTIPLE,
        "single": q.kind == QuestionKind.SINGLE,
        "free": q.kind == QuestionKind.TEXT,
        "nps": q.kind == QuestionKind.NPS,
    }
