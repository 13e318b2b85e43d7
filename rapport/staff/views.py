"""Staff log-in pages around Django's: the lock-out answer and a throttled password reset."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rapport.core.ratelimit import allow, client_address

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
