"""Forms work by keyboard alone (issue 11, item 16): from the top of the new-customer page, Tab
reaches the fields, typing fills them and Enter saves."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page, name: str) -> None:
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.name") == name:
            # The field that has the focus shows it (an outline or a ring).
            assert page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; })()"
            ), name
            return
    pytest.fail(f"Tab never reached the field {name!r}")


def test_a_customer_is_created_with_the_keyboard_alone(logged_in_page, live_server):
    from rapport.customers.models import Customer

    page = logged_in_page
    page.goto(f"{live_server.url}/customers/new/")
    tab_to(page, "family_name")
    page.keyboard.type("Kováč")
    tab_to(page, "given_name")
    page.keyboard.type("Peter")
    tab_to(page, "city")
    page.keyboard.type("Žilina")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(family_name="Kováč")
    assert customer.given_name == "Peter" and customer.addresses.get().city == "Žilina"
