"""The page a referral link opens (no sign-in): the code to give when first buying or signing up,
so that staff link the new customer to the member who referred them."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rapport.core.ratelimit import allow


def referral(request: HttpRequest, code: str) -> HttpResponse:
    from rapport.loyalty.models import LoyaltyAccount

    if not allow(f"referral:{request.META.get('REMOTE_ADDR', '')}", limit=60, window=60):
        return render(request, "loyalty/referral_public.html", {"state": "busy"}, status=429)
    clean = code.strip().upper()[:20]
    if not LoyaltyAccount.objects.filter(referral_code=clean).exists():
        return render(request, "loyalty/referral_public.html", {"state": "unknown"}, status=404)
    return render(request, "loyalty/referral_public.html", {"state": "ok", "code": clean})
