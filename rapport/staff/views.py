"""Staff pages: the administrator's staff management (who works in Rapport, in which role;
invitations, password links, deactivation; every write goes through rapport.staff.services), and
the log-in pages around Django's: the lock-out answer and a throttled password reset."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.forms import add_service_errors
from rapport.core.ratelimit import allow, client_address
from rapport.staff import services
from rapport.staff.forms import InviteForm, StaffForm
from rapport.staff.roles import ROLE_LABELS
from rapport.staff.tokens import invitation_token

manage = permission_required("staff.manage_staff", raise_exception=True)


def _users():
    from django.contrib.auth.models import Group

    return get_user_model().objects.prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name"))
    )


def _decorate(user):  # noqa: ANN001, ANN202
    user.role_labels = [str(ROLE_LABELS.get(g.name, g.name)) for g in user.groups.all()]
    user.invitation_pending = services.invitation_pending(user)
    return user


@login_required
@manage
def staff_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "active")
    users = _users().order_by("-is_active", "last_name", "first_name", "username")
    if show == "active":
        users = users.filter(is_active=True)
    elif show == "inactive":
        users = users.filter(is_active=False)
    return render(
        request,
        "staff/staff_list.html",
        {"users": [_decorate(u) for u in users], "show": show},
    )


@login_required
@manage
def staff_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_invite(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The invitation has been sent to %(email)s.") % {"email": user.email},
            )
            return redirect("staff:detail", pk=user.pk)
    return render(request, "staff/staff_invite.html", {"form": form})


@login_required
@manage
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _decorate(get_object_or_404(_users(), pk=pk))
    groups = [g.name for g in user.groups.all()]
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": groups[0] if len(groups) == 1 else None,
    }
    form = StaffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(by=request.user, user_id=pk, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("staff:detail", pk=pk)
    return render(request, "staff/staff_detail.html", {"member": user, "form": form})


def _action(request: HttpRequest, pk: int, run, done: str) -> HttpResponse:  # noqa: ANN001
    try:
        run()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("staff:detail", pk=pk)


@login_required
@manage
@require_POST
def staff_password_link(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk)
    return _action(
        request,
        pk,
        lambda: services.staff_send_password_reset(
            by=request.user, user_id=pk, language=translation.get_language()
        ),
        _("A link to choose a password has been sent to %(email)s.") % {"email": user.email},
    )


@login_required
@manage
@require_POST
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda: services.staff_set_active(by=request.user, user_id=pk, active=False),
        _("The account is deactivated: it can no longer log in or use API tokens."),
    )


@login_required
@manage
@require_POST
def staff_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda: services.staff_set_active(by=request.user, user_id=pk, active=True),
        _("The account is active again."),
    )


class WelcomeView(auth_views.PasswordResetConfirmView):
    """The invitation link: the new staff member chooses a password and is logged in."""

    token_generator = invitation_token
    template_name = "staff/welcome.html"
    post_reset_login = True
    post_reset_login_backend = "rapport.staff.backends.StaffBackend"
    success_url = reverse_lazy("home")

    def get_user(self, uidb64):  # noqa: ANN001, ANN201
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):  # noqa: ANN001, ANN201
        response = super().form_valid(form)
        messages.success(self.request, _("Welcome to Rapport. Your password is set."))
        return response


HOUR = 3600


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:  # noqa: ANN001
    """django-axes' answer to a login while the account or the address is locked out: 429, with
    Retry-After and the minutes to wait."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": max(1, (seconds + 59) // 60)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, with two limits and the same answer for every address.

    The mail is sent by a background task which looks the address up, so the request does the
    same work, and takes the same time, whether or not a staff member has that address. At most
    RAPPORT_PASSWORD_RESET_PER_ADDRESS mails an hour go to one address (past that the page says
    the same as ever, nothing is sent), and a client may ask RAPPORT_PASSWORD_RESET_PER_CLIENT
    times an hour (past that: 429 and a message)."""

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        from rapport.staff.tasks import password_reset_send

        request = self.request
        if not allow(
            f"password-reset:client:{client_address(request)}",
            limit=settings.RAPPORT_PASSWORD_RESET_PER_CLIENT,
            window=HOUR,
        ):
            form.add_error(
                None, _("Too many password reset requests from your address. Try again later.")
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        email = form.cleaned_data["email"]
        if allow(
            f"password-reset:email:{email.strip().lower()}",
            limit=settings.RAPPORT_PASSWORD_RESET_PER_ADDRESS,
            window=HOUR,
        ):
            password_reset_send.enqueue(
                email=email,
                domain=request.get_host(),
                use_https=request.is_secure(),
                language=get_language(),
            )
        return HttpResponseRedirect(self.get_success_url())
