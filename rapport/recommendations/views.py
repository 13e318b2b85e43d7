"""The evaluation page and "customers who should be offered product P"."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from rapport.core.pagination import keyset_page
from rapport.recommendations import selectors
from rapport.recommendations.choices import Method
from rapport.recommendations.models import Evaluation

METRICS = ("precision_at_k", "recall_at_k", "ndcg_at_k", "coverage")


def perm(codename: str):
    return permission_required(codename, raise_exception=True)


@login_required
@perm("recommendations.view_evaluation")
def index(request: HttpRequest) -> HttpResponse:
    """The offline evaluation: the chosen method against the popularity baseline."""
    latest = selectors.latest_evaluation()
    rows = []
    if latest is not None:
        for key in METRICS:
            model = float(latest.model.get(key, 0))
            base = float(latest.popularity.get(key, 0))
            rows.append(
                {
                    "key": key,
                    "model": model,
                    "popularity": base,
                    "ratio": model / base if base else None,
                }
            )
    history = list(Evaluation.objects.order_by("-computed_at", "-id")[:10])
    return render(
        request,
        "recommendations/index.html",
        {
            "latest": latest,
            "rows": rows,
            "history": history,
            "method_label": dict(Method.choices).get(latest.chosen, "") if latest else "",
        },
    )


@login_required
@perm("recommendations.view_recommendation")
def audience(request: HttpRequest) -> HttpResponse:
    """Pick a product by SKU: then its audience."""
    product = request.GET.get("product", "")
    if product:
        pk = selectors.resolve_product(product)
        if pk is not None:
            return redirect("recommendations:product_audience", pk=pk)
    return render(
        request, "recommendations/audience.html", {"product": None, "query": product, "page": None}
    )


@login_required
@perm("recommendations.view_recommendation")
def product_audience(request: HttpRequest, pk: int) -> HttpResponse:
    """Customers who should be offered product P, best placed first."""
    from rapport.sales.models import Product

    product = get_object_or_404(Product, pk=pk)
    page = keyset_page(
        selectors.product_audience(pk),
        ordering=["rank", "customer_id"],
        cursor=request.GET.get("cursor"),
        size=50,
    )
    rows = [(r, selectors.reason_text(r)) for r in page.items]
    return render(
        request,
        "recommendations/audience.html",
        {"product": product, "page": page, "rows": rows, "query": product.sku},
    )
