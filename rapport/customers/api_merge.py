"""Duplicate customers over HTTP: candidates for one customer, and merging two records."""

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from rapport.api.permissions import require
from rapport.customers import services
from rapport.customers.api import CustomerDetail, _customer_detail
from rapport.customers.api_schemas import CustomerListItem
from rapport.customers.duplicates import duplicate_candidates
from rapport.customers.models import Customer

router = Router(tags=["customers"])

MergeField = Literal[services.MERGE_CHOICE_FIELDS]  # type: ignore[valid-type]


class CandidateOut(Schema):
    customer: CustomerListItem
    reasons: list[str] = Field(
        description="Why it may be the same person, in the caller's language."
    )


class MergeIn(Schema):
    other_id: int = Field(description="The duplicate that is merged in and then removed.")
    version: int | None = Field(
        None, description="The kept customer's version you compared; a newer one gives 409."
    )
    other_version: int | None = Field(
        None, description="The duplicate's version you compared; a newer one gives 409."
    )
    take_from_other: list[MergeField] = Field(
        default_factory=list,
        description="Fields where the duplicate's value wins. Elsewhere the kept customer's value "
        "wins unless it is blank; free-text notes of both are kept.",
    )


class MergeReportOut(Schema):
    id: int = Field(description="The merge record.")
    merged_number: str = Field(description="The number of the record that was merged in.")
    moved: dict[str, dict[str, int]] = Field(
        description="Per table (app_label.model): rows moved to the kept customer, rows set aside "
        "as duplicates of its own (kept whole in the merge record), derived rows deleted."
    )
    summary: str = Field(description="The same, in words, in the caller's language.")


class MergedCustomerOut(CustomerDetail):  # type: ignore[misc,valid-type]
    merge: MergeReportOut


@router.get(
    "/customers/{int:customer_id}/duplicates",
    response=list[CandidateOut],
    summary="Customers who may be the same person (shared phone, email, or name and birthday)",
)
def customer_duplicates(request: HttpRequest, customer_id: int):
    require(request, "customers.view_customer")
    customer = Customer.objects.prefetch_related("phones", "emails").get(pk=customer_id)
    return [
        {"customer": c.customer, "reasons": [str(r) for r in c.reasons]}
        for c in duplicate_candidates(customer)
    ]


@router.post(
    "/customers/{int:customer_id}/merge",
    response=MergedCustomerOut,
    summary="Merge a duplicate into this customer (409 if either changed since you compared)",
)
def customer_merge(request: HttpRequest, customer_id: int, payload: MergeIn):
    require(request, "customers.merge_customer")
    result = services.customer_merge(
        survivor_id=customer_id,
        other_id=payload.other_id,
        by=request.user,
        survivor_version=payload.version,
        other_version=payload.other_version,
        take_from_other=payload.take_from_other,
    )
    customer = _customer_detail(request, result.customer.pk)
    customer.merge = {  # type: ignore[attr-defined]
        "id": result.merge.pk,
        "merged_number": result.merge.number,
        "moved": result.merge.report,
        "summary": result.summary(),
    }
    return customer


class UndoOut(Schema):
    restored_id: int = Field(description="The record that was merged away, back with its own id.")
    kept_id: int
    kept_changes: list[str] = Field(
        description="Fields of the kept record changed since the merge: left as they are now."
    )
    skipped_rows: int = Field(description="Rows deleted or moved on since the merge.")


@router.post(
    "/customers/merges/{int:merge_id}/undo",
    response=UndoOut,
    summary="Undo a merge (within RAPPORT_MERGE_UNDO_DAYS): both records as they were",
)
def customer_merge_undo(request: HttpRequest, merge_id: int):
    require(request, "customers.merge_customer")
    result = services.customer_merge_undo(merge_id=merge_id, by=request.user)
    return {
        "restored_id": result.restored.pk,
        "kept_id": result.kept.pk,
        "kept_changes": result.kept_changes,
        "skipped_rows": result.skipped_rows,
    }
