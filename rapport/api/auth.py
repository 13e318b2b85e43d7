"""API authentication: a token for integrations, or the browser session (with CSRF)."""

from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from rapport.staff.services import token_authenticate


class BearerToken(HttpBearer):
    """`Authorization: Bearer rpt_…`"""

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class TokenHeader(APIKeyHeader):
    """`Authorization: Token rpt_…` (the form other Django APIs use)."""

    param_name = "Authorization"

    def authenticate(self, request, key):
        if not key or not key.startswith("Token "):
            return None
        user = token_authenticate(key.removeprefix("Token ").strip())
        if user is not None:
            request.user = user
        return user


AUTH = [BearerToken(), TokenHeader(), SessionAuth()]
