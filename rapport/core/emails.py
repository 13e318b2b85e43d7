import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

_validate = EmailValidator()
# Django's own expressions, compiled here once: going through the validator's lazy objects costs
# more than the matching (an import checks hundreds of thousands of addresses).
_USER = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
_DOMAIN = re.compile(EmailValidator.domain_regex.pattern, EmailValidator.domain_regex.flags)


def is_valid_email(text: str) -> bool:
    """EmailValidator()(text) passes: the same steps and expressions, without the exception.
    Domain literals ([192.0.2.1]) are left to the validator itself."""
    if not text or "@" not in text or len(text) > 320:
        return False
    user, domain = text.rsplit("@", 1)
    if not _USER.match(user):
        return False
    if domain in _validate.domain_allowlist or _DOMAIN.match(domain):
        return True
    try:
        _validate(text)
    except ValidationError:
        return False
    return True


def normalize_email(raw: str) -> str:
    """Lower-cased, validated address; ValidationError with a translated message otherwise."""
    text = (raw or "").strip().lower()
    if not is_valid_email(text):
        raise ValidationError(
            _("“%(value)s” is not a valid email address."), code="invalid", params={"value": raw}
        )
    return text
