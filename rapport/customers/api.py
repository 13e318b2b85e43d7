"""The customer file over HTTP: customers, search, history, timeline, organisations, contacts.

Endpoints translate between JSON and rapport.customers.services / selectors, nothing more.
"""

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError

from rapport.api.pagination import Listed, Paged, PageParams
from rapport.api.permissions import require
from rapport.core.models import ObjectChange
from rapport.core.pagination import Page, keyset_page
from rapport.core.privacy import ReadLimitExceeded, personal_data_read
from rapport.core.registry import customer_api_sections, customer_filters
from rapport.core.timeline import customer_timeline
from rapport.customers import selectors, services
from rapport.customers.api_schemas import (
    ChangeOut,
    ConsentIn,
    ConsentOut,
    ContactIn,
    ContactOut,
    CustomerIn,
    CustomerListItem,
    CustomerPatch,
    DeleteParams,
    OrganisationDetail,
    OrganisationFilters,
    OrganisationIn,
    OrganisationListItem,
    OrganisationPatch,
    SearchParams,
    TagOut,
    TimelineEntryOut,
    TimelineParams,
    customer_detail_schema,
    customer_filters_schema,
)
from rapport.customers.models import Customer, Organisation, OrganisationContact, Tag
from rapport.customers.search import search_ids_query

router = Router(tags=["customers"])
CustomerDetail = customer_detail_schema()
CustomerFilters = customer_filters_schema()


def _customer_detail(request: HttpRequest, customer_id: int) -> Customer:
    """The customer with the sections other apps add (what they mentioned, what they bought, …),
    each as far as the caller may see it."""
    customer = selectors.customer_detail(customer_id=customer_id)
    user = request.user
    customer.sections = {  # type: ignore[attr-defined]
        s.name: s.resolve(request, customer)
        if s.permission is None or user.has_perm(s.permission)
        else s.default
        for s in customer_api_sections()
    }
    return customer


# Customers ------------------------------------------------------------------------------------


@router.get("/customers", response=Paged[CustomerListItem], summary="Customers, filtered")
def customer_list(request: HttpRequest, filters: Query[CustomerFilters], page: Query[PageParams]):
    require(request, "customers.view_customer")
    denied = {f.name for f in customer_filters()} - {f.name for f in customer_filters(request.user)}
    wanted = filters.model_dump(exclude={"sort", *denied}, exclude_none=True)
    result = selectors.customer_list(
        filters=wanted, sort=filters.sort, cursor=page.cursor, size=page.limit
    )
    # Reading many customers' data page by page is logged, and limited per day for those who may
    # not export (rapport.privacy): a 403 that says so, before anything is sent.
    try:
        personal_data_read(
            by=request.user,
            kind="list_page",
            count=len(result.items),
            filters={**{k: str(v) for k, v in wanted.items()}, "page": bool(page.cursor)},
        )
    except ReadLimitExceeded as exc:
        raise HttpError(403, str(exc)) from None
    return result


@router.get(
    "/customers/search",
    response=Listed[CustomerListItem],
    summary="Find customers by number, email, phone (any format) or part of the name",
)
def customer_search(request: HttpRequest, params: Query[SearchParams]) -> HttpResponse:
    require(request, "customers.view_customer")
    ids = search_ids_query(params.q, limit=params.limit)
    # One statement finds and reads the customers, as plain dicts in CustomerListItem's shape that
    # the API's JSON renderer writes without a pydantic pass over model instances (which cost more
    # than the search itself; the tests check both give the same JSON).
    rows = [] if ids is None else selectors.customer_list_rows(ids)
    try:  # logged and limited like the list (the search words are not logged: they name people)
        personal_data_read(
            by=request.user, kind="list_page", count=len(rows), filters={"search": True}
        )
    except ReadLimitExceeded as exc:
        raise HttpError(403, str(exc)) from None
    from rapport.api.urls import api  # the API this router is mounted on (imported by then)

    return api.create_response(request, {"items": rows}, status=200)


@router.post("/customers", response={201: CustomerDetail}, summary="Add a customer")
def customer_create(request: HttpRequest, payload: CustomerIn):
    require(request, "customers.add_customer")
    customer = services.customer_create(by=request.user, **payload.model_dump(exclude_unset=True))
    return Status(201, _customer_detail(request, customer.pk))


@router.get("/customers/{int:customer_id}", response=CustomerDetail, summary="The customer file")
def customer_detail(request: HttpRequest, customer_id: int):
    require(request, "customers.view_customer")
    return _customer_detail(request, customer_id)


@router.patch(
    "/customers/{int:customer_id}",
    response=CustomerDetail,
    summary="Change a customer (409 if stale)",
)
def customer_update(request: HttpRequest, customer_id: int, payload: CustomerPatch):
    require(request, "customers.change_customer")
    services.customer_update(
        customer_id=customer_id,
        by=request.user,
        expected_version=payload.version,
        **payload.model_dump(exclude_unset=True, exclude={"version"}),
    )
    return _customer_detail(request, customer_id)


@router.delete(
    "/customers/{int:customer_id}", response={204: None}, summary="Delete a customer without orders"
)
def customer_delete(request: HttpRequest, customer_id: int, params: Query[DeleteParams]):
    require(request, "customers.delete_customer")
    services.customer_delete(
        customer_id=customer_id, by=request.user, expected_version=params.version
    )
    return Status(204, None)


@router.post(
    "/customers/{int:customer_id}/consents",
    response=ConsentOut,
    summary="Record the customer's yes or no to marketing on a channel",
)
def consent_set(request: HttpRequest, customer_id: int, payload: ConsentIn):
    require(request, "customers.change_customer")
    customer = Customer.objects.get(pk=customer_id)
    return services.consent_set(customer=customer, by=request.user, **payload.model_dump())


@router.get(
    "/customers/{int:customer_id}/history",
    response=Paged[ChangeOut],
    summary="Every change to the customer's data: who changed which field from what to what",
)
def customer_history(request: HttpRequest, customer_id: int, page: Query[PageParams]) -> Page:
    require(request, "customers.view_customer", "core.view_objectchange")
    changes = ObjectChange.objects.filter(customer_id=customer_id).select_related("content_type")
    # The history outlives a deleted customer; only an id that never existed is a 404.
    if not Customer.objects.filter(pk=customer_id).exists() and not changes.exists():
        raise Customer.DoesNotExist
    return keyset_page(changes, ordering=["-time", "-id"], cursor=page.cursor, size=page.limit)


@router.get(
    "/customers/{int:customer_id}/timeline",
    response=Listed[TimelineEntryOut],
    summary="Orders, interactions and changes, newest first",
)
def customer_timeline_list(request: HttpRequest, customer_id: int, params: Query[TimelineParams]):
    require(request, "customers.view_customer")
    Customer.objects.only("pk").get(pk=customer_id)
    with_changes = request.user.has_perm("core.view_objectchange")
    return {"items": customer_timeline(customer_id, limit=params.limit, with_changes=with_changes)}


@router.get("/tags", response=Listed[TagOut], summary="All tags, by name")
def tag_list(request: HttpRequest):
    require(request, "customers.view_tag")
    return {"items": Tag.objects.order_by("name")}


# Organisations --------------------------------------------------------------------------------


@router.get(
    "/organisations",
    response=Paged[OrganisationListItem],
    summary="Organisations, by name",
    tags=["organisations"],
)
def organisation_list(
    request: HttpRequest, filters: Query[OrganisationFilters], page: Query[PageParams]
) -> Page:
    require(request, "customers.view_organisation")
    result = selectors.organisation_list(query=filters.q, cursor=page.cursor, size=page.limit)
    prefetch_related_objects(result.items, "tags")
    return result


@router.post(
    "/organisations",
    response={201: OrganisationDetail},
    summary="Add an organisation",
    tags=["organisations"],
)
def organisation_create(request: HttpRequest, payload: OrganisationIn):
    require(request, "customers.add_organisation")
    org = services.organisation_create(by=request.user, **payload.model_dump())
    return Status(201, selectors.organisation_detail(organisation_id=org.pk))


@router.get(
    "/organisations/{int:organisation_id}",
    response=OrganisationDetail,
    summary="An organisation and everyone involved in buying",
    tags=["organisations"],
)
def organisation_detail(request: HttpRequest, organisation_id: int):
    require(request, "customers.view_organisation")
    return selectors.organisation_detail(organisation_id=organisation_id)


@router.patch(
    "/organisations/{int:organisation_id}",
    response=OrganisationDetail,
    summary="Change an organisation (409 if stale)",
    tags=["organisations"],
)
def organisation_update(request: HttpRequest, organisation_id: int, payload: OrganisationPatch):
    require(request, "customers.change_organisation")
    services.organisation_update(
        organisation_id=organisation_id,
        by=request.user,
        expected_version=payload.version,
        **payload.model_dump(exclude_unset=True, exclude={"version"}),
    )
    return selectors.organisation_detail(organisation_id=organisation_id)


@router.delete(
    "/organisations/{int:organisation_id}",
    response={204: None},
    summary="Delete an organisation",
    tags=["organisations"],
)
def organisation_delete(request: HttpRequest, organisation_id: int, params: Query[DeleteParams]):
    require(request, "customers.delete_organisation")
    services.organisation_delete(
        organisation_id=organisation_id, by=request.user, expected_version=params.version
    )
    return Status(204, None)


@router.post(
    "/organisations/{int:organisation_id}/contacts",
    response={201: ContactOut},
    summary="Record a contact person and their role in buying",
    tags=["organisations"],
)
def contact_add(request: HttpRequest, organisation_id: int, payload: ContactIn):
    require(request, "customers.add_organisationcontact")
    org = Organisation.objects.get(pk=organisation_id)
    person = Customer.objects.filter(pk=payload.person_id).first()
    if person is None:  # a reference in the body: a field error, not a 404
        raise ValidationError({"person_id": [_("No such customer.")]})
    contact = services.contact_add(
        organisation=org,
        person=person,
        by=request.user,
        **payload.model_dump(exclude={"person_id"}),
    )
    return Status(201, contact)


@router.delete(
    "/organisations/{int:organisation_id}/contacts/{int:contact_id}",
    response={204: None},
    summary="Remove a contact person",
    tags=["organisations"],
)
def contact_remove(request: HttpRequest, organisation_id: int, contact_id: int):
    require(request, "customers.delete_organisationcontact")
    OrganisationContact.objects.only("pk").get(pk=contact_id, organisation_id=organisation_id)
    services.contact_remove(contact_id=contact_id, by=request.user)
    return Status(204, None)
