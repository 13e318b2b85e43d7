from datetime import datetime

from ninja import Field, Schema

from rapport.api.pagination import RequestBody


class EvidenceOut(Schema):
    code: str = Field(description="e.g. `name_pinyin`, `phone_same`, `birthday_differs`.")
    weight: float = Field(description="Bits of evidence: positive for, negative against.")
    text: str = Field(description="In words, in the request's language.")


class CustomerRef(Schema):
    id: int
    number: str
    name: str


class PairOut(Schema):
    id: int
    first: CustomerRef
    second: CustomerRef
    score: float = Field(description="Sum of the evidence's weights; proposed from 10.")
    evidence_text: str
    evidence: list[EvidenceOut]
    found_at: datetime


class DecisionIn(RequestBody):
    first_id: int
    second_id: int
    note: str = ""


class DecisionOut(Schema):
    id: int
    first: CustomerRef
    second: CustomerRef
    decided_at: datetime
    decided_by: str | None
    note: str


class MergeIn(RequestBody):
    keep_id: int = Field(description="The customer that stays (either of the pair).")
    dry_run: bool = False


class MergeOut(Schema):
    kept_id: int
    merge_id: int | None = Field(
        description="For `POST /customers/merges/{id}/undo`; null in a dry run."
    )
    summary: str
    dry_run: bool


class SearchOut(Schema):
    enqueued: bool
