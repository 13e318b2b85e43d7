"""Undoing a merge puts the review queue back as it was, even after a search ran in between."""

import pytest

from rapport.core.actors import COMMAND_LINE
from rapport.customers.models import Customer
from rapport.customers.services import customer_merge_undo
from rapport.dedupe.models import DuplicatePair
from rapport.dedupe.services import duplicates_find, merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(make_customer):
    a = make_customer(family_name="Novák", given_name="Ján", phones=["+421905123456"],
                      emails=["jan@novak.sk"])  # fmt: skip
    twin = make_customer(family_name="Novak", given_name="Jan", phones=["+421905123456"])
    colleague = make_customer(family_name="Kováč", given_name="Peter", emails=["jan@novak.sk"])
    return a, twin, colleague


def _queue():
    return sorted(DuplicatePair.objects.values_list("first_id", "second_id", "score", "evidence"))


def test_the_queue_comes_back_with_the_undo(three):
    a, twin, _colleague = three
    duplicates_find(by=COMMAND_LINE)
    before = sorted(DuplicatePair.objects.values_list("pk", "first_id", "second_id", "score"))
    assert len(before) == 2
    result = merge(keep_id=a.pk, drop_id=twin.pk, by=COMMAND_LINE)
    assert not DuplicatePair.objects.exists()  # the kept record is compared afresh next time
    customer_merge_undo(merge_id=result.merge.pk, by=COMMAND_LINE)
    after = sorted(DuplicatePair.objects.values_list("pk", "first_id", "second_id", "score"))
    assert after == before


def test_undo_after_a_new_search_and_a_deletion_skips_what_cannot_return(three):
    a, twin, colleague = three
    duplicates_find(by=COMMAND_LINE)
    result = merge(keep_id=a.pk, drop_id=twin.pk, by=COMMAND_LINE)
    duplicates_find(by=COMMAND_LINE)  # finds (a, colleague) again, as a new row
    assert DuplicatePair.objects.filter(first=a, second=colleague).count() == 1
    undone = customer_merge_undo(merge_id=result.merge.pk, by=COMMAND_LINE)
    assert undone.skipped_rows == 1  # the old (a, colleague) proposal: its place is taken
    assert DuplicatePair.objects.filter(first=a, second=twin).exists()
    assert DuplicatePair.objects.filter(first=a, second=colleague).count() == 1

    # A proposal about a customer deleted since the merge does not come back (and does not fail).
    result = merge(keep_id=a.pk, drop_id=twin.pk, by=COMMAND_LINE)
    Customer.objects.filter(pk=colleague.pk).delete()
    undone = customer_merge_undo(merge_id=result.merge.pk, by=COMMAND_LINE)
    assert undone.skipped_rows == 1  # the proposal about the deleted colleague
    assert list(DuplicatePair.objects.values_list("first_id", "second_id")) == [(a.pk, twin.pk)]
