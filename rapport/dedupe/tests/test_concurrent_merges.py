"""Tests of issue 15: concurrent merges of overlapping pairs from the duplicate queue (B into A
while C goes into B) never lose a row: one merge wins, the other is refused (the record is gone or
changed), and every row of the three records belongs to a customer that exists."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from rapport.core.actors import COMMAND_LINE
from rapport.core.exceptions import ConflictError
from rapport.customers.models import Customer, CustomerPhone
from rapport.dedupe.services import merge

pytestmark = pytest.mark.django_db(transaction=True)


def test_overlapping_merges_at_once_never_lose_a_row(make_customer, make_product, make_user):
    from rapport.communications.models import Interaction
    from rapport.communications.services import interaction_log
    from rapport.sales.models import Order
    from rapport.sales.services import order_create

    staff = make_user("manager")
    product = make_product()
    rounds = []
    for r in range(3):
        a, b, c = (
            make_customer(family_name="Novák", given_name=f"Ján{r}", phones=[f"+42190512{r}00{i}"])
            for i in range(3)
        )
        for customer in (a, b, c):
            order_create(by=staff, customer_id=customer.pk, lines=[{"product_id": product.pk}])
            interaction_log(
                by=staff, customer_id=customer.pk, kind="call", direction="inbound",
                summary=f"call {customer.pk}",
            )  # fmt: skip
        rounds.append((a, b, c))
    orders = set(Order.objects.values_list("pk", flat=True))
    calls = set(Interaction.objects.values_list("pk", flat=True))
    phones = set(CustomerPhone.objects.values_list("number", flat=True))
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run(keep, drop):  # noqa: ANN001, ANN202
        try:
            barrier.wait(timeout=10)
            merge(keep_id=keep.pk, drop_id=drop.pk, by=COMMAND_LINE)
            outcomes.append("merged")
        except (Customer.DoesNotExist, ValidationError, ConflictError):
            outcomes.append("refused")
        except Exception as exc:  # a deadlock, a lock timeout, an integrity error
            outcomes.append(f"error: {exc!r}")
        finally:
            connections.close_all()

    for a, b, c in rounds:
        threads = [
            threading.Thread(target=run, args=(a, b)),
            threading.Thread(target=run, args=(b, c)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("merged") >= 3
    alive = set(Customer.objects.values_list("pk", flat=True))
    # every row is still there, and with a customer that exists
    assert set(Order.objects.values_list("pk", flat=True)) == orders
    assert set(Interaction.objects.values_list("pk", flat=True)) == calls
    assert set(CustomerPhone.objects.values_list("number", flat=True)) == phones
    assert set(Order.objects.values_list("customer_id", flat=True)) <= alive
    assert set(Interaction.objects.values_list("customer_id", flat=True)) <= alive
    assert set(CustomerPhone.objects.values_list("customer_id", flat=True)) <= alive
    assert len(alive) == 9 - outcomes.count("merged")
