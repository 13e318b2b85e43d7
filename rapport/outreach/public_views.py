"""Pages without sign-in: a one-click unsubscribe (also for mail clients' List-Unsubscribe-Post)
and a mail provider's bounce webhook."""

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from rapport.core.exceptions import ValidationError
from rapport.core.ratelimit import allow
from rapport.outreach import services


@csrf_exempt  # the signed token is the key; mail clients POST without a form (RFC 8058)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    from django.utils import translation

    if not allow(f"unsubscribe:{request.META.get('REMOTE_ADDR', '')}", limit=60, window=60):
        return render(request, "outreach/unsubscribe.html", {"state": "busy"}, status=429)
    try:
        delivery = services.unsubscribe_resolve(token)
    except services.LinkInvalid as exc:
        return render(request, "outreach/unsubscribe.html", {"state": exc.state}, status=410)
    language = delivery.customer.preferred_language or translation.get_language()
    with translation.override(language):
        if request.method == "POST":
            try:
                services.unsubscribe_use(token)
            except services.LinkInvalid as exc:
                return render(
                    request, "outreach/unsubscribe.html", {"state": exc.state}, status=410
                )
            return render(
                request, "outreach/unsubscribe.html", {"state": "done", "delivery": delivery}
            )
        return render(request, "outreach/unsubscribe.html", {"state": "ask", "delivery": delivery})


@csrf_exempt
def webhook(request: HttpRequest) -> HttpResponse:
    """POST {"provider_id": "...", "event": "bounce" | "complaint", "reason": "..."} with the
    header X-Rapport-Secret: RAPPORT_OUTREACH_WEBHOOK_SECRET. Without a configured secret the
    webhook is off."""
    secret = settings.RAPPORT_OUTREACH_WEBHOOK_SECRET
    given = request.headers.get("X-Rapport-Secret", "")
    if request.method != "POST" or not secret or not hmac.compare_digest(secret, given):
        return JsonResponse({"detail": "forbidden"}, status=403)
    try:
        data = json.loads(request.body)
        found = services.feedback(
            provider_id=str(data.get("provider_id", "")),
            kind=str(data.get("event", "")),
            reason=str(data.get("reason", ""))[:300],
        )
    except (ValueError, AttributeError, ValidationError):
        return JsonResponse({"detail": "bad request"}, status=400)
    return JsonResponse({"recorded": found})


@csrf_exempt  # the signed token is the key
def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    from django.utils import translation

    if not allow(f"rsvp:{request.META.get('REMOTE_ADDR', '')}", limit=60, window=60):
        return render(request, "outreach/rsvp.html", {"state": "busy"}, status=429)
    try:
        invitation = services.rsvp_resolve(token)
    except services.LinkInvalid as exc:
        return render(request, "outreach/rsvp.html", {"state": exc.state}, status=410)
    with translation.override(invitation.customer.preferred_language or translation.get_language()):
        if request.method == "POST":
            try:
                invitation = services.rsvp_answer(token, request.POST.get("answer", ""))
            except services.LinkInvalid as exc:
                return render(
                    request,
                    "outreach/rsvp.html",
                    {"state": exc.state, "invitation": invitation},
                    status=410,
                )
            except ValidationError:
                return render(
                    request,
                    "outreach/rsvp.html",
                    {"state": "ask", "invitation": invitation},
                    status=400,
                )
            return render(
                request, "outreach/rsvp.html", {"state": "done", "invitation": invitation}
            )
        state = "ask" if invitation.rsvp == "pending" else "used"
        return render(request, "outreach/rsvp.html", {"state": state, "invitation": invitation})


def newsletter_archive(request: HttpRequest, language: str) -> HttpResponse:
    """The sent newsletters in one language, for anyone (no personal data: merge fields empty)."""
    from django.http import Http404
    from django.utils import translation

    from rapport.outreach.models import CampaignMessage

    if language not in services.LANGUAGES:
        raise Http404
    with translation.override(language):
        issues = (
            CampaignMessage.objects.filter(
                language=language,
                campaign__kind="newsletter",
                campaign__runs__finished_at__isnull=False,
            )
            .select_related("campaign")
            .distinct()
            .order_by("-campaign_id")[:100]
        )
        return render(
            request,
            "outreach/newsletter_archive.html",
            {
                "issues": [
                    (m, services.render(m.subject, {}), services.render(m.body, {})) for m in issues
                ],
                "language": language,
                "languages": services.LANGUAGES,
            },
        )
