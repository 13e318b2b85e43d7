"""Phone numbers are stored as E.164 so any national or international spelling finds them."""

from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 form of `raw`, read in `region` when it has no country code; ValidationError if invalid."""
    return _normalize((raw or "").strip(), region or settings.RAPPORT_DEFAULT_REGION)


@lru_cache(maxsize=65536)  # parsing costs ~50 µs; files and searches repeat numbers
def _normalize(text: str, region: str) -> str:
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid", params={"value": text}
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number."), code="invalid", params={"value": text}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str, region: str | None = None) -> str | None:
    try:
        return normalize_phone(raw, region)
    except ValidationError:
        return None


def format_phone(e164: str) -> str:
    """International display form, e.g. +86 138 0013 8000."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def looks_like_phone(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    return digits >= 6 and all(c.isdigit() or c in "+-() ./" for c in text.strip())
