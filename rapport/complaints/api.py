"""Complaints over HTTP: the same services as the pages; what the transition table refuses is
refused here with 409 and the reason."""

from django.http import HttpRequest
from ninja import Field as NField
from ninja import File, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile

from rapport.api.pagination import Listed, Paged, PageParams, RequestBody
from rapport.api.permissions import require
from rapport.complaints import rules, selectors, services
from rapport.complaints.api_schemas import (
    ActionIn,
    CauseIn,
    CauseOut,
    ComplaintIn,
    ComplaintListItem,
    ComplaintOut,
    ComplaintPatch,
    EventOut,
    SuggestionOut,
)
from rapport.complaints.choices import Action
from rapport.complaints.models import Cause, Complaint

router = Router(tags=["complaints"])


class QueueParams(PageParams):
    tab: str = NField("all", json_schema_extra={"enum": list(selectors.TABS)})
    state: str = ""
    category: str = ""
    channel: str = ""
    department: int | None = None
    product: int | None = None
    cause: int | None = None
    customer: int | None = None
    age: int | None = NField(None, ge=0, description="Received at least this many days ago.")


def _out(request: HttpRequest, complaint: Complaint) -> Complaint:
    remedy = selectors.latest_remedy(complaint)
    can_change = request.user.has_perm("complaints.change_complaint")
    complaint.allowed_actions = (  # type: ignore[attr-defined]
        [str(a) for a in rules.allowed_actions(complaint, request.user, remedy=remedy)]
        if can_change
        else []
    )
    complaint.remedies_out = list(complaint.remedies.order_by("pk"))  # type: ignore[attr-defined]
    return complaint


class _ComplaintOut(ComplaintOut):
    @staticmethod
    def resolve_remedies(obj) -> list:  # noqa: ANN001
        return getattr(obj, "remedies_out", [])


@router.get("/complaints", response=Paged[ComplaintListItem], summary="A queue of complaints")
def complaint_list(request: HttpRequest, params: Query[QueueParams]):
    """Most urgent deadline first; `tab` is one of the queues (mine, department, approval,
    overdue, all). Department staff see only their departments' complaints."""
    require(request, "complaints.view_complaint")
    filters = params.model_dump(exclude={"tab", "cursor", "limit"})
    return selectors.queue_page(
        request.user, params.tab, filters, cursor=params.cursor, size=params.limit
    )


@router.post("/complaints", response={201: _ComplaintOut}, summary="Record a complaint")
def complaint_create(request: HttpRequest, payload: ComplaintIn):
    """Step 1; the customer is acknowledged at once in their language with the reference."""
    require(request, "complaints.add_complaint")
    complaint = services.complaint_record(by=request.user, **payload.model_dump())
    return Status(201, _out(request, selectors.complaint_for(request.user, complaint.pk)))


@router.get("/complaints/{int:complaint_id}", response=_ComplaintOut, summary="One complaint")
def complaint_detail(request: HttpRequest, complaint_id: int):
    require(request, "complaints.view_complaint")
    return _out(request, selectors.complaint_for(request.user, complaint_id))


@router.patch(
    "/complaints/{int:complaint_id}", response=_ComplaintOut, summary="Edit a complaint's details"
)
def complaint_edit(request: HttpRequest, complaint_id: int, payload: ComplaintPatch):
    require(request, "complaints.change_complaint")
    selectors.complaint_for(request.user, complaint_id)
    fields = payload.model_dump(exclude={"version"}, exclude_none=True)
    services.complaint_update(
        by=request.user, complaint_id=complaint_id, expected_version=payload.version, **fields
    )
    return _out(request, selectors.complaint_for(request.user, complaint_id))


class ActionPath(Schema):
    complaint_id: int
    action: str = NField(json_schema_extra={"enum": Action.values})


@router.post(
    "/complaints/{int:complaint_id}/actions/{action}",
    response=_ComplaintOut,
    summary="Take one step of the complaint process",
)
def complaint_action(request: HttpRequest, path: Path[ActionPath], payload: ActionIn):
    """409 with the reason when the transition table (or a rule beside it: own proposal,
    another department, a stale version) refuses the step; 400 for missing input."""
    require(request, "complaints.change_complaint")
    selectors.complaint_for(request.user, path.complaint_id)
    data = payload.model_dump(exclude={"version"})
    services.complaint_act(
        by=request.user,
        complaint_id=path.complaint_id,
        action=path.action,
        expected_version=payload.version,
        **data,
    )
    return _out(request, selectors.complaint_for(request.user, path.complaint_id))


@router.get(
    "/complaints/{int:complaint_id}/events",
    response=Listed[EventOut],
    summary="A complaint's own timeline: every step, oldest first",
)
def complaint_events(request: HttpRequest, complaint_id: int):
    require(request, "complaints.view_complaint")
    return {
        "items": selectors.complaint_events(selectors.complaint_for(request.user, complaint_id))
    }


@router.get("/complaint-causes", response=Listed[CauseOut], summary="The managed list of causes")
def cause_list(request: HttpRequest):
    require(request, "complaints.view_cause")
    return {"items": list(Cause.objects.order_by("code"))}


@router.post("/complaint-causes", response={201: CauseOut}, summary="Add a cause to the list")
def cause_create(request: HttpRequest, payload: CauseIn):
    require(request, "complaints.add_cause")
    return Status(201, services.cause_create(by=request.user, **payload.model_dump()))


class SuggestParams(Schema):
    text: str = NField(max_length=2000)


@router.get(
    "/complaints/suggestion",
    response=SuggestionOut,
    summary="Suggested category and department for a complaint's text",
)
def complaint_suggestion(request: HttpRequest, params: Query[SuggestParams]):
    require(request, "complaints.view_complaint")
    from rapport.complaints.suggest import suggestion

    found = suggestion(params.text) or {}
    return {
        "category": found.get("category"),
        "department": found.get("department"),
        "confidence": found.get("confidence"),
        "accuracy": found.get("accuracy"),
        "baseline": found.get("baseline"),
    }


# Attachments, reports and notices -----------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    from_customer: bool


@router.post(
    "/complaints/{int:complaint_id}/attachments",
    response={201: AttachmentOut},
    summary="Attach a photo, scan or letter (JPEG, PNG, GIF, WebP, PDF; at most 10 MB)",
)
def attachment_create(request: HttpRequest, complaint_id: int, file: File[UploadedFile]):
    require(request, "complaints.change_complaint")
    from rapport.complaints.attachments import attachment_add

    complaint = selectors.complaint_for(request.user, complaint_id)
    return Status(201, attachment_add(by=request.user, complaint=complaint, upload=file))


class ParetoRow(Schema):
    label: str
    count: int
    share: float
    cumulative: float


class ParetoParams(Schema):
    by: str = NField(
        "cause", json_schema_extra={"enum": ["cause", "category", "product", "department"]}
    )


@router.get(
    "/complaints/pareto",
    response=Listed[ParetoRow],
    summary="Complaints by cause, category, product or department, with the cumulative share",
)
def complaint_pareto(request: HttpRequest, params: Query[ParetoParams]):
    require(request, "complaints.view_complaint_report")
    from rapport.complaints.reports import pareto

    return {"items": pareto(params.by)}


class FiguresOut(Schema):
    complaints: int
    resolved: int
    acknowledge_hours: float | None
    decide_hours: float | None
    resolve_hours: float | None
    on_time_rate: float | None
    reopen_rate: float | None
    first_contact_rate: float | None


@router.get(
    "/complaints/figures",
    response=FiguresOut,
    summary="Handling figures from the event rows (definitions: rapport/complaints/metrics.py)",
)
def complaint_figures(request: HttpRequest):
    require(request, "complaints.view_complaint_report")
    from rapport.complaints.metrics import all_figures

    return all_figures()


class NoticeIn(RequestBody):
    product_id: int
    batch: str = ""
    subject: str = NField(max_length=200)
    body: str


class NoticeOut(Schema):
    sent_to: int


@router.post(
    "/complaints/notices",
    response=NoticeOut,
    summary="Send a notice about a common problem to every buyer of a product (or batch)",
)
def complaint_notice(request: HttpRequest, payload: NoticeIn):
    require(request, "complaints.approve_complaint")
    from rapport.complaints.notices import notice_send

    if not payload.subject.strip() or not payload.body.strip():
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raise ValidationError({"subject": [_("Write a subject and a text for the notice.")]})
    return {"sent_to": notice_send(by=request.user, **payload.model_dump())}
