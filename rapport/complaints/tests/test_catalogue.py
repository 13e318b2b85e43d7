"""The complaints' own catalogue is complete in every language: nothing untranslated or fuzzy."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "locale"


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant", "sk"])
def test_every_string_translated(language):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as f:
        catalogue = read_po(f)
    missing = [
        m.id
        for m in catalogue
        if m.id and (m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))
    ]
    assert missing == []
