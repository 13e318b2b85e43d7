"""Phone numbers are stored as E.164 so any national or international spelling finds them.

Reading a number with phonenumbers costs some 60 µs, most of it spent on what a spreadsheet cell
never holds (letters, extensions, RFC 3966 URIs, non-ASCII digits). `_fast_e164` reads the usual
spellings — ASCII digits with spaces, dashes, dots and brackets, maybe a leading + — with the same
metadata and the same steps as phonenumbers.parse + is_valid_number + format_number(E164), in a few
µs. Whatever it is not sure of (an international dialling prefix, a country code shared by several
regions, a leading zero kept in the number, anything invalid) goes the whole way through
phonenumbers, so the result is the library's in every case; rapport/imports/tests/test_fast_paths.py
checks the two against each other.
"""

import re
from functools import cache, lru_cache

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

try:  # the library's own steps, so that the fast path cannot drift from it
    from phonenumbers.phonemetadata import PhoneMetadata as _PhoneMetadata
    from phonenumbers.phonenumberutil import (
        _MAX_INPUT_STRING_LENGTH,
        _MAX_LENGTH_FOR_NSN,
        _MIN_LENGTH_FOR_NSN,
        COUNTRY_CODE_TO_REGION_CODE,
        SUPPORTED_REGIONS,
        ValidationResult,
        _maybe_strip_national_prefix_carrier_code,
        _test_number_length,
    )

    _FAST = True
except ImportError:  # pragma: no cover  (another phonenumbers layout: always the slow way)
    _FAST = False


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 form of `raw`, read in `region` when it has no country code; ValidationError if invalid."""
    return _normalize((raw or "").strip(), region or settings.RAPPORT_DEFAULT_REGION)


@lru_cache(maxsize=65536)  # files and searches repeat numbers
def _normalize(text: str, region: str) -> str:
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    if (fast := _fast_e164(text, region)) is not None:
        return fast
    return _slow_e164(text, region)


def _slow_e164(text: str, region: str) -> str:
    """phonenumbers itself: parse, check, format."""
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
    if number.extension:  # E.164 has no room for it: refused rather than silently dropped
        raise ValidationError(
            _(
                "“%(value)s” has an extension (%(extension)s), which is not stored with a phone "
                "number. Enter the number without it and write the extension in the notes."
            ),
            code="extension",
            params={"value": text, "extension": number.extension},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The spellings the fast path reads: one optional leading +, ASCII digits and the separators
# people type. None of these characters can start an extension, a second number, a vanity
# number or an RFC 3966 parameter, so phonenumbers reads such a string as its digits alone.
_SHAPE = re.compile(r"\+?[0-9 ().\-]+")
_SEPARATORS = str.maketrans("", "", " ().-")
_TYPES = (
    "fixed_line",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


class _Region:
    """What the fast path needs of one region's metadata, compiled once."""

    __slots__ = ("metadata", "code", "code_text", "idd", "national_prefix", "general", "types")

    def __init__(self, metadata) -> None:
        self.metadata = metadata
        self.code = metadata.country_code
        self.code_text = str(metadata.country_code)
        self.idd = re.compile(metadata.international_prefix or "NonMatch")
        npp = metadata.national_prefix_for_parsing
        self.national_prefix = re.compile(npp) if npp else None
        self.general = _desc(metadata.general_desc)
        # Valid = the general pattern and any type's (_number_type_helper is not UNKNOWN); the
        # order does not change the answer, so the common types come first.
        descs = [getattr(metadata, name) for name in _TYPES]
        if not metadata.same_mobile_and_fixed_line_pattern:
            descs.insert(0, metadata.mobile)
        self.types = tuple(d for d in map(_desc, descs) if d is not None)


def _desc(desc) -> tuple[frozenset[int], re.Pattern] | None:
    """(possible lengths, pattern) as phonenumbers' _is_number_matching_desc uses them."""
    if desc is None or not desc.national_number_pattern:
        return None  # matches nothing
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


def _matches(number: str, desc: tuple[frozenset[int], re.Pattern]) -> bool:
    lengths, pattern = desc
    return (not lengths or len(number) in lengths) and pattern.fullmatch(number) is not None


@cache
def _region(code: str) -> _Region | None:
    if code not in SUPPORTED_REGIONS:
        return None
    metadata = _PhoneMetadata.metadata_for_region(code)
    if metadata is None or metadata.country_code is None:
        return None
    regions = COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code, ())
    if len(regions) != 1:  # e.g. +1, +7, +44: which region is a matter of the number
        return None
    return _Region(metadata)


def _fast_e164(text: str, region: str) -> str | None:
    """phonenumbers' E.164 for `text` when it is valid and spelt plainly; None means "ask
    phonenumbers" (which then also says why a number is refused)."""
    if not _FAST or len(text) > _MAX_INPUT_STRING_LENGTH or not _SHAPE.fullmatch(text):
        return None
    digits = text.translate(_SEPARATORS)
    if digits[:1] == "+":
        digits = digits[1:]
        if len(digits) <= _MIN_LENGTH_FOR_NSN or digits[0] == "0":
            return None
        for size in (1, 2, 3):  # phonenumbers' _extract_country_code
            regions = COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size]))
            if regions:
                break
        else:
            return None
        if len(regions) != 1 or (info := _region(regions[0])) is None:
            return None  # shared or non-geographic country codes
        national = digits[size:]
    else:
        info = _region(region)
        if info is None or len(digits) < 3:
            return None
        if info.idd.match(digits) or digits.startswith(info.code_text):
            return None  # dialled abroad, or maybe with the country code: phonenumbers decides
        national = digits
    if len(national) < _MIN_LENGTH_FOR_NSN:
        return None
    if info.national_prefix is not None and info.national_prefix.match(national):
        _carrier, potential, _stripped = _maybe_strip_national_prefix_carrier_code(
            national, info.metadata
        )
        if potential != national and _test_number_length(potential, info.metadata) not in (
            ValidationResult.TOO_SHORT,
            ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
            ValidationResult.INVALID_LENGTH,
        ):
            national = potential
    if not _MIN_LENGTH_FOR_NSN <= len(national) <= _MAX_LENGTH_FOR_NSN or national[0] == "0":
        return None  # a leading zero is kept apart ("Italian leading zero"): the slow way
    size = len(national)
    if info.general is None or not _matches(national, info.general):
        return None
    for lengths, pattern in info.types:
        if (not lengths or size in lengths) and pattern.fullmatch(national) is not None:
            return f"+{info.code_text}{national}"
    return None


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


def display_phone(e164: str, region: str | None = None) -> str:
    """As people write it: national form for a number of the shop's region (138 0013 8000,
    010 1234 5678), international form for the others (+421 905 123 456)."""
    from django.conf import settings

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = region or settings.RAPPORT_DEFAULT_REGION
    if phonenumbers.region_code_for_number(number) == home:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=65536)
def is_landline(e164: str) -> bool:
    """A fixed line (not a mobile, nor a number that may be either, as in North America)."""
    if e164.startswith("+86"):  # the common case, without a parse: mobiles are 1xx xxxx xxxx
        return not (len(e164) == 14 and e164[3] == "1")
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE


def looks_like_phone(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    return digits >= 6 and all(c.isdigit() or c in "+-() ./" for c in text.strip())
