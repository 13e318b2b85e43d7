"""Surveys over HTTP: building surveys, asking customers, answers, the dashboard's figures,
follow-ups, suggestions and product ideas. Endpoints call the services and selectors."""

from datetime import date

from django.db.models import Count
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from rapport.api.pagination import Paged, PageParams
from rapport.api.permissions import require
from rapport.core.pagination import keyset_page
from rapport.surveys import selectors, services
from rapport.surveys.api_schemas import (
    AnswerOut,
    DashboardOut,
    FollowUpCloseIn,
    FollowUpOut,
    IdeaIn,
    IdeaOut,
    IdeaStatusIn,
    InvitationOut,
    InviteIn,
    QuestionIn,
    QuestionOut,
    SuggestionOut,
    SurveyIn,
    SurveyOut,
)
from rapport.surveys.models import FollowUp, Invitation, ProductIdea, Suggestion, Survey

router = Router(tags=["surveys"])


class AnswerFilters(Schema):
    survey: int | None = None
    attribute: str | None = None
    product: int | None = None
    department: int | None = None
    customer: int | None = None
    date_from: date | None = Field(None, description="First day answered (inclusive).")
    date_to: date | None = Field(None, description="Last day answered (inclusive).")


def _filters(f: AnswerFilters) -> dict:
    return {k: v for k, v in f.model_dump().items() if v not in (None, "")}


def _gap_rows(rows):  # noqa: ANN001, ANN202
    return [
        {**r.__dict__, "attribute": str(r.key) if r.key is not None else "", "verdict": r.verdict}
        for r in rows
    ]


@router.get("/surveys", response=Paged[SurveyOut], summary="Surveys, newest first")
def survey_list(request: HttpRequest, page: Query[PageParams]):
    require(request, "surveys.view_survey")
    return keyset_page(
        Survey.objects.prefetch_related("questions"),
        ordering=["-id"],
        cursor=page.cursor,
        size=page.limit,
    )


@router.post("/surveys", response={201: SurveyOut}, summary="Create a survey with its questions")
def survey_create(request: HttpRequest, payload: SurveyIn):
    require(request, "surveys.add_survey", "surveys.add_question")
    data = payload.model_dump()
    survey = services.survey_create(by=request.user, **data)
    return Status(201, Survey.objects.prefetch_related("questions").get(pk=survey.pk))


@router.get("/surveys/{int:survey_id}", response=SurveyOut, summary="One survey")
def survey_get(request: HttpRequest, survey_id: int):
    require(request, "surveys.view_survey")
    return Survey.objects.prefetch_related("questions").get(pk=survey_id)


@router.post(
    "/surveys/{int:survey_id}/questions",
    response={201: QuestionOut},
    summary="Add a question to a survey",
)
def question_add(request: HttpRequest, survey_id: int, payload: QuestionIn):
    require(request, "surveys.add_question")
    Survey.objects.only("pk").get(pk=survey_id)
    return Status(
        201, services.question_add(by=request.user, survey_id=survey_id, **payload.model_dump())
    )


@router.post(
    "/surveys/{int:survey_id}/invitations",
    response={201: InvitationOut},
    summary="Ask one customer (once; only with consent to the survey's channel)",
)
def invite(request: HttpRequest, survey_id: int, payload: InviteIn):
    require(request, "surveys.add_invitation")
    survey = Survey.objects.get(pk=survey_id)
    from rapport.customers.models import Customer

    Customer.objects.only("pk").get(pk=payload.customer_id)
    return Status(
        201, services.invite(by=request.user, survey=survey, customer_id=payload.customer_id)
    )


@router.get(
    "/surveys/{int:survey_id}/invitations",
    response=Paged[InvitationOut],
    summary="Who was asked, and their state",
)
def invitation_list(request: HttpRequest, survey_id: int, page: Query[PageParams]):
    require(request, "surveys.view_invitation")
    return keyset_page(
        Invitation.objects.filter(survey_id=survey_id),
        ordering=["-id"],
        cursor=page.cursor,
        size=page.limit,
    )


@router.get("/survey-answers", response=Paged[AnswerOut], summary="Answers, newest first")
def answer_list(request: HttpRequest, filters: Query[AnswerFilters], page: Query[PageParams]):
    require(request, "surveys.view_answer")
    return keyset_page(
        selectors.answer_queryset(_filters(filters)),
        ordering=["-id"],
        cursor=page.cursor,
        size=page.limit,
    )


@router.get(
    "/satisfaction",
    response=DashboardOut,
    summary="The satisfaction dashboard: gaps and labels, importance–performance, CSAT/NPS/effort",
)
def dashboard(request: HttpRequest, filters: Query[AnswerFilters]):
    require(request, "surveys.view_answer")
    chosen = _filters(filters)
    figures = selectors.satisfaction_figures(chosen)
    head = figures.headline
    method, grid = selectors.importance_performance(selectors.answer_queryset(chosen))

    def score(s, name):  # noqa: ANN001, ANN202
        return {"value": s.value, "low": s.low, "high": s.high, "n": s.n, "method": name}

    return {
        "csat": score(head.csat, "wilson"),
        "nps": score(head.nps, "adjusted-wald"),
        "effort": score(head.effort, "student-t"),
        "by_attribute": _gap_rows(figures.by_attribute),
        "by_product": _gap_rows(figures.by_product),
        "by_department": _gap_rows(figures.by_department),
        "by_month": _gap_rows(figures.by_month),
        "importance_method": method,
        "grid": [p.__dict__ for p in grid],
    }


@router.get(
    "/survey-follow-ups", response=Paged[FollowUpOut], summary="Follow-ups, soonest due first"
)
def follow_up_list(request: HttpRequest, page: Query[PageParams], state: str = "open"):
    require(request, "surveys.view_followup")
    return keyset_page(
        selectors.follow_up_queue(state=state),
        ordering=["due_at", "id"],
        cursor=page.cursor,
        size=page.limit,
    )


@router.post(
    "/survey-follow-ups/{int:follow_up_id}/close",
    response=FollowUpOut,
    summary="Close a follow-up with what was done",
)
def follow_up_close(request: HttpRequest, follow_up_id: int, payload: FollowUpCloseIn):
    require(request, "surveys.change_followup")
    FollowUp.objects.only("pk").get(pk=follow_up_id)
    return services.follow_up_close(
        by=request.user,
        follow_up_id=follow_up_id,
        note=payload.note,
        expected_version=payload.version,
    )


@router.get(
    "/survey-suggestions", response=Paged[SuggestionOut], summary="Suggestions, newest first"
)
def suggestion_list(request: HttpRequest, page: Query[PageParams], theme: str = ""):
    require(request, "surveys.view_suggestion")
    qs = Suggestion.objects.all()
    if theme:
        qs = qs.filter(theme=theme)
    return keyset_page(qs, ordering=["-id"], cursor=page.cursor, size=page.limit)


@router.get("/product-ideas", response=Paged[IdeaOut], summary="Product ideas from suggestions")
def idea_list(request: HttpRequest, page: Query[PageParams]):
    require(request, "surveys.view_productidea")
    return keyset_page(
        ProductIdea.objects.annotate(n_suggestions=Count("suggestions")),
        ordering=["-id"],
        cursor=page.cursor,
        size=page.limit,
    )


@router.post("/product-ideas", response={201: IdeaOut}, summary="Record a product idea")
def idea_create(request: HttpRequest, payload: IdeaIn):
    require(request, "surveys.add_productidea")
    idea = services.idea_create(by=request.user, **payload.model_dump())
    return Status(
        201, ProductIdea.objects.annotate(n_suggestions=Count("suggestions")).get(pk=idea.pk)
    )


@router.post(
    "/product-ideas/{int:idea_id}/status", response=IdeaOut, summary="Change an idea's status"
)
def idea_status(request: HttpRequest, idea_id: int, payload: IdeaStatusIn):
    require(request, "surveys.change_productidea")
    ProductIdea.objects.only("pk").get(pk=idea_id)
    services.idea_set_status(
        by=request.user, idea_id=idea_id, status=payload.status, expected_version=payload.version
    )
    return ProductIdea.objects.annotate(n_suggestions=Count("suggestions")).get(pk=idea_id)
