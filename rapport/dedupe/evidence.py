"""The matcher's evidence in words, in the active language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def phrase(code: str, params: dict[str, Any]) -> str:
    people = int(params.get("people", 0) or 0)
    if code == "name_same":
        if people > 2:
            return ngettext(
                "same name (%(people)d customer has it)",
                "same name (%(people)d customers have it)",
                people,
            ) % {"people": people}
        return _("same name")
    texts = {
        "name_variant_chars": _("same name in simplified and traditional characters"),
        "name_same_sound": _("name reads the same, written with other characters"),
        "name_pinyin": _("same name, once in characters and once in pinyin"),
        "name_swapped": _("same name with family and given name swapped"),
        "name_diacritics": _("same name with and without accents"),
        "name_typo": _("name differs by one character"),
        "name_differs": _("different name"),
        "phone_same": _("same phone"),
        "phone_differs": _("different phone"),
        "email_same": _("same email"),
        "email_differs": _("different email"),
        "birthday_same": _("same birthday"),
        "birthday_differs": _("different birthday"),
        "address_same": _("same address"),
        "address_differs": _("different address"),
        "organisation_same": _("same organisation"),
        "gender_differs": _("different gender"),
    }
    return texts.get(code, code)


def describe(evidence: list[dict[str, Any]]) -> str:
    """ "same birthday, name differs by one character, different phone" """
    return _(", ").join(phrase(e["code"], e.get("params", {})) for e in evidence)


def as_json(evidence: list[Any]) -> list[dict[str, Any]]:
    """The engine's Evidence objects as stored."""
    return [
        {"code": e.code, "weight": round(e.weight, 2), "params": dict(e.params)} for e in evidence
    ]
