import contextlib

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.emails import normalize_email
from rapport.core.phones import looks_like_phone, normalize_phone

FORMATS = [
    "138 0013 8000",
    "13800138000",
    "+86 138-0013-8000",
    "0086 138 0013 8000",
    "(+86) 13800138000",
]


@pytest.mark.parametrize("raw", FORMATS)
def test_any_spelling_of_a_chinese_mobile_is_one_e164(raw, settings):
    settings.RAPPORT_DEFAULT_REGION = "CN"
    assert normalize_phone(raw) == "+8613800138000"


def test_slovak_and_taiwanese_numbers_with_region():
    assert normalize_phone("0905 123 456", "SK") == "+421905123456"
    assert normalize_phone("+421 905 123 456") == "+421905123456"
    assert normalize_phone("0912 345 678", "TW") == "+886912345678"


@pytest.mark.parametrize("raw", ["", "12", "hello", "+86 123"])
def test_invalid_numbers_are_refused_with_a_message(raw):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw)
    assert exc.value.messages[0]


@given(st.text(max_size=30))
def test_phone_parser_never_crashes(raw):
    try:
        result = normalize_phone(raw)
    except ValidationError:
        return
    assert result.startswith("+") and result[1:].isdigit()
    assert phonenumbers.is_valid_number(phonenumbers.parse(result))


@given(st.integers(min_value=130_0000_0000, max_value=139_9999_9999))
def test_national_and_international_forms_agree(n):
    try:
        national = normalize_phone(str(n), "CN")
    except ValidationError:
        return
    assert normalize_phone(f"+86 {n}", "SK") == national
    assert looks_like_phone(str(n))


def test_email_is_lowercased_and_validated():
    assert normalize_email(" Jan.Novak@Example.SK ") == "jan.novak@example.sk"
    with pytest.raises(ValidationError):
        normalize_email("not-an-address")


@given(st.emails())
def test_valid_emails_are_accepted(address):
    # Django is stricter than RFC 5322 on some exotic forms; those must fail cleanly, not crash.
    with contextlib.suppress(ValidationError):
        assert normalize_email(address) == address.strip().lower()
