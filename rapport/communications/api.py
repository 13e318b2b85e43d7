"""The communication log over HTTP: interactions, and the details customers mentioned in them.

Endpoints translate between JSON and rapport.communications.services / selectors, nothing more.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from rapport.api.pagination import Listed, Paged, PageParams, RequestBody
from rapport.api.permissions import require
from rapport.api.types import Day, Moment
from rapport.communications import services
from rapport.communications.bulk import DETAIL_LENGTH
from rapport.communications.choices import DetailKind, Direction, InteractionKind
from rapport.communications.models import Interaction, RememberedDetail
from rapport.communications.selectors import remembered_details
from rapport.core.pagination import keyset_page
from rapport.customers.models import Customer, Organisation

router = Router(tags=["communications"])


# Schemas --------------------------------------------------------------------------------------
# Choice fields the services check are plain strings whose allowed values the schema documents.


class RememberedDetailIn(RequestBody):
    text: str = Field(
        min_length=1,
        max_length=DETAIL_LENGTH,
        description="What the customer mentioned (at most 500 characters).",
    )
    kind: str = Field(DetailKind.OTHER.value, json_schema_extra={"enum": DetailKind.values})
    relevant_on: Day | None = Field(None, description="A date the detail is about, if any.")
    pinned: bool = False


class RememberedDetailOut(Schema):
    id: int
    kind: str
    text: str
    relevant_on: date | None
    pinned: bool
    archived: bool
    interaction_id: int | None
    created_at: datetime
    created_by: str | None

    @staticmethod
    def resolve_created_by(obj: RememberedDetail) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None


class InteractionIn(RequestBody):
    kind: str = Field(json_schema_extra={"enum": InteractionKind.values})
    direction: str = Field(json_schema_extra={"enum": Direction.values})
    summary: str = Field(description="What was said and asked for.")
    subject: str = Field("", max_length=200)
    occurred_at: Moment | None = Field(None, description="Defaults to now.")
    organisation_id: int | None = None
    details: list[RememberedDetailIn] = Field(
        default_factory=list, description="Details the customer mentioned, to bring up next time."
    )


class InteractionOut(Schema):
    id: int
    customer_id: int
    organisation_id: int | None
    kind: str
    direction: str
    occurred_at: datetime
    subject: str
    summary: str
    staff: str | None
    details: list[RememberedDetailOut]
    created_at: datetime

    @staticmethod
    def resolve_staff(obj: Interaction) -> str | None:
        return obj.staff.get_username() if obj.staff else None


class DetailListParams(Schema):
    limit: int = Field(20, ge=1, le=200)


# Endpoints ------------------------------------------------------------------------------------


def _interactions():
    details = RememberedDetail.objects.select_related("created_by").order_by(
        "-pinned", "-created_at"
    )
    return Interaction.objects.select_related("staff").prefetch_related(
        Prefetch("details", queryset=details)
    )


def _require_customer(customer_id: int) -> None:
    """Customer.DoesNotExist (answered with 404) unless the customer exists."""
    Customer.objects.only("pk").get(pk=customer_id)


def _check_organisation(organisation_id: int | None) -> None:
    if organisation_id is not None and not Organisation.objects.filter(pk=organisation_id).exists():
        raise ValidationError({"organisation_id": [_("No such organisation.")]})


@router.get(
    "/customers/{int:customer_id}/interactions",
    response=Paged[InteractionOut],
    summary="A customer's communication log, newest first",
)
def interaction_list(request: HttpRequest, customer_id: int, page: Query[PageParams]):
    require(request, "communications.view_interaction")
    _require_customer(customer_id)
    return keyset_page(
        _interactions().filter(customer_id=customer_id),
        ordering=["-occurred_at", "-id"],
        cursor=page.cursor,
        size=page.limit,
    )


@router.post(
    "/customers/{int:customer_id}/interactions",
    response={201: InteractionOut},
    summary="Log a contact with the customer and what they mentioned",
)
def interaction_create(request: HttpRequest, customer_id: int, payload: InteractionIn):
    require(request, "communications.add_interaction")
    if payload.details:
        require(request, "communications.add_remembereddetail")
    _require_customer(customer_id)
    _check_organisation(payload.organisation_id)
    interaction = services.interaction_log(
        by=request.user,
        customer_id=customer_id,
        **payload.model_dump(exclude={"details"}),
        details=[d.model_dump() for d in payload.details],
    )
    return Status(201, _interactions().get(pk=interaction.pk))


@router.get(
    "/interactions/{int:interaction_id}", response=InteractionOut, summary="One interaction"
)
def interaction_detail(request: HttpRequest, interaction_id: int):
    require(request, "communications.view_interaction")
    return _interactions().get(pk=interaction_id)


@router.get(
    "/customers/{int:customer_id}/remembered-details",
    response=Listed[RememberedDetailOut],
    summary="What the customer mentioned: active details, pinned first, then newest",
)
def detail_list(request: HttpRequest, customer_id: int, params: Query[DetailListParams]):
    require(request, "communications.view_remembereddetail")
    _require_customer(customer_id)
    return {"items": remembered_details(customer_id=customer_id, limit=params.limit)}


@router.post(
    "/customers/{int:customer_id}/remembered-details",
    response={201: RememberedDetailOut},
    summary="Remember something the customer mentioned",
)
def detail_create(request: HttpRequest, customer_id: int, payload: RememberedDetailIn):
    require(request, "communications.add_remembereddetail")
    _require_customer(customer_id)
    detail = services.detail_add(by=request.user, customer_id=customer_id, **payload.model_dump())
    return Status(201, detail)


@router.post(
    "/customers/{int:customer_id}/remembered-details/{int:detail_id}/archive",
    response=RememberedDetailOut,
    summary="Archive a detail that no longer applies",
)
def detail_archive(request: HttpRequest, customer_id: int, detail_id: int):
    require(request, "communications.change_remembereddetail")
    RememberedDetail.objects.only("pk").get(pk=detail_id, customer_id=customer_id)
    return services.detail_archive(by=request.user, detail_id=detail_id)
