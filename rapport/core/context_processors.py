from typing import Any

from django.conf import settings
from django.http import HttpRequest

from rapport.core.registry import nav_items


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu entries the user may open (each app registers its own), the languages, the
    currency."""
    user = getattr(request, "user", None)
    nav = (
        [i for i in nav_items() if i.permission is None or user.has_perm(i.permission)]
        if user is not None and user.is_authenticated
        else []
    )
    return {
        "NAV_ITEMS": nav,
        "LANGUAGE_CHOICES": settings.LANGUAGES,
        "RAPPORT_CURRENCY": settings.RAPPORT_CURRENCY,
    }
