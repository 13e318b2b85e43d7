"""The customer form in sections, a lunar birthday entered as a lunar date, phones as people write
them, landlines as landlines, history in words, the list's "newest first"."""

from datetime import date

import pytest
from django.urls import reverse

from rapport.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_form_is_in_sections_and_shows_each_error_once(agent_client):
    html = agent_client.get(reverse("customers:create")).content.decode()
    for legend in ("Identity", "Contact", "Family and interests", "Marketing"):
        assert f"<legend>{legend}</legend>" in html
    response = agent_client.post(reverse("customers:create"), {"family_name": "", "given_name": ""})
    assert response.content.decode().count("Enter a family name or a given name.") == 1


def test_a_form_level_error_is_shown_once(manager_client, make_product):
    from rapport.sales.models import Product

    product = make_product(sku="TEA-1")
    Product.objects.filter(pk=product.pk).update(version=product.version + 1)
    response = manager_client.post(
        reverse("sales:product_edit", args=[product.pk]),
        {"sku": "TEA-1", "name": "Tea", "price": "1", "unit_cost": "1", "version": product.version},
    )
    assert response.content.decode().count("while you were editing") == 1


def test_a_lunar_birthday_is_entered_as_a_lunar_date(agent_client):
    response = agent_client.post(
        reverse("customers:create"),
        {
            "family_name": "王",
            "given_name": "芳",
            "lunar_year": "1985",
            "lunar_month": "3",
            "lunar_day": "25",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    wang = Customer.objects.get(given_name="芳")
    assert wang.birthday == date(1985, 5, 14) and wang.celebrates_lunar_birthday
    form = agent_client.get(reverse("customers:edit", args=[wang.pk])).content.decode()
    assert 'name="lunar_month" value="3"' in form and 'name="lunar_day" value="25"' in form


def test_phones_as_people_write_them_and_landlines_as_landlines(agent_client, make_customer):
    c = make_customer(phones=["13800138000", "010 6552 9988", "+421 905 123 456"])
    kinds = {p.number: p.kind for p in c.phones.all()}
    assert kinds == {
        "+8613800138000": "mobile",
        "+861065529988": "landline",
        "+421905123456": "mobile",
    }
    html = agent_client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "138 0013 8000" in html and "+8613800138000" not in html
    assert "010 6552 9988" in html and "landline" in html
    assert "+421 905 123 456" in html
    form = agent_client.get(reverse("customers:edit", args=[c.pk])).content.decode()
    assert "138 0013 8000" in form


def test_history_is_in_words(agent_client, make_customer, manager):
    from rapport.customers.services import customer_update

    c = make_customer(gender="female", phones=["13800138000"])
    customer_update(
        customer_id=c.pk,
        by=manager,
        expected_version=c.version,
        gender="male",
        income_band="upper_middle",
        phones=["13800138000", "13900139000"],
    )
    html = agent_client.get(reverse("customers:history", args=[c.pk])).content.decode()
    assert "Gender" in html and "female" in html and "male" in html
    assert "upper middle" in html and "upper_middle" not in html
    assert "Phone numbers" in html and "139 0013 9000" in html
    assert ">phones<" not in html


def test_newest_first_follows_customer_since(agent_client, make_customer):
    old = make_customer(given_name="Old", customer_since=date(2020, 1, 1))
    new = make_customer(given_name="New", customer_since=date(2025, 1, 1))
    make_customer(given_name="Mid", customer_since=date(2023, 1, 1))
    mid = Customer.objects.get(given_name="Mid")
    html = agent_client.get(reverse("customers:list")).content.decode()
    assert html.index(new.number) < html.index(mid.number) < html.index(old.number)
    html = agent_client.get(reverse("customers:list"), {"sort": "added"}).content.decode()
    assert "Customer since, newest first" in html and "Last added first" in html


def test_a_city_without_a_street_is_kept_as_an_address(agent_client):
    """Issue 11, item 4: the form used to drop a city given without its street."""
    response = agent_client.post(
        reverse("customers:create"), {"family_name": "周", "given_name": "杰", "city": "深圳"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    address = Customer.objects.get(family_name="周").addresses.get()
    assert (address.line1, address.city) == ("", "深圳")
