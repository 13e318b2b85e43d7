"""Background work of the staff accounts."""

from django.tasks import task


@task
def password_reset_send(*, email: str, domain: str, use_https: bool, language: str) -> None:
    """Send the password-reset link to the active staff with this address, if there are any
    (Django's PasswordResetForm: nothing is sent, and nothing said, for an unknown address)."""
    from django.contrib.auth.forms import PasswordResetForm
    from django.utils import translation

    with translation.override(language):
        form = PasswordResetForm({"email": email})
        if form.is_valid():
            form.save(domain_override=domain, use_https=use_https)
