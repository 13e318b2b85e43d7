"""API authentication: a token for integrations, or the browser session (with CSRF)."""

from django.conf import settings
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from rapport.core.ratelimit import RateLimited, allow, retry_after
from rapport.staff.models import hash_key
from rapport.staff.services import token_authenticate

WINDOW = 60


def throttle(key: str) -> None:
    """Count one request of a token (or a browser session's user); raise RateLimited (429 with
    Retry-After) past RAPPORT_API_REQUESTS_PER_MINUTE in the current minute."""
    limit = settings.RAPPORT_API_REQUESTS_PER_MINUTE
    if limit and not allow(f"api:{key}", limit=limit, window=WINDOW):
        raise RateLimited(retry_after(WINDOW))


def _token_user(request, key: str):
    user = token_authenticate(key)
    if user is not None:
        throttle(f"token:{hash_key(key)[:24]}")
        request.user = user
    return user


class BearerToken(HttpBearer):
    """`Authorization: Bearer rpt_…`"""

    def authenticate(self, request, token):
        return _token_user(request, token)


class TokenHeader(APIKeyHeader):
    """`Authorization: Token rpt_…` (the form other Django APIs use)."""

    param_name = "Authorization"

    def authenticate(self, request, key):
        if not key or not key.startswith("Token "):
            return None
        return _token_user(request, key.removeprefix("Token ").strip())


class BrowserSession(SessionAuth):
    """The browser's session, with Django's CSRF check on writes. A request that names a token
    (an `Authorization` header) is a token request: when the token is wrong or revoked the answer
    is 401, never the session's "CSRF check failed"."""

    def __call__(self, request):
        if request.META.get("HTTP_AUTHORIZATION"):
            return None
        user = super().__call__(request)
        if user is not None:
            throttle(f"user:{user.pk}")
        return user


AUTH = [BearerToken(), TokenHeader(), BrowserSession()]
