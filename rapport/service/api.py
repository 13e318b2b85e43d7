"""After-sales service over HTTP: requests, visits, commitments, maintenance intervals and
product notices. Endpoints call the services and selectors."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from rapport.api.pagination import Paged, PageParams, RequestBody
from rapport.api.permissions import require
from rapport.core.pagination import keyset_page
from rapport.service import selectors, services
from rapport.service.choices import CommitmentState, Remedy, ServiceKind
from rapport.service.models import Commitment, Recall, RecallNotice, ServiceRequest, Visit

router = Router(tags=["service"])


class RequestIn(RequestBody):
    customer_id: int
    kind: str = Field(json_schema_extra={"enum": ServiceKind.values})
    description: str
    product_id: int | None = None
    order_id: int | None = None
    department_id: int | None = None


class RequestOut(Schema):
    id: int
    customer_id: int
    kind: str
    description: str
    state: str
    product_id: int | None
    order_id: int | None
    created_at: datetime


class VisitIn(RequestBody):
    starts_at: datetime
    ends_at: datetime | None = None
    technician_id: int | None = None


class VisitDoneIn(RequestBody):
    parts_cost: Decimal = Decimal("0")
    labour_minutes: int = 0
    labour_cost: Decimal = Decimal("0")
    notes: str = ""
    version: int | None = None


class VisitOut(Schema):
    id: int
    customer_id: int
    request_id: int | None
    kind: str
    state: str
    technician_id: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    due_on: date | None
    parts_cost: Decimal
    labour_minutes: int
    labour_cost: Decimal
    version: int


class CommitmentIn(RequestBody):
    customer_id: int
    text: str
    due_at: datetime | None = Field(
        None, description="When it is due; or give within_working_hours."
    )
    within_working_hours: float | None = None
    department_id: int | None = None


class CommitmentOut(Schema):
    id: int
    customer_id: int
    text: str
    due_at: datetime
    owner_id: int
    department_id: int | None
    state: str = Field(json_schema_extra={"enum": CommitmentState.values})
    overdue: bool
    closed_at: datetime | None
    version: int


class CommitmentCloseIn(RequestBody):
    kept: bool
    version: int | None = None


class RecallIn(RequestBody):
    product_id: int
    batch: str = ""
    ordered_from: date | None = None
    ordered_to: date | None = None
    title: dict[str, str] | str
    body: dict[str, str] | str
    public: bool = True


class RecallOut(Schema):
    id: int
    product_id: int
    batch: str
    ordered_from: date | None
    ordered_to: date | None
    title: dict[str, str]
    body: dict[str, str]
    state: str
    sent_at: datetime | None


class NoticeOut(Schema):
    id: int
    recall_id: int
    customer_id: int
    language: str
    notified_at: datetime | None
    acknowledged_at: datetime | None
    remedy: str


class NoticeAnswerIn(RequestBody):
    remedy: str = Field("", json_schema_extra={"enum": [*Remedy.values, ""]})


class IntervalIn(RequestBody):
    months: int | None = Field(None, description="Months between maintenance; null to clear.")


class PromiseRow(Schema):
    name: str
    kept: int
    broken: int
    open: int
    overdue: int


class PromiseReport(Schema):
    by_owner: list[PromiseRow]
    by_department: list[PromiseRow]


@router.get("/service-requests", response=Paged[RequestOut], summary="Service requests")
def request_list(request: HttpRequest, page: Query[PageParams], state: str = ""):
    require(request, "service.view_servicerequest")
    qs = ServiceRequest.objects.all()
    if state:
        qs = qs.filter(state=state)
    return keyset_page(qs, ordering=["-id"], cursor=page.cursor, size=page.limit)


@router.post("/service-requests", response={201: RequestOut}, summary="Open a service request")
def request_create(request: HttpRequest, payload: RequestIn):
    require(request, "service.add_servicerequest")
    from rapport.customers.models import Customer

    Customer.objects.only("pk").get(pk=payload.customer_id)
    return Status(201, services.request_open(by=request.user, **payload.model_dump()))


@router.post(
    "/service-requests/{int:request_id}/visits",
    response={201: VisitOut},
    summary="Book a visit for a request",
)
def visit_create(request: HttpRequest, request_id: int, payload: VisitIn):
    require(request, "service.add_visit")
    req = ServiceRequest.objects.get(pk=request_id)
    return Status(
        201,
        services.visit_schedule(
            by=request.user,
            customer_id=req.customer_id,
            kind=req.kind,
            request_id=req.pk,
            product_id=req.product_id,
            **payload.model_dump(),
        ),
    )


@router.get("/service-visits", response=Paged[VisitOut], summary="Visits, newest first")
def visit_list(request: HttpRequest, page: Query[PageParams], state: str = ""):
    require(request, "service.view_visit")
    qs = Visit.objects.all()
    if state:
        qs = qs.filter(state=state)
    return keyset_page(qs, ordering=["-id"], cursor=page.cursor, size=page.limit)


@router.post(
    "/service-visits/{int:visit_id}/done",
    response=VisitOut,
    summary="Record a visit done, with parts and labour",
)
def visit_done(request: HttpRequest, visit_id: int, payload: VisitDoneIn):
    require(request, "service.change_visit")
    Visit.objects.only("pk").get(pk=visit_id)
    data = payload.model_dump()
    return services.visit_done(
        by=request.user, visit_id=visit_id, expected_version=data.pop("version"), **data
    )


@router.get("/service-commitments", response=Paged[CommitmentOut], summary="Promises to customers")
def commitment_list(
    request: HttpRequest, page: Query[PageParams], state: str = "", owner_id: int | None = None
):
    require(request, "service.view_commitment")
    return keyset_page(
        selectors.commitment_queue(owner_id=owner_id, state=state),
        ordering=["due_at", "id"],
        cursor=page.cursor,
        size=page.limit,
    )


@router.post("/service-commitments", response={201: CommitmentOut}, summary="Record a promise")
def commitment_create(request: HttpRequest, payload: CommitmentIn):
    require(request, "service.add_commitment")
    from rapport.customers.models import Customer

    Customer.objects.only("pk").get(pk=payload.customer_id)
    return Status(
        201,
        services.commitment_make(by=request.user, owner_id=request.user.pk, **payload.model_dump()),
    )


@router.post(
    "/service-commitments/{int:commitment_id}/close",
    response=CommitmentOut,
    summary="Mark a promise kept or broken",
)
def commitment_close(request: HttpRequest, commitment_id: int, payload: CommitmentCloseIn):
    require(request, "service.change_commitment")
    Commitment.objects.only("pk").get(pk=commitment_id)
    return services.commitment_close(
        by=request.user,
        commitment_id=commitment_id,
        kept=payload.kept,
        expected_version=payload.version,
    )


@router.get(
    "/service-commitments/report",
    response=PromiseReport,
    summary="Kept, broken, open and overdue promises per person and department",
)
def promise_report(request: HttpRequest):
    require(request, "service.view_commitment")
    return selectors.promise_report()


@router.put(
    "/products/{int:product_id}/service-interval",
    response=dict,
    summary="Set how often a product needs routine maintenance",
)
def interval_set(request: HttpRequest, product_id: int, payload: IntervalIn):
    require(request, "service.add_serviceinterval", "service.change_serviceinterval")
    from rapport.sales.models import Product

    Product.objects.only("pk").get(pk=product_id)
    services.interval_set(by=request.user, product_id=product_id, months=payload.months)
    return {"product_id": product_id, "months": payload.months}


@router.get("/product-notices", response=Paged[RecallOut], summary="Product notices and recalls")
def recall_list(request: HttpRequest, page: Query[PageParams]):
    require(request, "service.view_recall")
    return keyset_page(Recall.objects.all(), ordering=["-id"], cursor=page.cursor, size=page.limit)


@router.post("/product-notices", response={201: RecallOut}, summary="Write a product notice")
def recall_create(request: HttpRequest, payload: RecallIn):
    require(request, "service.add_recall")
    return Status(201, services.recall_create(by=request.user, **payload.model_dump()))


@router.get(
    "/product-notices/{int:recall_id}/affected",
    response=list[int],
    summary="The ids of the customers who bought the product (directly or through their organisation)",
)
def recall_affected(request: HttpRequest, recall_id: int):
    require(request, "service.view_recall")
    return selectors.affected_customer_ids(Recall.objects.get(pk=recall_id))


@router.post(
    "/product-notices/{int:recall_id}/send",
    response=dict,
    summary="Tell every affected customer not yet told (once each, in their language)",
)
def recall_send(request: HttpRequest, recall_id: int):
    require(request, "service.change_recall")
    Recall.objects.only("pk").get(pk=recall_id)
    return {"told": services.recall_notify(by=request.user, recall_id=recall_id)}


@router.get(
    "/product-notices/{int:recall_id}/notices",
    response=Paged[NoticeOut],
    summary="Who was told, who acknowledged, which remedy",
)
def notice_list(request: HttpRequest, recall_id: int, page: Query[PageParams]):
    require(request, "service.view_recall")
    return keyset_page(
        RecallNotice.objects.filter(recall_id=recall_id),
        ordering=["id"],
        cursor=page.cursor,
        size=page.limit,
    )


@router.post(
    "/product-notice-answers/{int:notice_id}",
    response=NoticeOut,
    summary="Record a customer's acknowledgement and remedy",
)
def notice_answer(request: HttpRequest, notice_id: int, payload: NoticeAnswerIn):
    require(request, "service.change_recall")
    RecallNotice.objects.only("pk").get(pk=notice_id)
    return services.recall_answer(by=request.user, notice_id=notice_id, remedy=payload.remedy)
