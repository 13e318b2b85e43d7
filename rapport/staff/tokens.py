"""The one-time link of a staff invitation: Django's password-reset token machinery under its own
salt, valid for RAPPORT_INVITATION_DAYS. Choosing the password (and logging in) changes the
values the token is made of, so a used link stops working; so does deactivating the account."""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "rapport.staff.tokens.InvitationTokenGenerator"

    def _make_hash_value(self, user, timestamp) -> str:  # noqa: ANN001
        return super()._make_hash_value(user, timestamp) + str(user.is_active)

    def check_token(self, user, token) -> bool:  # noqa: ANN001
        if not (user and token):
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - ts
        return age <= settings.RAPPORT_INVITATION_DAYS * 24 * 3600


invitation_token = InvitationTokenGenerator()
