from typing import Any

from django.http import HttpRequest

from rapport.portal.session import SESSION_KEY


def portal(request: HttpRequest) -> dict[str, Any]:
    session = getattr(request, "session", None)
    return {"portal_signed_in": bool(session and session.get(SESSION_KEY))}
