"""Web edits always go through the conflict check; a contact is removed only from its own
organisation."""

import pytest
from django.urls import reverse

from rapport.customers.models import Customer, OrganisationContact
from rapport.customers.services import contact_add, organisation_create

pytestmark = pytest.mark.django_db


def test_a_customer_edit_without_a_version_is_refused(agent_client, make_customer):
    c = make_customer(family_name="Smith", given_name="Anna", occupation="nurse")
    response = agent_client.post(
        reverse("customers:edit", args=[c.pk]),
        {"family_name": "Smith", "given_name": "Anna", "occupation": "pilot"},
    )
    assert response.status_code == 200
    assert "sent without the version" in response.content.decode()
    assert Customer.objects.get(pk=c.pk).occupation == "nurse"


def test_an_organisation_edit_without_a_version_is_refused(manager_client, manager):
    org = organisation_create(by=manager, name="Acme")
    response = manager_client.post(
        reverse("customers:organisation_edit", args=[org.pk]), {"name": "Evil"}
    )
    assert "sent without the version" in response.content.decode()
    org.refresh_from_db()
    assert org.name == "Acme"


def test_a_product_edit_without_a_version_is_refused(manager_client, make_product):
    product = make_product(name="Tea")
    response = manager_client.post(
        reverse("sales:product_edit", args=[product.pk]),
        {"sku": product.sku, "name": "Coffee", "price": "1.00", "unit_cost": "0.50"},
    )
    assert "sent without the version" in response.content.decode()
    product.refresh_from_db()
    assert product.name == "Tea"


def test_removing_a_contact_through_another_organisation_is_404(
    manager_client, manager, make_customer
):
    mine = organisation_create(by=manager, name="Mine")
    theirs = organisation_create(by=manager, name="Theirs")
    person = make_customer()
    contact = contact_add(
        organisation=theirs, person=person, buying_role="decision_maker", by=manager
    )
    url = reverse("customers:contact_remove", args=[mine.pk, contact.pk])
    assert manager_client.post(url).status_code == 404
    assert OrganisationContact.objects.filter(pk=contact.pk).exists()
    url = reverse("customers:contact_remove", args=[theirs.pk, contact.pk])
    assert manager_client.post(url).status_code == 302
    assert not OrganisationContact.objects.filter(pk=contact.pk).exists()
