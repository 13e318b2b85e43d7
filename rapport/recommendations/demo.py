"""The demo's recommendations: mark the demo's consumables, evaluate and refresh."""

from __future__ import annotations

from typing import Any

# The demo shop's products people buy again: filters, cartridges, protectors, regular services.
CONSUMABLE_WORDS = (
    "filter",
    "cartridge",
    "brush kit",
    "screen protector",
    "maintenance",
    "cleaning",
    "delivery",
)


def run(ctx: Any) -> dict[str, int]:
    from rapport.recommendations.services import evaluation_run, recommendations_refresh
    from rapport.sales.bulk import FieldChanges, products_update
    from rapport.sales.models import Product

    consumables = [
        FieldChanges(pk, {"consumable": True})
        for pk, name in Product.objects.filter(consumable=False).values_list("pk", "name")
        if any(word in name.lower() for word in CONSUMABLE_WORDS)
    ]
    updated = products_update(consumables, by=ctx.by) if consumables else 0
    evaluation_run()
    done = recommendations_refresh(full=True)
    return {"consumable products": updated, "customers with recommendations": done["customers"]}
