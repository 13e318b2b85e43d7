"""Every main page on a phone (390 px) and a laptop (1366 px) in all four languages: nothing
wider than the screen (the header folds, tables scroll in their own box), and no serious or
critical accessibility problem found by axe-core. Screenshots go to test-artifacts/responsive/."""

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "assets" / "axe-4.14.1.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "responsive"
LANGUAGES = ["en", "zh-hans", "zh-hant", "sk"]
WIDTHS = {"phone": (390, 844), "laptop": (1366, 768)}


@pytest.fixture
def owner_page(browser, live_server, make_user):
    from rapport.demo.services import generate_demo

    generate_demo(customers=15, seed=5)
    make_user("administrator", username="owner", password="an owner passphrase")
    # bypass_csp: the accessibility checker (axe-core) is injected into each page as a script,
    # which Rapport's Content-Security-Policy rightly refuses.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "an owner passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/customers/")
    yield page
    context.close()


def main_pages() -> dict[str, str]:
    from rapport.customers.models import Customer
    from rapport.sales.models import Order

    customer = Customer.objects.order_by("pk").first()
    order = Order.objects.order_by("pk").first()
    return {
        "customers": "/customers/",
        "customer": f"/customers/{customer.pk}/",
        "customer-form": f"/customers/{customer.pk}/edit/",
        "history": f"/customers/{customer.pk}/history/",
        "orders": "/sales/orders/",
        "order": f"/sales/orders/{order.pk}/",
        "order-form": f"/sales/orders/new/?customer={customer.number}",
        "products": "/sales/products/",
        "communications": "/communications/",
        "analytics": "/analytics/",
        "imports": "/imports/",
        "staff": "/staff/",
    }


def test_every_page_fits_the_screen_in_every_language(owner_page, live_server):
    page = owner_page
    pages = main_pages()
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = []
    for language in LANGUAGES:
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for device, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            for name, url in pages.items():
                page.goto(live_server.url + url)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if overflow > 1:
                    too_wide.append((language, device, name, overflow))
                page.screenshot(path=str(SHOTS / f"{name}-{device}-{language}.png"))
    assert not too_wide, too_wide


def test_no_serious_accessibility_problems(owner_page, live_server):
    page = owner_page
    problems = []
    for name, url in main_pages().items():
        page.goto(live_server.url + url)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => [v.id, v.nodes.length, v.nodes.slice(0, 3).map(n => n.target.join(' '))])"
        )
        problems += [(name, *violation) for violation in result]
    assert not problems, "\n".join(map(str, problems))
