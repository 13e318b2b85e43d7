"""Writes to the customer file, by concern: `customers` (people, contact details, tags, consents),
`organisations` (organisations and their contact people) and `merging` (duplicates into one).

Web views, the API, the importer and the CLI all call these; the names below are the interface.
"""

from rapport.customers.services.customers import (
    apply_names,
    consent_set,
    customer_create,
    customer_delete,
    customer_snapshot,
    customer_update,
    index_customer,
    reindex_customer,
    tag_get_or_create,
)
from rapport.customers.services.merging import (
    MERGE_CHOICE_FIELDS,
    MERGE_TEXT_FIELDS,
    MergeResult,
    UndoResult,
    customer_merge,
    customer_merge_undo,
    describe_report,
)
from rapport.customers.services.organisations import (
    ORGANISATION_FIELDS,
    clean_organisation_fields,
    contact_add,
    contact_remove,
    organisation_create,
    organisation_delete,
    organisation_update,
)

__all__ = [
    "MERGE_CHOICE_FIELDS",
    "MERGE_TEXT_FIELDS",
    "ORGANISATION_FIELDS",
    "MergeResult",
    "UndoResult",
    "apply_names",
    "clean_organisation_fields",
    "consent_set",
    "contact_add",
    "contact_remove",
    "customer_create",
    "customer_delete",
    "customer_merge",
    "customer_merge_undo",
    "customer_snapshot",
    "customer_update",
    "describe_report",
    "index_customer",
    "organisation_create",
    "organisation_delete",
    "organisation_update",
    "reindex_customer",
    "tag_get_or_create",
]
