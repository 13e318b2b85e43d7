"""django-anymail's webhooks (each provider's tracking URL) under
/public/anymail/, answered only when ANYMAIL_WEBHOOK_SECRET is set (basic auth "user:password",
given to the provider with the URL): without it they would be open to anyone, so they are off.
The tracking events reach `services.anymail_tracking` through anymail's signal."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from anymail.urls import urlpatterns as anymail_patterns
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, re_path
from django.urls.resolvers import RegexPattern

app_name = "anymail"


def _guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"):
            return JsonResponse({"detail": "forbidden"}, status=403)
        return view(request, *args, **kwargs)

    return guarded


def _copy(pattern: URLPattern) -> URLPattern:
    make = re_path if isinstance(pattern.pattern, RegexPattern) else path
    return make(str(pattern.pattern), _guarded(pattern.callback), name=pattern.name)


# The tracking webhooks only (and Mandrill's, which carries both): inbound mail is not read here.
urlpatterns = [
    _copy(p)
    for p in anymail_patterns
    if isinstance(p, URLPattern) and ("tracking" in str(p.pattern) or p.name == "mandrill_webhook")
]
