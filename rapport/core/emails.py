from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

_validate = EmailValidator()


def normalize_email(raw: str) -> str:
    """Lower-cased, validated address; ValidationError with a translated message otherwise."""
    text = (raw or "").strip().lower()
    try:
        _validate(text)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid email address."), code="invalid", params={"value": raw}
        ) from None
    return text
