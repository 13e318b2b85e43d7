"""Person names: CJK names read family-first without a space, Western names given-first."""

import re
import unicodedata

# CJK Unified Ideographs (+ extension A, compatibility), kana and hangul: scripts written without spaces.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_CJK_RUN = re.compile(
    "[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def display_name(family_name: str, given_name: str) -> str:
    family, given = (family_name or "").strip(), (given_name or "").strip()
    if is_cjk(family) or is_cjk(given):
        return f"{family}{given}"
    return " ".join(p for p in (given, family) if p)


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Ján ŠŤASTNÝ' -> 'jan stastny'; CJK unchanged."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


MAX_PREFIX = 12


def search_terms(*parts: str) -> set[str]:
    """Index terms for a name: every CJK character and pair, and word prefixes of 2..12 letters.

    1- and 2-character CJK queries are the common case, and trigram indexes cannot serve them.
    """
    terms: set[str] = set()
    if any(is_cjk(p) for p in parts):
        parts = (*parts, "".join(p.strip() for p in parts if p))  # pairs across family|given
    for part in parts:
        text = fold(part)
        for run in _CJK_RUN.findall(text):
            terms.update(run)
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
        for word in _WORD.findall(_CJK_RUN.sub(" ", text)):
            terms.update(word[:n] for n in range(2, min(len(word), MAX_PREFIX) + 1))
    return terms


def query_terms(query: str) -> tuple[list[str], list[str]]:
    """(index terms to look up, longer fragments to check against the folded name)."""
    text = fold(query)
    lookups: list[str] = []
    checks: list[str] = []
    for run in _CJK_RUN.findall(text):
        lookups.append(run[:2])
        if len(run) > 2:
            checks.append(run)
    for word in _WORD.findall(_CJK_RUN.sub(" ", text)):
        if len(word) < 2:
            continue
        lookups.append(word[:MAX_PREFIX])
        if len(word) > MAX_PREFIX:
            checks.append(word)
    return lookups, checks
