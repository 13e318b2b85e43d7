"""Triggered campaigns: N days after the first purchase, after N days without a purchase, once
each; and the throttle per channel."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from rapport.outreach import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def sending(settings, django_capture_on_commit_callbacks):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []

    def run_due(manager, today):
        with django_capture_on_commit_callbacks(execute=True):
            services.run_due(by=manager, today=today)
        return sorted(m.to[0] for m in mail.outbox)

    return run_due


def buy(customer, manager, product, days_ago, status="paid"):
    from rapport.sales.services import order_create

    return order_create(
        by=manager,
        customer_id=customer.pk,
        lines=[{"product_id": product.pk, "quantity": 1, "unit_price": "10"}],
        status=status,
        ordered_at=timezone.now() - timedelta(days=days_ago),
    )


def test_n_days_after_the_first_purchase_once(audience, campaign, manager, make_product, sending):
    a, b, c = audience(3)
    tea = make_product()
    buy(a, manager, tea, days_ago=7)  # first purchase a week ago: due today
    buy(b, manager, tea, days_ago=7, status="cancelled")  # a cancelled order is no purchase
    buy(b, manager, tea, days_ago=2)
    buy(c, manager, tea, days_ago=30)  # first purchase long ago…
    buy(c, manager, tea, days_ago=7)  # …so this is not the first
    camp = campaign(schedule="after_first_purchase", days=7)
    services.campaign_set_state(by=manager, campaign_id=camp.pk, state="active")
    today = timezone.localdate()
    assert sending(manager, today) == ["c0@example.com"]
    assert sending(manager, today) == ["c0@example.com"]  # run again the same day: nothing new
    # Five days later b's first purchase is a week old.
    assert sending(manager, today + timedelta(days=5)) == ["c0@example.com", "c1@example.com"]


def test_after_n_days_without_a_purchase_once_per_quiet_spell(
    audience, campaign, manager, make_product, sending
):
    a, b = audience(2)
    tea = make_product()
    buy(a, manager, tea, days_ago=90)
    buy(b, manager, tea, days_ago=90)
    buy(b, manager, tea, days_ago=10)  # b bought again since
    camp = campaign(schedule="no_purchase", days=90)
    services.campaign_set_state(by=manager, campaign_id=camp.pk, state="active")
    today = timezone.localdate()
    assert sending(manager, today) == ["c0@example.com"]
    assert sending(manager, today) == ["c0@example.com"]
    assert sending(manager, today + timedelta(days=1)) == ["c0@example.com"]  # quiet 91 days


def test_the_throttle_paces_each_channel(audience, campaign, manager, settings, sending):
    """RAPPORT_OUTREACH_THROTTLE="email=20": a pause of 1/20 s after each email."""
    audience(3)
    settings.RAPPORT_OUTREACH_THROTTLE = {"email": 20.0}
    camp = campaign()
    with mock.patch("rapport.communications.channels.time.sleep") as sleep:
        services.campaign_set_state(by=manager, campaign_id=camp.pk, state="active")
        assert len(sending(manager, timezone.localdate())) == 3
    assert [c.args for c in sleep.call_args_list] == [(0.05,)] * 3
    settings.RAPPORT_OUTREACH_THROTTLE = {"sms": 5.0}  # another channel's limit: no pause
    assert services._throttle_pause("email") == 0.0
    assert services._throttle_pause("sms") == 0.2
