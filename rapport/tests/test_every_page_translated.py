"""Every page in Chinese (simplified and traditional) and Slovak shows no English text that has a
translation: a page is walked like a user would (the menu, then every link on the way, one page
per kind of address), and each text and label on it is looked up in Rapport's English messages.
A message found in English on a translated page was not translated when it was shown (marked
with a name the extractor does not know, evaluated too early, or its translation is missing)."""

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hans", "zh-hant", "sk"]
LOCALE = Path(__file__).resolve().parents[1] / "locale"
# Words that are the same in every language (names of things, abbreviations).
SAME_EVERYWHERE = {"rapport", "api", "csv", "sku", "rfm", "clv", "id", "ok", "email", "e-mail"}
MAX_PAGES = 140
SKIP = re.compile(
    r"/(export|progress|logout|set_language|i18n|jsi18n|admin|api|static|media)/|\.(csv|xlsx)"
)


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

    with (LOCALE / to_locale(language) / "LC_MESSAGES" / "django.po").open("rb") as fh:
        catalogue = read_po(fh)
    english: set[str] = set()
    translated: set[str] = set()
    for message in catalogue:
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


def _pattern(url: str) -> str:
    path, _, query = url.partition("?")
    return re.sub(r"\d+", "N", path) + (
        "?" + "&".join(sorted(re.sub(r"=.*", "", p) for p in query.split("&"))) if query else ""
    )


def walk(client: Client, start: list[str], language: str) -> dict[str, list[str]]:
    """{url: [English messages on it]} of the pages reachable from `start`."""
    english = english_messages(language)
    seen_patterns: set[str] = set()
    queue = deque(start)
    found: dict[str, list[str]] = {}
    opened = 0
    while queue and opened < MAX_PAGES:
        url = queue.popleft()
        pattern = _pattern(url)
        if pattern in seen_patterns or SKIP.search(url):
            continue
        seen_patterns.add(pattern)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        opened += 1
        parser = _Texts()
        parser.feed(response.content.decode())
        leaked = sorted({t.strip() for t in parser.texts if _fold(t) in english})
        if leaked:
            found[url] = leaked
        queue.extend(parser.links)
    assert opened > 20, opened
    return found


@pytest.fixture
def admin_client(make_user):
    from rapport.demo.services import generate_demo

    generate_demo(customers=30, seed=7)
    client = Client()
    client.force_login(make_user("administrator", username="owner"))
    return client


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_is_in_the_users_language(admin_client, language):
    from django.conf import settings
    from django.urls import reverse

    from rapport.core.registry import nav_items

    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    start = [reverse(item.url_name) for item in nav_items()]
    start += ["/customers/new/", "/accounts/password/", "/sales/orders/new/", "/staff/invite/"]
    leaked = walk(admin_client, start, language)
    assert not leaked, "\n".join(f"{url}: {texts}" for url, texts in leaked.items())
