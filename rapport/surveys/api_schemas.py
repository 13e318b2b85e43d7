"""The shapes of the surveys API."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from rapport.api.pagination import RequestBody
from rapport.surveys.choices import GapLabel, IdeaStatus, QuestionKind, Theme, Trigger


class GapRowOut(Schema):
    attribute: Any = Field(description="Attribute code (or product/department id, or month).")
    label: str
    n: int = Field(description="Number of paired answers.")
    expectation: float | None
    experience: float | None
    gap: float | None = Field(description="Mean experience − expectation.")
    verdict: str = Field(
        description="Label of the mean gap.", json_schema_extra={"enum": [*GapLabel.values, ""]}
    )


class ScoreOut(Schema):
    value: float | None
    low: float | None = Field(description="Lower bound of the 95 % interval.")
    high: float | None = Field(description="Upper bound of the 95 % interval.")
    n: int = Field(description="Sample size.")
    method: str


class GridPointOut(Schema):
    attribute: str
    label: str
    importance: float
    performance: float
    n: int
    quadrant: str


class DashboardOut(Schema):
    csat: ScoreOut
    nps: ScoreOut
    effort: ScoreOut
    by_attribute: list[GapRowOut]
    by_product: list[GapRowOut]
    by_department: list[GapRowOut]
    by_month: list[GapRowOut]
    importance_method: str = Field(
        description="derived (correlation with overall satisfaction) or stated (mean expectation)."
    )
    grid: list[GridPointOut]


class QuestionIn(RequestBody):
    kind: str = Field(json_schema_extra={"enum": QuestionKind.values})
    text: dict[str, str] | str
    attribute: str = ""
    measure: str = ""
    options: list[dict[str, str] | str] = []
    scale_max: int = 7
    required: bool = True


class QuestionOut(Schema):
    id: int
    position: int
    kind: str
    text: dict[str, str]
    attribute: str
    measure: str
    options: list[Any]
    scale_max: int
    required: bool


class SurveyIn(RequestBody):
    name: str
    title: dict[str, str] | str = {}
    intro: dict[str, str] | str = {}
    trigger: str = Field(Trigger.MANUAL.value, json_schema_extra={"enum": Trigger.values})
    audience: dict[str, Any] = Field({}, description="Customer-list filters (segment surveys).")
    channel: str = "email"
    allow_changes: bool = False
    reminder_after_days: int = 3
    valid_days: int = 30
    department_id: int | None = None
    follow_up_hours: int = 8
    questions: list[QuestionIn] = []


class SurveyOut(Schema):
    id: int
    name: str
    title: dict[str, str]
    trigger: str
    active: bool
    allow_changes: bool
    reminder_after_days: int
    version: int
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj: Any) -> list[Any]:
        return list(obj.questions.all())


class InviteIn(RequestBody):
    customer_id: int


class InvitationOut(Schema):
    id: int
    survey_id: int
    customer_id: int
    state: str
    reason: str
    language: str
    created_at: datetime
    reminded_at: datetime | None
    answered_at: datetime | None


class AnswerOut(Schema):
    id: int
    survey_id: int
    customer_id: int
    question_id: int
    kind: str
    attribute: str
    value: int | None
    choices: list[int]
    text: str
    expectation: int | None
    experience: int | None
    gap: int | None
    label: str
    answered_at: datetime


class FollowUpOut(Schema):
    id: int
    customer_id: int
    invitation_id: int
    reason: str
    due_at: datetime
    state: str
    note: str
    complaint_requested: bool
    version: int


class FollowUpCloseIn(RequestBody):
    note: str
    version: int | None = None


class SuggestionOut(Schema):
    id: int
    customer_id: int | None
    text: str
    theme: str = Field(json_schema_extra={"enum": Theme.values})
    department_id: int | None
    idea_id: int | None
    created_at: datetime


class IdeaIn(RequestBody):
    title: str
    theme: str = Field(json_schema_extra={"enum": Theme.values})
    product_id: int | None = None
    description: str = ""
    suggestion_ids: list[int] = []


class IdeaOut(Schema):
    id: int
    title: str
    theme: str
    product_id: int | None
    status: str = Field(json_schema_extra={"enum": IdeaStatus.values})
    description: str
    version: int
    suggestions: int = 0

    @staticmethod
    def resolve_suggestions(obj: Any) -> int:
        return getattr(obj, "n_suggestions", 0)


class IdeaStatusIn(RequestBody):
    status: str = Field(json_schema_extra={"enum": IdeaStatus.values})
    version: int | None = None
