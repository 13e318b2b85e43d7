"""The complaints' API shapes (also the customer API's `open_complaints` section)."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from rapport.api.pagination import RequestBody
from rapport.complaints.choices import Action, Category, Channel, RemedyKind, Severity, Target


class ComplaintListItem(Schema):
    id: int
    reference: str | None
    customer_id: int
    received_at: datetime
    channel: str
    category: str
    subtype: str
    state: str
    severity: str
    department: str | None = Field(None, description="The department's code.")
    due_at: datetime
    waiting: bool
    version: int

    @staticmethod
    def resolve_department(obj) -> str | None:  # noqa: ANN001
        return obj.department.code if obj.department_id else None

    @staticmethod
    def resolve_waiting(obj) -> bool:  # noqa: ANN001
        return obj.waiting_since is not None


class RemedyOut(Schema):
    id: int
    kind: str
    amount: Decimal
    currency: str
    state: str
    description: str
    proposed_by_id: int | None


class ComplaintOut(ComplaintListItem):
    target: str
    order_id: int | None
    order_line_id: int | None
    product_id: int | None
    batch: str
    subject_text: str
    subject_id: int | None
    organisation_id: int | None
    request: str
    description: str
    cause_id: int | None
    cause_note: str
    responsible: str
    validity_reason: str
    summary: str
    lesson: str
    recourse: str
    acknowledged_at: datetime | None
    decide_due: datetime | None
    resolve_due: datetime | None
    closed_at: datetime | None
    reopen_count: int
    allowed_actions: list[str] = Field(
        default_factory=list, description="The steps the caller may take now."
    )
    remedies: list[RemedyOut] = Field(default_factory=list)


class ComplaintIn(RequestBody):
    customer_id: int | None = Field(None, description="The complainant (or give a contact).")
    organisation_contact_id: int | None = Field(
        None, description="The complainant as a contact person of an organisation."
    )
    subject_id: int | None = Field(None, description="The service visit (target service_visit).")
    channel: str = Field(json_schema_extra={"enum": Channel.values})
    category: str = Field(json_schema_extra={"enum": Category.values})
    description: str
    subtype: str = ""
    request: str = Field("", max_length=500)
    severity: str = Field(Severity.NORMAL.value, json_schema_extra={"enum": Severity.values})
    received_at: datetime | None = None
    target: str = Field(Target.FREE_TEXT.value, json_schema_extra={"enum": Target.values})
    order_id: int | None = None
    order_line_id: int | None = None
    product_id: int | None = None
    batch: str = Field("", max_length=40)
    subject_text: str = Field("", max_length=200)


class ComplaintPatch(RequestBody):
    version: int = Field(description="The version the change is based on (409 if stale).")
    category: str | None = None
    subtype: str | None = None
    request: str | None = None
    description: str | None = None
    severity: str | None = None
    subject_text: str | None = None
    batch: str | None = None


class ActionIn(RequestBody):
    version: int | None = Field(None, description="The version seen; 409 if someone acted since.")
    reason: str = ""
    department_id: int | None = None
    assignee_id: int | None = None
    cause_id: int | None = None
    cause_note: str = ""
    responsible: str = ""
    kind: str = Field("", json_schema_extra={"enum": ["", *RemedyKind.values]})
    amount: Decimal = Decimal("0")
    currency: str = ""
    description: str = ""
    penalty: str = ""
    summary: str = ""
    lesson: str = ""


ACTION_NAMES = Action.values


class EventOut(Schema):
    id: int
    time: datetime
    type: str
    action: str
    from_state: str
    to_state: str
    user_name: str
    sentence: str

    @staticmethod
    def resolve_sentence(obj) -> str:  # noqa: ANN001
        return obj.sentence()


class CauseOut(Schema):
    id: int
    code: str
    name: str
    category: str
    active: bool

    @staticmethod
    def resolve_name(obj) -> str:  # noqa: ANN001
        return obj.label


class CauseIn(RequestBody):
    code: str = Field(max_length=40)
    name: str = Field(max_length=120)
    category: str = ""


class SuggestionOut(Schema):
    category: str | None
    department: str | None
    confidence: int | None = Field(None, description="Per cent.")
    accuracy: int | None = Field(
        None, description="Per cent right on the newest 20 % (time split)."
    )
    baseline: int | None = Field(
        None, description="Per cent right always suggesting the most common."
    )
