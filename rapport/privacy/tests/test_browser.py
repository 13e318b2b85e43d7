"""A manager answers an access request and then an erasure request, in a real browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_shows_the_data_held_then_erases_it(logged_in_page, live_server, make_customer):
    customer = make_customer(family_name="Novák", given_name="Ján", notes="Allergic to peanuts",
                             preferred_language="sk")  # fmt: skip
    page = logged_in_page
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    with page.expect_navigation():
        page.click("#privacy-export")
    assert page.locator("html").get_attribute("lang") == "sk"
    assert "Allergic to peanuts" in page.inner_text("body")
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    page.click("#privacy-erase")
    page.fill("textarea[name=reason]", "Asked in the shop on 5 May")
    page.check("input[name=confirm]")
    page.click("#erase-form button[type=submit]")
    page.wait_for_selector("#customer-erased")
    assert "Novák" not in page.inner_text("main")
    assert customer.number in page.inner_text("h1")
