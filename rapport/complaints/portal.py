"""The customer's side, on the portal: file a complaint (signed in with an email code), follow
one's own complaints and add messages, and the two private links a complaint's mails carry — one to
follow it without signing in, one for the three-question satisfaction check (one-time).

A customer only ever reaches their own complaints: every read filters by the signed-in customer or
by the link's own customer and record; anything else is a 404, never a hint that it exists.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.complaints import services
from rapport.complaints.choices import Action, Category, EventType, State
from rapport.complaints.models import Complaint, ComplaintEvent, Satisfaction
from rapport.core.actors import PORTAL
from rapport.core.events import emit
from rapport.core.ratelimit import allow, client_address
from rapport.portal.forms import PublicForm
from rapport.portal.session import customer_required

FOLLOW = services.FOLLOW_PURPOSE
SATISFACTION = services.SATISFACTION_PURPOSE
PUBLIC_EVENT_TYPES = (EventType.RECORDED, EventType.TRANSITION, EventType.MESSAGE)


class FileForm(PublicForm):
    category = forms.ChoiceField(label=gettext_lazy("What is it about?"), choices=Category.choices)
    request = forms.CharField(
        label=gettext_lazy("What would you like us to do?"), max_length=500, required=False
    )
    description = forms.CharField(
        label=gettext_lazy("Please describe what happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
    )


class MessageForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class SatisfactionForm(forms.Form):
    solved = forms.TypedChoiceField(
        label=gettext_lazy("Was your problem solved?"),
        choices=[("1", gettext_lazy("Yes")), ("0", gettext_lazy("No"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    score = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with how we handled it? (1–5)"),
        choices=[(str(i), str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    buy_again = forms.TypedChoiceField(
        label=gettext_lazy("Would you buy from us again?"),
        choices=[("1", gettext_lazy("Yes")), ("0", gettext_lazy("No"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )


def _public_events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(
        ComplaintEvent.objects.filter(complaint=complaint, type__in=PUBLIC_EVENT_TYPES).order_by(
            "time", "pk"
        )
    )


def _add_message(complaint: Complaint, text: str) -> None:
    """The customer's message lands on the complaint; if it was waiting for them, it resumes."""
    emit(
        ComplaintEvent,
        by=PORTAL,
        type=EventType.MESSAGE,
        complaint=complaint,
        customer_id=complaint.customer_id,
        parameters={"text": text[:2000]},
    )
    if complaint.waiting_since is not None:
        services.complaint_act(
            by=services.CustomerActor(complaint.customer_id),
            complaint_id=complaint.pk,
            action=Action.RESUME,
        )


def _follow_page(request: HttpRequest, complaint: Complaint, post_url: str) -> HttpResponse:
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not allow(f"complaint-msg:ip:{client_address(request)}", limit=20, window=900):
            form.add_error(None, _("Too many messages. Please wait a quarter of an hour."))
        elif form.is_valid():
            from rapport.complaints.attachments import attachment_add

            try:
                with transaction.atomic():
                    if form.cleaned_data.get("photo"):
                        attachment_add(
                            by=PORTAL,
                            complaint=complaint,
                            upload=form.cleaned_data["photo"],
                            from_customer=True,
                        )
                    _add_message(complaint, form.cleaned_data["text"])
            except ValidationError as exc:
                form.add_error("photo", exc.messages)
            else:
                return redirect(post_url)
    return render(
        request,
        "complaints/portal_complaint.html",
        {
            "complaint": complaint,
            "events": _public_events(complaint),
            "form": form,
            "post_url": post_url,
        },
    )


# Signed-in customer ----------------------------------------------------------------------------


@customer_required
def portal_file(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    form = FileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from rapport.portal.services import check_not_bot

        try:
            check_not_bot(form.data, started_at=form.started_at(), now=time.time())
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if not allow(f"complaint-file:customer:{customer.pk}", limit=5, window=3600):
                form.add_error(None, _("Too many complaints at once. Please try again later."))
            else:
                complaint = services.complaint_record(
                    by=PORTAL,
                    customer_id=customer.pk,
                    channel="portal",
                    category=form.cleaned_data["category"],
                    request=form.cleaned_data["request"],
                    description=form.cleaned_data["description"],
                )
                return redirect("complaints_portal:detail", complaint.reference)
    return render(request, "complaints/portal_file.html", {"form": form})


@customer_required
def portal_detail(request: HttpRequest, reference: str) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    complaint = Complaint.objects.filter(reference=reference, customer_id=customer.pk).first()
    if complaint is None:
        raise Http404
    return _follow_page(request, complaint, request.path)


def portal_section(request: HttpRequest, customer: Any) -> dict[str, Any] | None:
    return {
        "complaints": list(
            Complaint.objects.filter(customer_id=customer.pk).order_by("-received_at")[:20]
        )
    }


# Private links ---------------------------------------------------------------------------------


def _link_complaint(link: Any) -> Complaint:
    complaint = Complaint.objects.filter(pk=link.target_id, customer_id=link.customer_id).first()
    if link.target_type != "complaints.complaint" or complaint is None:
        raise Http404
    return complaint


def follow_link(request: HttpRequest, link: Any, token: str) -> HttpResponse:
    """A complaint's follow link (no sign-in): see it, add messages."""
    return _follow_page(request, _link_complaint(link), request.path)


def satisfaction_link(request: HttpRequest, link: Any, token: str) -> HttpResponse:
    """The three questions, answered once; "not solved" reopens the complaint."""
    from rapport.portal.services import LinkInvalid, link_use

    complaint = _link_complaint(link)
    form = SatisfactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link_use(token, purpose=SATISFACTION)
        except LinkInvalid:
            return render(request, "portal/link_invalid.html", {"state": None}, status=410)
        data = form.cleaned_data
        Satisfaction.objects.update_or_create(
            complaint=complaint,
            defaults={
                "solved": data["solved"],
                "score": data["score"],
                "buy_again": data["buy_again"],
                "answered_at": timezone.now(),
            },
        )
        emit(
            ComplaintEvent,
            by=PORTAL,
            type=EventType.SATISFACTION,
            complaint=complaint,
            customer_id=complaint.customer_id,
            parameters={
                "solved": _("yes") if data["solved"] else _("no"),
                "score": data["score"],
            },
        )
        if not data["solved"] and complaint.state in (State.CARRIED_OUT, State.CLOSED):
            services.complaint_act(
                by=services.CustomerActor(complaint.customer_id),
                complaint_id=complaint.pk,
                action=Action.REOPEN,
                reason=_("The customer says the problem is not solved."),
            )
        return render(request, "complaints/portal_thanks.html", {"complaint": complaint})
    return render(
        request, "complaints/portal_satisfaction.html", {"complaint": complaint, "form": form}
    )


# Filing without signing in ---------------------------------------------------------------------

FILING_SALT = "complaints.public-filing"
FILING_MAX_AGE = 86_400  # the confirmation link works for a day, once


class PublicFileForm(FileForm):
    """The public complaint form: who you are, then what went wrong (FileForm's honeypot and
    time check are inherited from PublicForm)."""

    name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("Your email address"), max_length=254)

    field_order = ["name", "email", "category", "request", "description"]


def public_file(request: HttpRequest) -> HttpResponse:
    """Anyone may file a complaint here. Nothing is recorded until the sender confirms through
    the private link mailed to the address they gave (one click, once, within a day): nobody can
    file in somebody else's name, and a bot's form goes nowhere."""
    from django.core import signing

    from rapport.portal.services import check_not_bot

    form = PublicFileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        address = data["email"].strip().lower()
        try:
            check_not_bot(form.data, started_at=form.started_at(), now=time.time())
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            ip_ok = allow(f"complaint-public:ip:{client_address(request)}", limit=5, window=3600)
            if not ip_ok or not allow(f"complaint-public:to:{address}", limit=3, window=3600):
                form.add_error(None, _("Too many complaints at once. Please try again later."))
            else:
                import secrets

                token = signing.dumps(
                    {
                        "n": data["name"].strip(),
                        "e": address,
                        "c": data["category"],
                        "r": data["request"],
                        "d": data["description"],
                        "l": getattr(request, "LANGUAGE_CODE", ""),
                        "x": secrets.token_urlsafe(12),  # this filing, confirmed once
                    },
                    salt=FILING_SALT,
                    compress=True,
                )
                _send_confirmation(request, address, token)
                return render(request, "complaints/portal_filed.html", {"email": address})
    return render(request, "complaints/portal_file.html", {"form": form, "public": True})


def _send_confirmation(request: HttpRequest, address: str, token: str) -> None:
    """The private confirmation link, to the address given: a customer's own address through the
    consent-checking message_send (a service message), an address nobody has yet by plain mail."""
    from django.core.mail import send_mail
    from django.urls import reverse

    from rapport.customers.models import CustomerEmail

    url = request.build_absolute_uri(reverse("complaints_portal:confirm", args=[token]))
    subject = _("Please confirm your complaint")
    body = _(
        "Thank you for telling us what went wrong. To send your complaint, open this link within "
        "a day: %(link)s\nIf you did not write to us, ignore this message and nothing is sent."
    ) % {"link": url}
    holder = (
        CustomerEmail.objects.filter(address=address)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .first()
    )
    if holder is None:
        send_mail(subject, body, None, [address])
        return
    from rapport.communications.services import message_send

    message_send(
        customer_id=holder,
        channel="email",
        purpose="service",
        subject=subject,
        body=body,
        idempotency_key=f"complaint-filing:{token[-40:]}",
        by=PORTAL,
    )


def public_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation link: shows the complaint and, on "Send", records it once — for the
    customer who has that address, or for a new person — then opens its private follow page."""
    from django.core import signing
    from django.core.cache import cache

    try:
        data = signing.loads(token, salt=FILING_SALT, max_age=FILING_MAX_AGE)
    except signing.BadSignature:
        return render(request, "portal/link_invalid.html", {"state": None}, status=410)
    if request.method != "POST":
        return render(request, "complaints/portal_confirm.html", {"filing": data})
    if not cache.add(f"complaint-filing:{data['x']}", 1, timeout=FILING_MAX_AGE * 2):
        return render(request, "portal/link_invalid.html", {"state": None}, status=410)
    from datetime import timedelta

    from django.urls import reverse

    from rapport.portal.services import link_issue

    with transaction.atomic():
        customer_id = _complainant(data)
        complaint = services.complaint_record(
            by=PORTAL,
            customer_id=customer_id,
            channel="portal",
            category=data["c"],
            request=data["r"],
            description=data["d"],
        )
        _link, raw = link_issue(
            customer_id=customer_id,
            purpose=FOLLOW,
            by=PORTAL,
            target=("complaints.complaint", complaint.pk),
            single_use=False,
            lifetime=timedelta(days=180),
        )
    return redirect(reverse("portal:link", args=[raw]))


def _complainant(data: dict[str, Any]) -> int:
    from rapport.customers.models import CustomerEmail
    from rapport.customers.services import customer_create

    holder = (
        CustomerEmail.objects.filter(address=data["e"])
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .first()
    )
    if holder is not None:
        return holder
    given, _sep, family = data["n"].partition(" ")
    if not family:
        family, given = data["n"], ""
    customer = customer_create(
        by=PORTAL,
        family_name=family[:100],
        given_name=given[:100],
        emails=[data["e"]],
        preferred_language=data.get("l", "")[:10],
        source="website",
    )
    return customer.pk
