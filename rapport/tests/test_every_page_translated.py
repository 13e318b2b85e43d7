"""Every page in Chinese (simplified and traditional) and Slovak shows no English text that has a
translation: every page of the URL map (rapport/tests/pages.py), and each text and label on it is
looked up in Rapport's English messages (the project's catalogue and every app's own).
A message found in English on a translated page was not translated when it was shown (marked
with a name the extractor does not know, evaluated too early, or its translation is missing)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hans", "zh-hant", "sk"]
LOCALE = Path(__file__).resolve().parents[1] / "locale"
# Words that are the same in every language (names of things, abbreviations).
SAME_EVERYWHERE = {"rapport", "api", "csv", "sku", "rfm", "clv", "id", "ok", "email", "e-mail"}


# Pages with untranslated words whose fix belongs to other apps (each listed with what is left;
# remove a line once it is fixed).
KNOWN_GAPS: dict[str, str] = {}

_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


def _foreign(attrs: dict) -> bool:
    return (
        "lang" in attrs
        or attrs.get("translate") == "no"
        or "tag" in (attrs.get("class") or "").split()
    )


class _Texts(HTMLParser):
    """The visible text of a page and its labels for people (placeholders, aria-labels, titles),
    and the links on it."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        # Not the page's language on purpose: code, each language's own name in the switch
        # (lang=…), and people's data such as tag names (translate="no", class "tag").
        if tag in _VOID:
            pass
        elif (
            tag in ("script", "style", "code", "pre")
            or self._skip
            or (tag != "html" and _foreign(a))
        ):
            self._skip += 1
            return
        if tag == "a" and (href := a.get("href")) and href.startswith("/"):
            self.links.append(href.split("#")[0])
        for name in ("placeholder", "aria-label", "title", "alt"):
            if a.get(name):
                self.texts.append(a[name])
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.texts.append(a["value"])

    def handle_endtag(self, tag):
        if tag not in _VOID and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def english_messages(language: str) -> set[str]:
    """Rapport's messages whose translation into `language` reads differently, folded for
    comparison (a word that is the same in both, such as "Marketing" in Slovak, is left out)."""
    from babel.messages.pofile import read_po
    from django.utils.translation import to_locale

    english: set[str] = set()
    translated: set[str] = set()
    messages = []
    po = f"{to_locale(language)}/LC_MESSAGES/django.po"
    for path in [LOCALE / po, *sorted(LOCALE.parent.glob(f"*/locale/{po}"))]:
        with path.open("rb") as fh:
            messages += list(read_po(fh))
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated.update(_fold(s) for s in strings if s)
        for msgid in ids:
            if msgid and "%" not in msgid and "{" not in msgid:
                english.add(_fold(msgid))
    return {
        key
        for key in english - translated
        if len(key) > 2 and key not in SAME_EVERYWHERE and re.search("[a-z]", key)
    }


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip(":·—-→←★().,").strip().lower()


def leaked_english(html: str, english: set[str]) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return sorted({t.strip() for t in parser.texts if _fold(t) in english})


def customer_client(customer) -> Client:
    """A customer signed in to the portal (rapport.portal.session)."""
    from rapport.portal.session import SESSION_KEY

    client = Client()
    session = client.session
    session[SESSION_KEY] = customer.pk
    session.save()
    return client


def test_every_page_is_in_the_users_language(make_user, make_product, settings):
    """Every page of the URL map (rapport/tests/pages.py: staff pages of every app, the portal,
    public pages), as the owner or the customer, in each language."""
    from rapport.communications.models import Interaction
    from rapport.customers.models import Tag
    from rapport.tests.pages import customers_speak, page_data, pages

    data = page_data(make_user, make_product)
    staff = Client()
    staff.force_login(data["owner"])
    customer = customer_client(data["customer"])
    leaked: list[str] = []
    # People's data that reads like Rapport's words: the demo's tag names ("newsletter") and
    # conversation subjects ("Birthday") are shown as they were written.
    data_texts = {_fold(t) for t in Tag.objects.values_list("name", flat=True)}
    data_texts |= {_fold(t) for t in Interaction.objects.values_list("subject", flat=True)}
    for language in LANGUAGES:
        customers_speak(language)
        english = english_messages(language) - data_texts
        for client in (staff, customer):
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        found, problems = pages(staff, customer, language)
        assert not problems, "\n".join(problems)
        assert len(found) > 80, len(found)
        for page in found:
            if page.route in KNOWN_GAPS:
                continue
            if texts := leaked_english(page.html, english):
                leaked.append(f"{language} {page.url}: {texts}")
    assert not leaked, "\n".join(leaked)
