"""Reading the analytics in a real browser: the overview, another page by its tab, a filter that
does not apply shown disabled with its reason, and a segment chosen."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_analytics_pages_and_filters(logged_in_page, live_server):
    from django.utils import timezone

    from rapport.analytics import services
    from rapport.demo.services import generate_demo

    generate_demo(customers=40, seed=3)
    services.analytics_refresh(as_of=timezone.localdate())
    page = logged_in_page
    page.goto(f"{live_server.url}/analytics/")
    assert page.locator("#filter-period input").first.is_disabled()
    assert page.locator("#filter-scope").is_visible()
    page.click(".analytics-nav >> text=Promotions")
    page.wait_for_url("**/analytics/promotions/")
    assert page.locator("#filter-segment select").is_disabled()
    assert not page.locator("#filter-period input").first.is_disabled()
    page.click(".analytics-nav >> text=Segments")
    page.select_option("select[name=segment]", index=1)
    page.click("#analytics-filters button[type=submit]")
    page.wait_for_url("**segment=*")
    assert page.locator("table").count() >= 1
