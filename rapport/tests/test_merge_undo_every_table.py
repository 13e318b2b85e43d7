"""Issue 15, item 6: a merge from the duplicate finder, then its undo, leaves every table of every
installed app as it was — both records and every row that moved, compared column by column — but
for the tables that record what happened (history, events, the merge record itself). Changes made
to the kept record after the merge stay and are reported.

Each app plants its rows through its erasure-coverage maker (`<app>/tests/privacy_rows.py`, see
test_privacy_erasure.py), so a new app's tables are covered here without changing this test."""

import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction

from rapport.core.actors import COMMAND_LINE
from rapport.core.models import Event, ObjectChange
from rapport.customers.models import Customer, CustomerMerge, CustomerSearchTerm
from rapport.tests.test_privacy_erasure import app_row_makers

pytestmark = pytest.mark.django_db

# Columns a merge and its undo may legitimately move on: the optimistic-lock counter and the
# modification time.
VOLATILE = {"version", "updated_at"}


def _is_record_of_what_happened(model: type[models.Model]) -> bool:
    """History, events and the merge record: they grow with the merge and the undo by design."""
    return issubclass(model, Event | ObjectChange | CustomerMerge) or model._meta.app_label in (
        "sessions",
        "admin",
        "django_tasks_database",
        "django_tasks_db",
        "contenttypes",
        "auth",
    )


def every_table() -> dict[str, list[tuple]]:
    """Every row of every table of every installed app (the many-to-many tables too), as values."""
    tables: dict[str, list[tuple]] = {}
    seen = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed or _is_record_of_what_happened(model):
            continue
        if model._meta.db_table in seen:
            continue
        seen.add(model._meta.db_table)
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
        if model is CustomerSearchTerm:  # derived from the names, rebuilt: the same terms
            fields.remove("id")
        tables[model._meta.label] = sorted(
            model._base_manager.values_list(*fields).iterator(), key=repr
        )
    return tables


@pytest.fixture
def two_records(make_user, make_customer, make_product):
    """The same person twice, each with rows in every app's tables."""
    from rapport.communications.services import interaction_log
    from rapport.customers.services import consent_set, contact_add, organisation_create
    from rapport.sales.services import order_create

    staff = make_user("manager")
    kept = make_customer(
        family_name="王", given_name="小明", phones=["13800138000"], emails=["wxm@example.cn"],
        tags=["VIP"],
    )  # fmt: skip
    dropped = make_customer(
        family_name="王", given_name="曉明", occupation="teacher", external_id="ERP-7",
        phones=["13800138000", "13900139000"], emails=["wang.xm@example.cn"],
        tags=["VIP", "newsletter"], notes="Prefers tea.",
    )  # fmt: skip
    third = make_customer(family_name="Novák", given_name="Ján")
    product = make_product(price="12.00")
    for customer in (kept, dropped):
        consent_set(customer=customer, channel="email", granted=True, method="web_form", by=staff)
        order_create(
            by=staff, customer_id=customer.pk, lines=[{"product_id": product.pk, "quantity": 2}]
        )
        interaction_log(
            by=staff, customer_id=customer.pk, kind="call", direction="inbound",
            summary=f"call {customer.pk}", details=[f"detail {customer.pk}"],
        )  # fmt: skip
    organisation = organisation_create(by=staff, name="Acme")
    contact_add(organisation=organisation, person=dropped, buying_role="purchaser", by=staff)
    makers = app_row_makers()
    assert len(makers) >= 5  # the apps' makers were found
    for make_rows in makers:
        make_rows(dropped, kept, staff, product)  # rows naming both, e.g. "not the same person"
        try:  # the kept record's own rows where the maker can plant a second set
            with transaction.atomic():
                make_rows(kept, third, staff, product)
        except IntegrityError:  # its rows carry fixed unique keys
            pass
    return {"kept": kept, "dropped": dropped, "staff": staff, "product": product}


def test_merge_then_undo_leaves_every_table_identical(two_records):
    from rapport.customers.services import customer_merge_undo
    from rapport.dedupe.services import merge

    kept, dropped = two_records["kept"], two_records["dropped"]
    before = every_table()
    assert len(before) > 40  # every app's tables, not a chosen few
    result = merge(keep_id=kept.pk, drop_id=dropped.pk, by=COMMAND_LINE)
    assert not Customer.objects.filter(pk=dropped.pk).exists()
    merged = every_table()
    moved = sorted(t for t in before if merged[t] != before[t])
    assert len(moved) >= 10, moved  # the merge changed rows in many tables

    undone = customer_merge_undo(merge_id=result.merge.pk, by=two_records["staff"])
    assert undone.kept_changes == [] and undone.skipped_rows == 0
    after = every_table()
    assert after.keys() == before.keys()
    different = [table for table in before if after[table] != before[table]]
    assert different == [], {t: (before[t], after[t]) for t in different}


def test_later_changes_to_the_kept_record_stay_after_the_undo_and_are_reported(two_records):
    from rapport.communications.models import Interaction
    from rapport.communications.services import interaction_log
    from rapport.customers.models import CustomerPhone
    from rapport.customers.services import customer_merge_undo, customer_update
    from rapport.dedupe.services import merge

    kept, dropped, staff = two_records["kept"], two_records["dropped"], two_records["staff"]
    result = merge(keep_id=kept.pk, drop_id=dropped.pk, by=COMMAND_LINE)
    kept.refresh_from_db()
    assert kept.occupation == "teacher"  # taken from the dropped record by the merge
    # After the merge: the kept record is edited, gets a new call, and a moved phone is deleted.
    customer_update(customer_id=kept.pk, by=staff, expected_version=None, occupation="engineer")
    later = interaction_log(
        by=staff, customer_id=kept.pk, kind="call", direction="outbound", summary="after merge"
    )
    CustomerPhone.objects.filter(customer=kept, number="+8613900139000").delete()

    undone = customer_merge_undo(merge_id=result.merge.pk, by=staff)
    kept.refresh_from_db()
    assert kept.occupation == "engineer"  # the later change is kept …
    assert undone.kept_changes == ["occupation"]  # … and reported
    assert undone.skipped_rows == 1  # the phone deleted since cannot return, and is counted
    assert Interaction.objects.get(pk=later.pk).customer_id == kept.pk  # stays with the kept one
    restored = Customer.objects.get(pk=dropped.pk)
    assert restored.occupation == "teacher" and restored.external_id == "ERP-7"
    assert Interaction.objects.filter(customer=restored, summary=f"call {dropped.pk}").exists()
