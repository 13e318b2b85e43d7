"""Money and numbers in the user's locale (Babel knows CLDR's currency patterns)."""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils import translation

_LOCALES = {"en": "en", "zh-hans": "zh_Hans_CN", "zh-hant": "zh_Hant_TW", "sk": "sk_SK"}


def babel_locale() -> str:
    return _LOCALES.get((translation.get_language() or "en").lower(), "en")


def money(value: Decimal | float | int | None, currency: str | None = None) -> str:
    if value is None:
        return "—"
    return format_currency(value, currency or settings.RAPPORT_CURRENCY, locale=babel_locale())


def number(value: Decimal | float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=babel_locale())
