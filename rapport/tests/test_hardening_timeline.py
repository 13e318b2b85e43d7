"""The customer page's timeline shows old and new values only to those who may view history."""

import pytest
from django.test import Client

from rapport.api.tests.helpers import API, token_client
from rapport.customers.services import customer_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed(make_customer, manager):
    customer = make_customer(family_name="Secretname", notes="first note")
    customer_update(
        customer_id=customer.pk,
        by=manager,
        expected_version=customer.version,
        notes="Divorce pending, do not mention",
    )
    return customer


@pytest.mark.parametrize("role", ["department", "marketing"])
def test_staff_without_history_see_that_something_changed_but_not_what(make_user, changed, role):
    user = make_user(role)
    assert not user.has_perm("core.view_objectchange")
    client = Client()
    client.force_login(user)
    assert client.get(f"/customers/{changed.pk}/history/").status_code == 403
    page = client.get(f"/customers/{changed.pk}/").content.decode()
    assert "first note" not in page  # the old value (the current one is the customer's notes)
    body = token_client(user).get(f"{API}/customers/{changed.pk}/timeline").content.decode()
    assert "Divorce pending" not in body and "first note" not in body
    assert '"kind": "change"' in body or '"kind":"change"' in body


def test_staff_who_may_view_history_see_the_values(agent, changed):
    client = Client()
    client.force_login(agent)
    page = client.get(f"/customers/{changed.pk}/").content.decode()
    assert "first note" in page
    body = token_client(agent).get(f"{API}/customers/{changed.pk}/timeline").content.decode()
    assert "Divorce pending" in body
