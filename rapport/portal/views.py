"""The customer portal: sign in with a code sent by email, the customer's own page, and the
private links that open one record (a complaint, a survey, an invitation) without signing in."""

import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.ratelimit import allow, client_address
from rapport.portal import services
from rapport.portal.forms import CodeForm, EmailForm
from rapport.portal.registry import link_handler, portal_sections
from rapport.portal.session import portal_customer, sign_in, sign_out

REQUESTS_PER_WINDOW = 5
WINDOW = 15 * 60


def home(request: HttpRequest) -> HttpResponse:
    """Signed in: the customer's own things. Otherwise: ask for a sign-in code."""
    customer = portal_customer(request)
    if customer is not None:
        sections = []
        for section in portal_sections():
            context = section.context(request, customer)
            if context is not None:
                html = render_to_string(
                    section.template, {"customer": customer, **context}, request=request
                )
                sections.append(mark_safe(html))  # noqa: S308  (our templates, autoescaped)
        return render(request, "portal/home.html", {"customer": customer, "sections": sections})
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["email"].lower()
        try:
            services.check_not_bot(form.data, started_at=form.started_at(), now=time.time())
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if allow(
                f"portal-code:ip:{client_address(request)}", limit=20, window=WINDOW
            ) and allow(f"portal-code:email:{address}", limit=REQUESTS_PER_WINDOW, window=WINDOW):
                services.code_request(email=address, language=request.LANGUAGE_CODE)
            # The same answer whether or not we know the address, or it was sent too often.
            request.session["portal_email"] = address
            return redirect("portal:verify")
    return render(request, "portal/sign_in.html", {"form": form})


def verify(request: HttpRequest) -> HttpResponse:
    form = CodeForm(
        request.POST or None, initial={"email": request.session.get("portal_email", "")}
    )
    if request.method == "POST" and form.is_valid():
        if not allow(f"portal-verify:ip:{client_address(request)}", limit=30, window=WINDOW):
            form.add_error(None, _("Too many attempts. Please wait a quarter of an hour."))
        elif (
            customer_id := services.code_verify(
                email=form.cleaned_data["email"], code=form.cleaned_data["code"]
            )
        ) is None:
            form.add_error("code", _("This code is not right or no longer valid."))
        else:
            sign_in(request, customer_id)
            target = request.GET.get("next", "")
            if url_has_allowed_host_and_scheme(target, {request.get_host()}):
                return redirect(target)
            return redirect("portal:home")
    return render(request, "portal/verify.html", {"form": form})


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    messages.success(request, _("You are signed out."))
    return redirect("portal:home")


def link(request: HttpRequest, token: str) -> HttpResponse:
    """A private link: what it opens is up to the app that made it (its registered handler)."""
    if not allow(f"portal-link:ip:{client_address(request)}", limit=120, window=60):
        return render(request, "portal/link_invalid.html", {"state": None}, status=429)
    try:
        found = services.link_resolve(token)
    except services.LinkInvalid as exc:
        return render(request, "portal/link_invalid.html", {"state": exc.state}, status=410)
    handler = link_handler(found.purpose)
    if handler is None:
        return render(request, "portal/link_invalid.html", {"state": None}, status=410)
    return handler(request, found, token)
