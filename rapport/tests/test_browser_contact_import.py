"""Bringing in an address book in a real browser: a vCard file, and a spreadsheet whose columns
are chosen from drop-downs next to a preview."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VCARD = """BEGIN:VCARD
VERSION:3.0
N:Nováková;Jana;;;
FN:Jana Nováková
TEL;TYPE=CELL:+421 905 123 456
EMAIL:jana@example.sk
BDAY:--07-21
END:VCARD
"""


def test_a_vcard_file_and_a_file_with_unknown_columns(logged_in_page, live_server, tmp_path):
    from rapport.customers.models import Customer

    page = logged_in_page
    vcf = tmp_path / "phone-contacts.vcf"
    vcf.write_text(VCARD, encoding="utf-8")
    page.goto(f"{live_server.url}/imports/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", str(vcf))
    page.click("button:has-text('Upload and import')")
    page.wait_for_selector("#count-created:has-text('1')")
    assert Customer.objects.get().family_name == "Nováková"

    sheet = tmp_path / "list.csv"
    sheet.write_text("Příjmení,Handy\nKováč,+421 905 654 321\n", encoding="utf-8")
    page.goto(f"{live_server.url}/imports/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("button:has-text('Upload and import')")
    page.wait_for_selector("#mapping-table")
    assert "+421 905 654 321" in page.inner_text("#mapping-table")  # the preview
    page.select_option("#column-0", label="Family name")
    page.select_option("#column-1", label="Phone")
    page.click("#mapping-form button[type=submit]")
    page.wait_for_selector("#count-created:has-text('1')")
    assert Customer.objects.filter(family_name="Kováč").exists()
