"""The satisfaction loop in a real browser: a delivered order sends a survey, the customer answers
it in Traditional Chinese on a phone, the gap shows on the customer page and the dashboard, and
the dissatisfied answer has opened a follow-up."""

import re

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_delivered_order_to_survey_answered_on_a_phone_to_follow_up(
    browser, logged_in_page, live_server, smtp_server, make_customer, make_product, manager
):
    from rapport.customers.services import consent_set
    from rapport.sales.models import Order
    from rapport.sales.services import order_create
    from rapport.surveys import services
    from rapport.surveys.models import FollowUp

    survey = services.survey_create(
        by=manager,
        name="After delivery",
        title={"en": "How was your order?", "zh-hant": "您對這次訂單滿意嗎？"},
        trigger="order_delivered",
        questions=[
            {
                "kind": "paired",
                "attribute": "quality",
                "text": {"en": "Quality", "zh-hant": "產品品質"},
            },
            {
                "kind": "paired",
                "attribute": "delivery",
                "text": {"en": "Delivery", "zh-hant": "送貨服務"},
            },
            {
                "kind": "scale_5",
                "measure": "csat",
                "text": {"en": "Overall", "zh-hant": "整體滿意度"},
            },
        ],
    )
    customer = make_customer(
        family_name="陳",
        given_name="美玲",
        emails=["meiling@example.tw"],
        preferred_language="zh-hant",
    )
    consent_set(customer=customer, channel="email", granted=True, method="web_form", by=manager)
    order = order_create(
        by=manager,
        customer_id=customer.pk,
        ordered_at=timezone.now(),
        currency="TWD",
        status="paid",
        lines=[{"product_id": make_product().pk, "quantity": 1}],
    )
    Order.objects.filter(pk=order.pk).update(status="delivered", updated_at=timezone.now())
    assert services.invite_delivered_orders(by=None) == 1
    [mail] = smtp_server.to("meiling@example.tw")
    link = re.search(r"https?://\S+/portal/l/\S+/", mail.get_content()).group(0)
    path = link[link.index("/portal/") :]

    # The customer answers on a phone-sized screen, in Traditional Chinese.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-TW")
    mobile = phone.new_page()
    mobile.set_default_timeout(15_000)
    mobile.goto(live_server.url + path)
    assert "您對這次訂單滿意嗎？" in mobile.locator("h1").inner_text()
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    questions = {q.attribute or q.measure: q.pk for q in survey.questions.all()}

    def choose(name, value):
        mobile.locator(f"label:has(input[name='{name}'][value='{value}'])").click()

    choose(f"q{questions['quality']}_exp", 5)
    choose(f"q{questions['quality']}_per", 6)
    choose(f"q{questions['delivery']}_exp", 6)
    choose(f"q{questions['delivery']}_per", 2)
    choose(f"q{questions['csat']}", 3)
    submit = mobile.locator("#survey-form button[type=submit]")
    assert submit.inner_text() == "提交我的回答"  # the page itself in Traditional Chinese
    assert mobile.evaluate("document.documentElement.lang") == "zh-hant"
    box = submit.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # reachable without scrolling sideways
    submit.click()
    mobile.wait_for_selector("#survey-follow-up")
    assert mobile.locator("#survey-thanks").inner_text() == "感謝您的回答"
    mobile.screenshot(path="test-artifacts/survey_answered_zh_hant_phone.png", full_page=True)
    phone.close()

    # The agent sees the gap, the label and the follow-up on the customer page and dashboard.
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    panel = page.locator("#satisfaction-panel")
    panel.wait_for()
    text = panel.inner_text()
    assert "dissatisfied" in text and "delighted" in text and "-4.0" in text
    assert "Follow up by" in text
    assert FollowUp.objects.get().reason == "delivery"
    page.goto(f"{live_server.url}/surveys/")
    assert "dissatisfied" in page.locator("#gaps-attribute").inner_text()
