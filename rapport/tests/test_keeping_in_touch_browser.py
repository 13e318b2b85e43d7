"""Marketing's flow in a real browser: a lunar-birthday campaign with a coupon, previewed in
Simplified Chinese and Slovak, run, delivered; the coupon redeemed; points and tier shown."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from lunardate import LunarDate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def lunar_born(days_ahead: int):
    """A 1985 birth date whose lunar birthday falls `days_ahead` days from today."""
    day = timezone.localdate() + timedelta(days=days_ahead)
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    if lunar.is_leap_month or lunar.day == 30:
        return None
    return LunarDate(1985, lunar.month, lunar.day).to_solar_date()


def test_lunar_birthday_campaign_with_coupon(
    logged_in_page, live_server, make_customer, make_product, smtp_server
):
    from django.contrib.auth import get_user_model

    from rapport.customers.services import consent_set
    from rapport.loyalty.services import tier_create
    from rapport.sales.services import order_create

    manager = get_user_model().objects.get(username="browser-manager")
    days = next(d for d in range(3, 10) if lunar_born(d))
    li = make_customer(
        family_name="李",
        given_name="娜",
        emails=[{"address": "lina@example.cn"}],
        preferred_language="zh-hans",
        birthday=lunar_born(days),
        celebrates_lunar_birthday=True,
    )
    jan = make_customer(
        family_name="Novák",
        given_name="Ján",
        emails=[{"address": "jan@example.sk"}],
        preferred_language="sk",
        birthday=lunar_born(days),
        celebrates_lunar_birthday=True,
    )
    for c in (li, jan):
        consent_set(customer=c, channel="email", granted=True, method="web_form", by=manager)
    tier_create(by=manager, name="Member", rank=1)
    tier_create(by=manager, name="Gold", rank=2, min_spend=500)
    page = logged_in_page

    page.goto(f"{live_server.url}/outreach/coupons/")
    form = page.locator("#coupon-form")
    form.locator("input[name=code]").fill("LUNAR8")
    form.locator("input[name=name]").fill("Lunar birthday")
    form.locator("input[name=percent]").fill("8")
    form.locator("button").click()
    page.wait_for_selector("#coupon-table code:has-text('LUNAR8')")

    page.goto(f"{live_server.url}/outreach/campaigns/new/")
    page.fill("input[name=name]", "Lunar birthday greetings")
    page.select_option("select[name=schedule]", "before_birthday")
    page.fill("input[name=days]", str(days))
    page.select_option("select[name=coupon]", label="LUNAR8")
    page.fill("input[name=subject_zh_hans]", "{{ name }}，生日快乐")
    page.fill(
        "textarea[name=body_zh_hans]",
        "农历生日快乐！优惠码 {{ coupon_code }}，立减 {{ coupon_value }}。",
    )
    page.fill("input[name=subject_sk]", "Všetko najlepšie, {{ name }}")
    page.fill("textarea[name=body_sk]", "Kód {{ coupon_code }} vám dáva zľavu {{ coupon_value }}.")
    page.click("main button:has-text('Save')")
    page.wait_for_selector("h1:has-text('Lunar birthday greetings')")

    page.click("#preview-languages a:has-text('zh-hans')")
    preview = page.locator("article.preview").first
    assert "李娜，生日快乐" in preview.inner_text() and "LUNAR8" in preview.inner_text()
    page.click("#preview-languages a:has-text('sk')")
    assert "Všetko najlepšie, Ján Novák" in page.locator("article.preview").first.inner_text()

    page.click("button:has-text('Activate')")
    page.wait_for_selector("#campaign-state:has-text('active')")
    call_command("campaigns", "run-due")  # what cron (or the hourly schedule) does
    page.reload()
    page.wait_for_selector("#campaign-progress:has-text('2 of 2')")
    assert "优惠码 LUNAR8" in smtp_server.to("lina@example.cn")[0].get_content()
    assert "LUNAR8" in smtp_server.to("jan@example.sk")[0].get_content()

    order = order_create(
        by=manager,
        customer_id=li.pk,
        lines=[{"product_id": make_product().pk, "quantity": 6, "unit_price": "100"}],
    )
    page.goto(f"{live_server.url}/outreach/coupons/")
    redeem = page.locator("#redeem-form")
    redeem.locator("input[name=code]").fill("lunar8")
    redeem.locator("input[name=order_number]").fill(order.number)
    redeem.locator("button").click()
    page.wait_for_selector("#coupon-table td:has-text('1')")

    call_command("loyalty", "sync")
    page.goto(f"{live_server.url}{li.get_absolute_url()}")
    assert page.locator("#loyalty-tier").inner_text() == "Gold"
    assert "600" in page.locator("#loyalty-balance").inner_text()
    page.goto(f"{live_server.url}/outreach/campaigns/")
    assert "50%" in page.locator("#campaign-table").inner_text()  # 1 of 2 redeemed
