"""The import review page with the keyboard only (real browser): from the import's result page to
the decisions, each row a group of radio buttons, then the import runs with them."""

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "family_name,given_name,birthday,occupation\n"
    "王,曉明,1985-06-01,teacher\n"
    "Novak,Jan,1970-02-03,driver\n"
)


def _tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement && document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_decide_with_the_keyboard(logged_in_page, live_server, make_customer, tmp_path):
    from rapport.customers.models import Customer
    from rapport.imports import services
    from rapport.imports.models import ImportJob

    wang = make_customer(family_name="王", given_name="小明", birthday=dt.date(1985, 6, 1))
    novak = make_customer(family_name="Novák", given_name="Ján", birthday=dt.date(1970, 2, 3))
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    job = services.import_job_create(kind="customers", path=path, by=None)
    job = services.import_job_run(job_id=job.pk)
    assert job.status == "invalid"

    page = logged_in_page
    page.goto(f"{live_server.url}/imports/{job.pk}/")
    _tab_to(page, "#review-1")  # the link to the review page
    page.keyboard.press("Enter")
    page.wait_for_selector("#import-review")

    _tab_to(page, "input[name=row-2]")  # the first choice of row 2: the same person as 王小明
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # row 3's group
    assert page.evaluate("document.activeElement.name") == "row-3"
    page.keyboard.press("ArrowDown")  # the same person → a new customer
    page.keyboard.press("ArrowDown")  # → leave the row out
    assert page.evaluate("document.activeElement.value") == "skip"
    _tab_to(page, "#review-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=The import runs again with your decisions")

    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert again.options["decisions"] == {"2": wang.number, "3": "skip"}
    wang.refresh_from_db()
    novak.refresh_from_db()
    assert wang.occupation == "teacher" and novak.occupation == ""
    assert Customer.objects.count() == 2
