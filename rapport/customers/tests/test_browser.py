"""The agent's daily flow in a real browser (Debian chromium driven by Playwright)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_find_by_phone_and_remember_a_detail(logged_in_page, live_server):
    page = logged_in_page
    # Create a customer, phone typed in national format.
    page.click("text=New customer")
    page.fill("input[name=family_name]", "王")
    page.fill("input[name=given_name]", "小明")
    page.fill("textarea[name=phones]", "138 0013 8000")
    page.fill("textarea[name=emails]", "xiaoming@example.cn")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('王小明')")

    # Find them by typing the phone number in another format into the search box.
    page.goto(f"{live_server.url}/customers/")
    page.fill("#customer-search", "+86 138-0013-8000")
    page.wait_for_selector("#customer-table td a:has-text('王小明')")
    page.click("#customer-table td a:has-text('王小明')")

    # Log an interaction with a remembered detail; it stands at the top of their page.
    page.click("summary:has-text('Log an interaction')")
    page.select_option("select[name=kind]", "call")
    page.select_option("select[name=direction]", "inbound")
    page.fill("textarea[name=summary]", "Asked when the new harvest of Longjing arrives.")
    page.fill("input[name=detail]", "Daughter starts university in September")
    page.select_option("select[name=detail_kind]", "family_event")
    page.click("button:has-text('Save interaction')")
    top = page.locator("#remembered-details")
    top.wait_for()
    assert "Daughter starts university in September" in top.inner_text()
    box = top.bounding_box()
    timeline = page.locator("#timeline").bounding_box()
    assert box["y"] < timeline["y"]
    assert "Asked when the new harvest" in page.locator("#timeline").inner_text()
