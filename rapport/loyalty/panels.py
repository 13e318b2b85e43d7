from typing import Any

from django.http import HttpRequest
from ninja import Schema


class LoyaltySection(Schema):
    tier: str | None
    balance: int
    referral_code: str | None
    referred_by: int | None
    referrals: int


def customer_panel(request: HttpRequest, customer: Any) -> dict[str, Any] | None:
    from rapport.loyalty.selectors import customer_card

    return customer_card(customer.pk)


def customer_section(request: HttpRequest, customer: Any) -> LoyaltySection:
    from rapport.loyalty.selectors import customer_card

    card = customer_card(customer.pk)
    return LoyaltySection(
        tier=card["tier"].name if card["tier"] else None,
        balance=card["balance"],
        referral_code=card["account"].referral_code if card["account"] else None,
        referred_by=card["referred_by"].pk if card["referred_by"] else None,
        referrals=card["referrals"],
    )
