"""Rows of the outreach app for the privacy erasure test (`rapport/tests/test_privacy_erasure.py`).
Made directly (sending a campaign is tested in the app's own tests): a delivery, the unsubscribe
it led to, the churn-risk band a campaign watched, an event invitation, a coupon redemption and an event."""

from datetime import timedelta

from django.utils import timezone

from rapport.outreach.models import (
    Campaign,
    CampaignDelivery,
    CampaignRun,
    ChurnWatch,
    CompanyEvent,
    Coupon,
    CouponRedemption,
    Invitation,
    OutreachEvent,
    Unsubscribe,
)


def make_rows(customer, other, staff, product) -> list[str]:
    now = timezone.now()
    campaign = Campaign.objects.create(name="zq-campaign")
    run = CampaignRun.objects.create(campaign=campaign, occurrence="once", started_at=now)
    delivery = CampaignDelivery.objects.create(
        campaign=campaign, run=run, occurrence="once", customer=customer, channel="email"
    )
    Unsubscribe.objects.create(delivery=delivery, customer=customer, channel="email", at=now)
    ChurnWatch.objects.create(campaign=campaign, customer=customer, band="high", seen_at=now)
    event = CompanyEvent.objects.create(
        name="Open day", kind="open_day", starts_at=now + timedelta(days=7)
    )
    Invitation.objects.create(event=event, customer=customer, rsvp="yes")
    coupon = Coupon.objects.create(code="ZQ10", name="Ten off")
    CouponRedemption.objects.create(coupon=coupon, customer=customer, campaign=campaign, at=now)
    OutreachEvent.objects.create(
        type="unsubscribed", customer_id=customer.pk, campaign=campaign,
        parameters={"reason": "outreach-event-zq"},
    )  # fmt: skip
    return ["outreach-event-zq"]
