"""The signed-in customer of a portal session (kept apart from staff logins)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

SESSION_KEY = "portal_customer_id"


def sign_in(request: HttpRequest, customer_id: int) -> None:
    request.session.cycle_key()  # a new session id: a planted one cannot be taken over
    request.session[SESSION_KEY] = customer_id


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def portal_customer(request: HttpRequest) -> Any:
    """The signed-in customer, or None."""
    from rapport.customers.models import Customer

    customer_id = request.session.get(SESSION_KEY)
    if not customer_id:
        return None
    return Customer.objects.filter(pk=customer_id).first()


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For portal pages: the signed-in customer as `request.portal_customer`, or the sign-in
    page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        customer = portal_customer(request)
        if customer is None:
            return redirect(f"/portal/?next={request.path}")
        request.portal_customer = customer  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped
