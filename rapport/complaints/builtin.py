"""The built-in causes, for the data migration and for tests that start from an empty database."""

BUILTIN = {
    "material_defect": "product_quality",
    "assembly_error": "product_quality",
    "wrong_item_shipped": "sales_contract",
    "late_delivery": "sales_contract",
    "billing_error": "sales_contract",
    "poor_packing": "transport",
    "carrier_handling": "transport",
    "staff_attitude": "service",
    "staff_training": "service",
    "misunderstanding": "",
}


def ensure_causes(cause_model=None) -> None:  # noqa: ANN001
    if cause_model is None:
        from rapport.complaints.models import Cause as cause_model  # noqa: N813
    for code, category in BUILTIN.items():
        # name == code: the page shows the built-in, translated name
        cause_model.objects.get_or_create(code=code, defaults={"name": code, "category": category})
