"""Order entry in a real browser: from the customer page, the product found by typing."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_order_from_the_customer_page(logged_in_page, live_server, make_customer, make_product):
    page = logged_in_page
    customer = make_customer(family_name="欧阳", given_name="娜")
    make_product(sku="TEA-LJ", name="Longjing green tea", price="35.00")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.click("#new-order")
    page.wait_for_selector("h1:has-text('欧阳娜')")
    assert page.input_value("input[name=customer]") == customer.number
    page.fill("input[name=lines-0-sku]", "green")
    page.wait_for_selector("#product-options option[value=TEA-LJ]", state="attached")
    page.fill("input[name=lines-0-sku]", "TEA-LJ")
    page.fill("input[name=lines-0-quantity]", "2")
    page.click("button:has-text('Save order')")
    page.wait_for_selector("text=saved")
    assert "70" in page.inner_text("main")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    assert "Order SO-" in page.inner_text("#timeline")
