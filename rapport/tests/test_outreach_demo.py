"""The demo data has moments this week, a birthday campaign with a coupon, members in every
tier and referral chains (keeping in touch and loyalty together)."""

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_has_keeping_in_touch_and_loyalty(smtp_server):
    from rapport.customers.models import Customer
    from rapport.demo.services import generate_demo
    from rapport.loyalty.models import LoyaltyAccount, Referral, Tier
    from rapport.outreach.models import Campaign
    from rapport.outreach.moments import moments_between, window

    counts = generate_demo(customers=60, seed=3)
    assert counts["members"] > 0 and counts["referral chains"] >= 1
    for tier in Tier.objects.all():
        assert LoyaltyAccount.objects.filter(tier=tier).exists(), tier.name
    assert Referral.objects.filter(referrer__in=Referral.objects.values("referred")).exists()
    birthday = Campaign.objects.get(name="Birthday greetings")
    assert birthday.coupon and birthday.state == "active"
    found = moments_between(Customer.objects.all(), *window("week", timezone.localdate()))
    assert any(m.kind == "event" for m in found)
