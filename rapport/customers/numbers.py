"""Customer and organisation numbers: how they are written and the one rule for reading them.

A customer number is printed as C and seven digits (C0000042). Read back, the prefix may be
lower-case, spaced or left out, and leading zeros may be dropped: "C0000042", "c42", "C 42" and
"42" are all customer 42. Without the prefix at most seven digits are read as a number — a longer
run of digits is a phone number or another system's id, never a customer number.
"""

import re

from rapport.customers.models import CUSTOMER_NUMBER_PREFIX, ORGANISATION_NUMBER_PREFIX

_CUSTOMER = re.compile(rf"^\s*(?:({CUSTOMER_NUMBER_PREFIX})\s*)?(\d{{1,18}})\s*$", re.IGNORECASE)
BARE_DIGITS = 7


def customer_number(pk: int) -> str:
    return f"{CUSTOMER_NUMBER_PREFIX}{pk:07d}"


def organisation_number(pk: int) -> str:
    return f"{ORGANISATION_NUMBER_PREFIX}{pk:06d}"


def parse_customer_number(text: object, *, prefixed_only: bool = False) -> int | None:
    """The customer id a customer number stands for, or None if the text is not one.

    `prefixed_only`: only "C…" counts (a cell that may also hold an external id, an email or a
    phone: there a bare "42" is left to the other readings first)."""
    match = _CUSTOMER.match(str(text or ""))
    if match is None:
        return None
    prefix, digits = match.groups()
    if prefix is None and (prefixed_only or len(digits) > BARE_DIGITS):
        return None
    number = int(digits)
    return number if 0 < number < 2**63 else None
