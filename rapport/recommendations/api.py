"""Recommendations over HTTP: a customer's, a product's audience, the latest evaluation."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError

from rapport.api.pagination import Listed, Paged, PageParams
from rapport.api.permissions import require
from rapport.core.pagination import keyset_page
from rapport.recommendations import selectors
from rapport.recommendations.api_schemas import AudienceMember, EvaluationOut, RecommendationOut


def build_router() -> Router:
    router = Router(tags=["recommendations"])

    @router.get(
        "/recommendations/customers/{customer_id}",
        response=Listed[RecommendationOut],
        summary="Products to offer a customer next, best first, with their reasons",
    )
    def customer_recommendations(request: HttpRequest, customer_id: int) -> dict[str, Any]:
        require(request, "recommendations.view_recommendation")
        from rapport.customers.models import Customer

        get_object_or_404(Customer, pk=customer_id)
        recs = selectors.customer_recommendations(customer_id)
        return {"items": selectors.as_dicts(recs)}

    @router.get(
        "/recommendations/products/{product_id}/customers",
        response=Paged[AudienceMember],
        summary="Customers who should be offered the product (best placed first)",
    )
    def product_audience(
        request: HttpRequest, product_id: int, params: Query[PageParams]
    ) -> dict[str, Any]:
        require(request, "recommendations.view_recommendation")
        from rapport.sales.models import Product

        get_object_or_404(Product, pk=product_id)
        page = keyset_page(
            selectors.product_audience(product_id),
            ordering=["rank", "customer_id"],
            cursor=params.cursor,
            size=params.limit,
        )
        return {
            "items": [
                {
                    "customer_id": r.customer_id,
                    "number": r.customer.number,
                    "name": str(r.customer),
                    "rank": r.rank,
                    "reason_text": selectors.reason_text(r),
                }
                for r in page.items
            ],
            "next_cursor": page.next_cursor,
        }

    @router.get(
        "/recommendations/evaluation",
        response=EvaluationOut,
        summary="The latest offline evaluation: the method in use against the popularity baseline",
    )
    def evaluation(request: HttpRequest) -> dict[str, Any]:
        require(request, "recommendations.view_evaluation")
        latest = selectors.latest_evaluation()
        if latest is None:
            raise HttpError(404, _("There is no evaluation yet."))
        return {
            "computed_at": latest.computed_at,
            "as_of": latest.as_of.isoformat(),
            "split_date": latest.split_date.isoformat(),
            "k": latest.k,
            "chosen": latest.chosen,
            "model": latest.model,
            "popularity": latest.popularity,
            "customers_evaluated": latest.customers_evaluated,
        }

    return router


router = build_router()
