"""What recommendations give the texts sent to customers (rapport.core.registry.MergeField):
`{{ recommended_products }}`, the products we recommend to each customer, best first."""

from django.utils import translation

TOP = 3


def recommended_products(customer_ids: list[int], language: str) -> dict[int, str]:
    """Customer id -> the names of their best TOP recommended products, listed the way
    `language` lists things ("Tea, Cups and Pot"; "茶、杯子和壶"). One query."""
    from django.utils.text import get_text_list

    from rapport.recommendations.models import Recommendation

    found: dict[int, list[str]] = {}
    rows = (
        Recommendation.objects.filter(customer_id__in=customer_ids, rank__lte=TOP)
        .order_by("customer_id", "rank")
        .values_list("customer_id", "product__name")
    )
    for customer_id, name in rows:
        found.setdefault(customer_id, []).append(name)
    with translation.override(language):
        return {
            pk: str(get_text_list(names, translation.gettext("and"))) for pk, names in found.items()
        }
