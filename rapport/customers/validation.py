"""Field rules for customer data, shared by forms, the API, the importer and the CLI.

Each function returns clean values or raises ValidationError keyed by field, with translated text.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.core.calendar import YEAR_UNKNOWN
from rapport.core.emails import normalize_email
from rapport.core.params import unstorable_text_error
from rapport.core.phones import is_landline, normalize_phone
from rapport.customers.choices import (
    BuyingRole,
    Channel,
    CustomerSource,
    Gender,
    IncomeBand,
    Language,
    PhoneKind,
)

CUSTOMER_FIELDS = (
    "external_id",
    "family_name",
    "given_name",
    "gender",
    "birthday",
    "celebrates_lunar_birthday",
    "hobbies",
    "personality",
    "family_situation",
    "occupation",
    "income_band",
    "preferred_language",
    "preferred_channel",
    "customer_since",
    "source",
    "referred_by_id",
    "notes",
)
_CHOICES = {
    "gender": Gender,
    "income_band": IncomeBand,
    "preferred_language": Language,
    "preferred_channel": Channel,
    "source": CustomerSource,
}
_MAX_LENGTH = {"family_name": 100, "given_name": 100, "occupation": 120, "external_id": 100}
# Read once: an import checks these for every row (a TextChoices' .values builds a new list).
_FIELD_SET = frozenset(CUSTOMER_FIELDS)
_CHOICE_VALUES = {name: frozenset(choices.values) for name, choices in _CHOICES.items()}
_PHONE_KINDS = frozenset(PhoneKind.values)


def clean_customer_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validated profile fields; `partial` for updates that name only some of them."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    unknown = data.keys() - _FIELD_SET
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
    text_limit = settings.RAPPORT_CUSTOMER_TEXT_LENGTH
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
            if problem := unstorable_text_error(value):
                errors[name] = [problem]
                continue
            if name not in _MAX_LENGTH and len(value) > text_limit:
                errors[name] = [_("At most %(n)d characters.") % {"n": text_limit}]
                continue
        if name in _CHOICE_VALUES:
            value = value or ""
            if value and value not in _CHOICE_VALUES[name]:
                errors[name] = [_("“%(value)s” is not one of the choices.") % {"value": value}]
                continue
        elif name in _MAX_LENGTH and value and len(value) > _MAX_LENGTH[name]:
            errors[name] = [_("At most %(n)d characters.") % {"n": _MAX_LENGTH[name]}]
            continue
        elif name in ("birthday", "customer_since"):
            if isinstance(value, str) and value:
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    value = "invalid"
            if isinstance(value, datetime):
                value = value.date()
            if value in (None, ""):
                value = None
            elif not isinstance(value, date):
                errors[name] = [_("Enter a valid date.")]
                continue
            elif value > timezone.localdate() or (
                value.year < 1900 and not (name == "birthday" and value.year == YEAR_UNKNOWN)
            ):
                errors[name] = [_("The date must be between 1900 and today.")]
                continue
        elif name == "external_id":
            value = value or None
        elif name == "celebrates_lunar_birthday":
            value = bool(value)
        elif value is None and name not in ("referred_by_id",):
            value = ""
        clean[name] = value
    names_given = not partial or {"family_name", "given_name"} & set(data)
    if names_given and not (clean.get("family_name") or clean.get("given_name")):
        errors["family_name"] = [_("Enter a family name or a given name.")]
    if errors:
        raise ValidationError(errors)
    return clean


def check_count(items: Any, field: str, limit: int) -> None:
    """Refuse more than `limit` items in a list field (RAPPORT_CUSTOMER_MAX_* settings)."""
    if items is not None and len(items) > limit:
        raise ValidationError(
            {
                field: [
                    ngettext(
                        "At most %(limit)d item; %(count)d were sent.",
                        "At most %(limit)d items; %(count)d were sent.",
                        limit,
                    )
                    % {"limit": limit, "count": len(items)}
                ]
            }
        )


def clean_phones(
    items: list[dict[str, Any] | str], region: str | None = None
) -> list[dict[str, Any]]:
    """[{number (E.164), kind, is_primary}] with exactly one primary; duplicates dropped."""
    check_count(items, "phones", settings.RAPPORT_CUSTOMER_MAX_PHONES)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    problems: list[str] = []
    for item in items:
        spec = {"number": item} if isinstance(item, str) else dict(item)
        kind = spec.get("kind") or ""
        if kind and kind not in _PHONE_KINDS:
            problems.append(_("“%(value)s” is not one of the choices.") % {"value": kind})
            continue
        try:
            number = normalize_phone(str(spec.get("number", "")), region)
        except ValidationError as exc:
            problems.extend(exc.messages)
            continue
        if not kind or kind == PhoneKind.MOBILE:  # a number not said to be home or work
            kind = PhoneKind.LANDLINE if is_landline(number) else PhoneKind.MOBILE
        if number not in seen:
            seen.add(number)
            out.append({"number": number, "kind": kind, "is_primary": bool(spec.get("is_primary"))})
    if problems:
        raise ValidationError({"phones": problems})
    _one_primary(out)
    return out


def clean_emails(items: list[dict[str, Any] | str]) -> list[dict[str, Any]]:
    check_count(items, "emails", settings.RAPPORT_CUSTOMER_MAX_EMAILS)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    problems: list[str] = []
    for item in items:
        spec = {"address": item} if isinstance(item, str) else dict(item)
        try:
            address = normalize_email(str(spec.get("address", "")))
        except ValidationError as exc:
            problems.extend(exc.messages)
            continue
        if address not in seen:
            seen.add(address)
            out.append({"address": address, "is_primary": bool(spec.get("is_primary"))})
    if problems:
        raise ValidationError({"emails": problems})
    _one_primary(out)
    return out


def check_lengths(model, data: dict[str, Any]) -> dict[str, list[str]]:
    """Errors for text values longer than the model's column allows."""
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        limit = (
            getattr(model._meta.get_field(name), "max_length", None)
            if name in _field_names(model)
            else None
        )
        if limit and isinstance(value, str) and len(value) > limit:
            errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    return errors


def _field_names(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def clean_addresses(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Addresses with known fields only, a street or a city (a city alone is an address: many
    files and many people give no more), a known kind and a 2-letter country."""
    from rapport.customers.choices import AddressKind
    from rapport.customers.models import CustomerAddress

    check_count(items, "addresses", settings.RAPPORT_CUSTOMER_MAX_ADDRESSES)
    fields = ("kind", "line1", "line2", "city", "region", "postal_code", "country")
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    for item in items:
        row = {k: (str(item.get(k) or "")).strip() for k in fields}
        problems.extend(p for v in row.values() if (p := unstorable_text_error(v)))
        row["kind"] = row["kind"] or AddressKind.HOME
        row["country"] = row["country"].upper()
        if not (row["line1"] or row["city"]):
            problems.append(_("An address needs a street or a city."))
        if row["kind"] not in AddressKind.values:
            problems.append(_("“%(value)s” is not one of the choices.") % {"value": row["kind"]})
        if row["country"] and (len(row["country"]) != 2 or not row["country"].isalpha()):
            problems.append(_("Use the two-letter country code, e.g. CN, TW or SK."))
        problems.extend(m for msgs in check_lengths(CustomerAddress, row).values() for m in msgs)
        out.append(row)
    if problems:
        raise ValidationError({"addresses": problems})
    return out


def clean_buying_role(value: str) -> str:
    if value not in BuyingRole.values:
        raise ValidationError(
            {"buying_role": [_("“%(value)s” is not one of the choices.") % {"value": value}]}
        )
    return value


def _one_primary(items: list[dict[str, Any]]) -> None:
    if items and not any(i["is_primary"] for i in items):
        items[0]["is_primary"] = True
    seen = False
    for i in items:
        i["is_primary"] = i["is_primary"] and not seen
        seen = seen or i["is_primary"]


TAG_LENGTH = 60


def clean_tags(items: Iterable[Any]) -> list[str]:
    """Tag names, trimmed, without blanks or repeats, in the order given. More than
    RAPPORT_CUSTOMER_MAX_TAGS tags, or a name longer than a tag holds, is refused."""
    names = list(dict.fromkeys(n for n in (str(t).strip() for t in items if t is not None) if n))
    check_count(names, "tags", settings.RAPPORT_CUSTOMER_MAX_TAGS)
    problems = [
        _("“%(name)s…” is longer than %(n)d characters.") % {"name": n[:20], "n": TAG_LENGTH}
        for n in names
        if len(n) > TAG_LENGTH
    ]
    problems.extend(p for n in names if (p := unstorable_text_error(n)))
    if problems:
        raise ValidationError({"tags": problems})
    return names
