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
    page.click("main button:has-text('Save')")
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


def test_import_with_one_bad_row_shows_the_error_and_writes_nothing(
    logged_in_page, live_server, tmp_path
):
    from rapport.customers.models import Customer

    page = logged_in_page
    csv = tmp_path / "customers.csv"
    csv.write_text(
        "family_name,given_name,phone,email\n"
        "Novák,Ján,+421 905 123 456,jan@novak.sk\n"
        "Kováčová,Eva,+421 905 654 321,not-an-email\n"
        "李,娜,13900139000,lina@example.cn\n",
        encoding="utf-8-sig",
    )
    page.click("nav >> text=Import")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", str(csv))
    page.click("button:has-text('Upload and import')")
    errors = page.locator("#error-table")
    errors.wait_for()
    rows = errors.locator("tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0] == "3" and cells[1] == "email" and "not-an-email" in cells[2]
    assert "Nothing was written" in page.content()
    assert not Customer.objects.exists()
