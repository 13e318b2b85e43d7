"""Rows of the loyalty app for the privacy erasure test (`rapport/tests/test_privacy_erasure.py`)."""

from rapport.customers.services import customer_create
from rapport.loyalty.models import LoyaltyEvent, TierChange
from rapport.loyalty.services import account_ensure, points_adjust, referral_record


def make_rows(customer, other, staff, product) -> list[str]:
    """A membership, points, a tier change, an event, and referrals both ways: the person was
    brought by `other` and brought a third customer."""
    account_ensure(customer.pk)
    points_adjust(customer_id=customer.pk, points=30, reason="points-reason-zq", by=staff)
    TierChange.objects.create(customer=customer, from_tier="", to_tier="Gold")
    LoyaltyEvent.objects.create(
        type="points_adjusted", customer_id=customer.pk, parameters={"reason": "loyalty-event-zq"}
    )
    referral_record(referred_id=customer.pk, code=account_ensure(other.pk).referral_code, by=staff)
    third = customer_create(by=staff, family_name="Third", given_name="Referred")
    code = account_ensure(customer.pk).referral_code
    referral_record(referred_id=third.pk, code=code, by=staff)
    return ["points-reason-zq", "loyalty-event-zq"]
