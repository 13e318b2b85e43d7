"""A manager finds a duplicate from the customer page and merges the two records (real browser)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_a_duplicate_compare_and_merge(logged_in_page, live_server, make_customer):
    from rapport.customers.models import Customer, CustomerMerge

    kept = make_customer(
        family_name="Novák", given_name="Ján", emails=["jan@novak.sk"], occupation="teacher"
    )
    twin = make_customer(
        family_name="Novák",
        given_name="Ján",
        phones=["+421 905 123 456"],
        emails=["jan@novak.sk"],
        occupation="headmaster",
        hobbies="chess",
    )
    page = logged_in_page
    page.goto(f"{live_server.url}{kept.get_absolute_url()}")
    page.click("text=Possible duplicates")
    row = page.locator("#candidates tbody tr", has_text=twin.number)
    assert "same email" in row.inner_text()
    row.locator("text=Compare and merge").click()

    form = page.locator("#merge-form")
    form.wait_for()
    # Where the two differ, the manager chooses; here the other record's occupation wins.
    form.locator("input[name=field_occupation][value=theirs]").check()
    form.locator("button:has-text('Merge into one record')").click()
    page.wait_for_selector("text=was merged into")

    assert page.url.endswith(kept.get_absolute_url())
    assert not Customer.objects.filter(pk=twin.pk).exists()
    kept.refresh_from_db()
    assert kept.occupation == "headmaster" and kept.hobbies == "chess"
    assert kept.primary_phone == "+421905123456"
    # The merged record's old address leads to the kept one.
    assert CustomerMerge.objects.get(merged_id=twin.pk).into_id == kept.pk
    page.goto(f"{live_server.url}/customers/{twin.pk}/")
    page.wait_for_selector(f"text={kept.number}")
    assert page.url.endswith(kept.get_absolute_url())
