"""The importer's fast readers of phone numbers and emails give the libraries' own answers.

rapport.core.phones._fast_e164 must return exactly what phonenumbers.parse + is_valid_number +
format_number(E164) return, or None (then phonenumbers itself is asked); is_valid_email must agree
with Django's EmailValidator on every string.
"""

import random
import string

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from rapport.core.emails import is_valid_email, normalize_email
from rapport.core.phones import _fast_e164, _slow_e164, normalize_phone

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
OUR_REGIONS = ["CN", "TW", "HK", "SK", "CZ", "US", "GB", "DE", "IT", "FR", "AR", "MX", "BR", "IN"]
SEPARATORS = [" ", "-", ".", "(", ")", "", "", ""]
_validate_email = EmailValidator()


def reference(text: str, region: str) -> str | None:
    """What phonenumbers says: the E.164 form of a valid number, else None."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def assert_same(text: str, region: str) -> str | None:
    fast = _fast_e164(text, region)
    if fast is not None:
        assert fast == reference(text, region), (text, region)
    return fast


def spell(digits: str, rng: random.Random) -> str:
    """The digits with random separators between them, as people type numbers."""
    out = []
    for d in digits:
        out.append(d)
        if rng.random() < 0.3:
            out.append(rng.choice(SEPARATORS))
    return "".join(out)


def example_numbers():
    """Each region's example number of each type, in the usual spellings."""
    formats = (
        phonenumbers.PhoneNumberFormat.NATIONAL,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.E164,
    )
    for region in REGIONS:
        for kind in range(12):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for fmt in formats:
                yield region, phonenumbers.format_number(number, fmt)


def test_example_numbers_of_every_region_agree():
    fast_hits = 0
    for region, text in example_numbers():
        for read_in in (region, "CN"):
            if assert_same(text, read_in) is not None:
                fast_hits += 1
    assert fast_hits > 1000  # the fast path does serve the common spellings


def test_mutated_numbers_of_every_region_agree():
    """Example numbers with their last digits changed (many then become invalid), added or
    dropped, spelt with random separators, national and international."""
    rng = random.Random(2026)
    for region in REGIONS:
        for kind in (0, 1):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            nsn = phonenumbers.national_significant_number(number)
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            prefix = "".join(c for c in national if c.isdigit())[: -len(nsn)] if nsn else ""
            for _ in range(40):
                cut = rng.randint(max(0, len(nsn) - 5), len(nsn))
                body = nsn[:cut] + "".join(
                    rng.choice(string.digits) for _ in range(len(nsn) - cut + rng.randint(-1, 1))
                )
                assert_same(spell(prefix + body, rng), region)
                assert_same(spell(body, rng), region)
                assert_same("+" + spell(f"{number.country_code}{body}", rng), "CN")
                assert_same(f"+{number.country_code} {spell(body, rng)}", region)


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("138 0013 8000", "CN", "+8613800138000"),
        ("138-0013-8000", "CN", "+8613800138000"),
        ("(010) 6552 9988", "CN", "+861065529988"),
        ("+86 138 0013 8000", "SK", "+8613800138000"),
        ("0905 123 456", "SK", "+421905123456"),
        ("+421 905 123 456", "CN", "+421905123456"),
        ("0912 345 678", "TW", "+886912345678"),
        ("9123 4567", "HK", "+85291234567"),
    ],
)
def test_common_spellings_take_the_fast_path(text, region, expected):
    assert _fast_e164(text, region) == expected == reference(text, region)
    assert normalize_phone(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("00 86 138 0013 8000", "CN"),  # an international dialling prefix
        ("86 138 0013 8000", "CN"),  # maybe the country code: phonenumbers decides
        ("+1 650 253 0000", "CN"),  # +1 is shared by many regions
        ("+39 06 1234 5678", "CN"),  # Italy keeps the leading zero
        ("138 0013 800", "CN"),  # invalid: phonenumbers words the refusal
        ("138 0013 8000 ext. 12", "CN"),
        ("tel:+86-138-0013-8000", "CN"),
        ("１３８００１３８０００", "CN"),  # full-width digits
    ],
)
def test_unusual_spellings_are_left_to_phonenumbers(text, region):
    assert _fast_e164(text, region) is None


def test_refusals_keep_their_messages():
    with pytest.raises(ValidationError) as exc:
        normalize_phone("abc", "CN")
    assert exc.value.messages == ["“abc” is not a phone number."]
    with pytest.raises(ValidationError) as exc:
        normalize_phone("138 0013 800", "CN")
    assert exc.value.messages == ["“138 0013 800” is not a valid phone number."]
    assert normalize_phone("00 86 138 0013 8000", "CN") == _slow_e164("00 86 138 0013 8000", "CN")


phone_text = st.builds(
    lambda plus, body: ("+" if plus else "") + body,
    st.booleans(),
    st.text(alphabet="0123456789 ().-", min_size=0, max_size=22),
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=phone_text, region=st.sampled_from(OUR_REGIONS + REGIONS))
@example(text="138 0013 8000", region="CN")
@example(text="+8613800138000", region="CN")
@example(text="12593 138 0013 8000", region="CN")
@example(text="(0)905 123 456", region="SK")
def test_random_strings_agree_with_phonenumbers(text, region):
    assert_same(text, region)


@settings(max_examples=3000, deadline=None)
@given(
    region=st.sampled_from(OUR_REGIONS),
    lead=st.sampled_from(["", "0", "1", "13", "15", "17", "18", "179", "09", "02", "86", "00"]),
    rest=st.text(alphabet=string.digits, min_size=4, max_size=12),
    seed=st.integers(0, 2**16),
)
def test_plausible_national_numbers_agree_with_phonenumbers(region, lead, rest, seed):
    """Digit strings shaped like real national numbers (so that many are valid)."""
    text = spell(lead + rest, random.Random(seed))
    assume(text.strip())
    assert_same(text, region)


# Emails ------------------------------------------------------------------------------------


def django_accepts(text: str) -> bool:
    try:
        _validate_email(text)
    except ValidationError:
        return False
    return True


email_text = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda user, domain, tld: f"{user}@{domain}.{tld}",
        st.text(alphabet=string.ascii_letters + string.digits + ".-_+'\"!#", max_size=15),
        st.text(alphabet=string.ascii_lowercase + string.digits + ".-é中", max_size=15),
        st.text(alphabet=string.ascii_lowercase + "-0123456789", max_size=8),
    ),
)


@settings(max_examples=3000, deadline=None)
@given(text=email_text)
@example(text="bench1@example.com")
@example(text="a@localhost")
@example(text="a@[192.0.2.1]")
@example(text="a@[::1]")
@example(text="a@b.c")
@example(text='"a b"@example.com')
@example(text="a@xn--fiqs8s.cn")
@example(text="a@-example.com")
@example(text="a@example.com.")
def test_email_check_agrees_with_django(text):
    assert is_valid_email(text) == django_accepts(text)


def test_normalize_email_lowercases_and_refuses_like_before():
    assert normalize_email("  Jan.Novak@Example.SK ") == "jan.novak@example.sk"
    with pytest.raises(ValidationError) as exc:
        normalize_email("jan@")
    assert exc.value.messages == ["“jan@” is not a valid email address."]
