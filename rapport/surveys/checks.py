"""A complaint's satisfaction check, asked as a survey.

The complaints app mails its one-time link when the remedy is carried out (step 7). The link opens
`check_page` (registered with the hub, rapport.core.registry.register_satisfaction_check; the
complaints app opens whatever page is registered, its own form otherwise): the built-in survey
"complaint_check" with the three questions — solved? satisfied 1–5 (CSAT)? buy again? — answered
once, stored per question like every survey answer (so they feed `register_satisfaction` and the
dashboard), and handed, in the same transaction, to the complaint's listener
(`satisfaction_check_answered`), which keeps its summary and reopens the complaint when the
problem is not solved. Answers given before the survey existed were copied by the migration
0002_complaint_check; the complaint's own summary rows stay as they were.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CHECK_CODE = "complaint_check"
SOURCE_TYPE = "complaints.complaint"
# The option indexes of the two yes/no questions; with the questions' codes as the field names the
# page takes the same form the complaints app's own check took (solved=1, score=4, buy_again=0).
NO, YES = 0, 1

# The texts per language (the survey stores them; an organisation may edit them).
TITLE = {
    "en": "How did we handle your complaint?",
    "zh-hans": "我们对您投诉的处理如何？",
    "zh-hant": "我們對您投訴的處理如何？",
    "sk": "Ako sme vybavili vašu sťažnosť?",
}
_YES_NO = [
    {"en": "No", "zh-hans": "否", "zh-hant": "否", "sk": "Nie"},
    {"en": "Yes", "zh-hans": "是", "zh-hant": "是", "sk": "Áno"},
]
QUESTIONS: list[dict[str, Any]] = [
    {
        "code": "solved",
        "kind": "single",
        "options": _YES_NO,
        "text": {
            "en": "Was your problem solved?",
            "zh-hans": "您的问题解决了吗？",
            "zh-hant": "您的問題解決了嗎？",
            "sk": "Vyriešil sa váš problém?",
        },
    },
    {
        "code": "score",
        "kind": "scale_5",
        "measure": "csat",
        "text": {
            "en": "How satisfied are you with how we handled it? (1–5)",
            "zh-hans": "您对我们的处理满意吗？（1–5）",
            "zh-hant": "您對我們的處理滿意嗎？（1–5）",
            "sk": "Ako ste spokojní s tým, ako sme to vybavili? (1–5)",
        },
    },
    {
        "code": "buy_again",
        "kind": "single",
        "options": _YES_NO,
        "text": {
            "en": "Would you buy from us again?",
            "zh-hans": "您还会再向我们购买吗？",
            "zh-hant": "您還會再向我們購買嗎？",
            "sk": "Kúpili by ste u nás znova?",
        },
    },
]


def ensure_check_survey(survey_model: Any = None, question_model: Any = None) -> Any:
    """The built-in survey, made once (also from the migration, with its historical models)."""
    if survey_model is None:
        from rapport.surveys.models import Question, Survey

        survey_model, question_model = Survey, Question
    survey = survey_model.objects.filter(code=CHECK_CODE).first()
    if survey is not None:
        return survey
    survey = survey_model.objects.create(
        code=CHECK_CODE,
        name="Complaint satisfaction check",
        title=TITLE,
        trigger="complaint_closed",
        channel="email",
        reminder_after_days=0,  # the complaint's mail asks once; no survey reminder
        valid_days=30,
    )
    for position, spec in enumerate(QUESTIONS, start=1):
        question_model.objects.create(
            survey=survey,
            position=position,
            code=spec["code"],
            kind=spec["kind"],
            text=spec["text"],
            options=spec.get("options", []),
            measure=spec.get("measure", ""),
            required=True,
        )
    return survey


def copy_complaint_checks(apps: Any) -> int:
    """The complaint's satisfaction check becomes the built-in survey "complaint_check": the
    answers customers gave before are copied into it, one row per question (the complaints'
    own summary rows stay as they are). Run by the migration 0002_complaint_check (with its
    historical models) and by the demo data (the complaints' demo writes its summaries first).
    Only reads the complaints' table (by name, through `apps`), and only if the app is there;
    returns how many checks were copied."""
    from django.utils import timezone

    Survey = apps.get_model("surveys", "Survey")
    Question = apps.get_model("surveys", "Question")
    Invitation = apps.get_model("surveys", "Invitation")
    Response = apps.get_model("surveys", "Response")
    Answer = apps.get_model("surveys", "Answer")
    try:
        Satisfaction = apps.get_model("complaints", "Satisfaction")
    except LookupError:
        return 0
    if not Satisfaction.objects.exists():
        return 0
    copied = 0
    survey = ensure_check_survey(Survey, Question)
    questions = {q.code: q for q in Question.objects.filter(survey=survey)}
    rows = Satisfaction.objects.select_related("complaint").order_by("pk")
    for s in rows.iterator(chunk_size=500):
        complaint = s.complaint
        key = f"{survey.pk}:{SOURCE_TYPE}:{complaint.pk}:{complaint.customer_id}:before"
        if Invitation.objects.filter(key=key).exists():
            continue
        copied += 1
        invitation = Invitation.objects.create(
            survey=survey,
            customer_id=complaint.customer_id,
            key=key,
            source_type=SOURCE_TYPE,
            source_id=complaint.pk,
            product_id=complaint.product_id,
            department_id=complaint.department_id,
            language=complaint.language or "",
            state="answered",
            answered_at=s.answered_at,
        )
        response = Response.objects.create(
            invitation=invitation, submitted_at=s.answered_at, language=complaint.language or ""
        )
        month = timezone.localdate(s.answered_at).replace(day=1)
        values = {
            "solved": YES if s.solved else NO,
            "score": s.score,
            "buy_again": YES if s.buy_again else NO,
        }
        Answer.objects.bulk_create(
            Answer(
                response=response,
                question=questions[code],
                survey=survey,
                customer_id=complaint.customer_id,
                product_id=complaint.product_id,
                department_id=complaint.department_id,
                kind=questions[code].kind,
                measure=questions[code].measure,
                answered_at=s.answered_at,
                month=month,
                value=value,
            )
            for code, value in values.items()
        )
    return copied


def check_answers(invitation: Any, rows: list[Any]) -> Any:
    """The three answers of a check, from its answer rows."""
    from rapport.core.registry import CheckAnswers

    by_code = {a.question.code: a for a in rows if a.question.code}

    def yes(code: str) -> bool | None:
        answer = by_code.get(code)
        return None if answer is None or answer.value is None else answer.value == YES

    score = by_code.get("score")
    return CheckAnswers(
        source=(invitation.source_type, int(invitation.source_id)),
        customer_id=invitation.customer_id,
        solved=yes("solved"),
        score=score.value if score is not None else None,
        buy_again=yes("buy_again"),
        answered_at=rows[0].answered_at if rows else None,
    )


def check_page(request: HttpRequest, link: Any, token: str) -> HttpResponse:
    """A complaint's one-time satisfaction-check link, answered as the built-in survey."""
    from rapport.surveys import services, views_public

    if link.target_type != SOURCE_TYPE:
        return render(request, "portal/link_invalid.html", {"state": "unknown"}, status=410)
    invitation = services.check_invitation(
        customer_id=link.customer_id, complaint_id=link.target_id, link_id=link.pk
    )
    return views_public.answer(request, invitation, token, purpose=link.purpose)
