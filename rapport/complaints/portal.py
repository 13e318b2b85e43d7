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
