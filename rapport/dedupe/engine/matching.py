"""Blocking and scoring of possible duplicate customers.

Blocking (which pairs are compared at all) uses keys that catch what exact matching misses:

- the name folded to one form: simplified characters (OpenCC, so 王曉明 = 王小明), their pinyin
  (pypinyin, so 张伟 = "Zhang Wei"), without diacritics ("Novák" = "Novak"), the words sorted (so
  "Novák Ján" = "Ján Novák");
- one-character typos: every form with one character deleted (two names one edit apart share
  such a key, the "deletion neighbourhood" of SymSpell);
- the same phone, email, address, organisation, and birthday with the same first name letter.

Each candidate pair is scored Fellegi–Sunter style: the sum of log2(m/u) weights of the field
comparisons (m: how often the field agrees so for the same person, u: for two different people;
a name's u is its frequency among the customers, so a common name counts less). Every weight is
kept as evidence, which the Django layer says in words ("same birthday, name differs by one
character, different phone"). A pair is proposed when its score reaches the threshold, or when
it shares a phone or an email (those are never left out).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

THRESHOLD = 10.0  # score (bits of evidence) from which a pair is proposed
MAX_BLOCK = 200  # a name key shared by more people than this is too common to block on alone
MAX_CONTACT_BLOCK = 1000  # a phone/email shared by more than this is a shop's own number

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class Person:
    id: int
    family_name: str = ""
    given_name: str = ""
    birthday: date | None = None
    gender: str = ""
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()  # normalised with `address_key`
    organisations: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Evidence:
    code: str  # "name_same", "name_variant_chars", "phone_same", "birthday_differs", ...
    weight: float
    params: dict[str, object] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Match:
    first: int
    second: int
    score: float
    evidence: list[Evidence]

    @property
    def probability(self) -> float:
        """The chance the two are the same person, with the threshold as even odds."""
        return 1 / (1 + 2 ** (-(self.score - THRESHOLD)))


# Names -------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t")


def traditional(text: str) -> str:
    return _to_traditional().convert(text) if _CJK.search(text) else text


def _simplified(text: str) -> str:
    return _converter().convert(text) if _CJK.search(text) else text


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def _pinyin(text: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(p for p in lazy_pinyin(text) if p.strip())


@dataclass(frozen=True)
class NameForms:
    raw: str  # "family|given" as written
    folded: str  # simplified, case- and accent-free, family then given
    words: tuple[str, ...]  # latin words in order (pinyin for characters)
    key: str  # the words sorted and joined: the same for every writing of the name
    chars: str  # the characters (simplified), "" for a latin name
    is_cjk: bool


@lru_cache(maxsize=200_000)
def name_forms(family: str, given: str) -> NameForms:
    family, given = (family or "").strip(), (given or "").strip()
    folded = _fold(_simplified(f"{family} {given}")).strip()
    is_cjk = bool(_CJK.search(folded))
    words: list[str] = []
    for token in _WORD.findall(folded):
        if _CJK.search(token):
            words.append("".join(_pinyin(token)))  # 小明 -> "xiaoming", as pinyin is written
        else:
            words.append(token)
    chars = "".join(_CJK.findall(folded))
    return NameForms(
        raw=f"{family}|{given}",
        folded=folded,
        words=tuple(words),
        key=" ".join(sorted(words)),
        chars=chars,
        is_cjk=is_cjk,
    )


def _deletions(text: str) -> set[str]:
    return {text[:i] + text[i + 1 :] for i in range(len(text))}


def within_one_edit(a: str, b: str) -> bool:
    """Equal, or one insertion, deletion or substitution apart."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] if la == lb else a[i:] == b[i + 1 :]


def address_key(*parts: str) -> str:
    """An address without case, accents, spaces or punctuation ("Hlavná 5, Bratislava" =
    "hlavna 5 bratislava")."""
    return "".join(_WORD.findall(_fold(_simplified(" ".join(p for p in parts if p)))))


def blocking_keys(p: Person) -> set[str]:
    """The keys a person is filed under; two people sharing any key are compared."""
    keys: set[str] = set()
    names = name_forms(p.family_name, p.given_name)
    compact = names.key.replace(" ", "")
    if compact:
        keys.add("n:" + names.key)
        if len(compact) >= 4:
            keys.update("t:" + d for d in _deletions(compact))
        keys.add("t:" + compact)
    if len(names.chars) >= 2:
        keys.add("c:" + names.chars)
        if len(names.chars) >= 3:
            keys.update("c:" + d for d in _deletions(names.chars))
    keys.update("p:" + x for x in p.phones)
    keys.update("e:" + x for x in p.emails)
    keys.update("a:" + x for x in p.addresses if len(x) >= 6)
    keys.update(f"o:{x}" for x in p.organisations)
    if p.birthday and names.words:
        keys.add(f"b:{p.birthday.isoformat()}:{min(names.words)[:1]}")
    return keys


# Scoring -----------------------------------------------------------------------------------------

W_NAME_TYPO = math.log2(0.06 / 0.003)
W_NAME_DIFFERS = math.log2(0.03 / 0.99)
W_PHONE_SAME = math.log2(0.85 / 0.0001)
W_PHONE_DIFFERS = math.log2(0.2 / 0.99)
W_EMAIL_SAME = math.log2(0.85 / 0.0001)
W_EMAIL_DIFFERS = math.log2(0.2 / 0.99)
W_BIRTHDAY_SAME = math.log2(0.95 / (1 / 20000))
W_BIRTHDAY_DIFFERS = math.log2(0.01 / 0.99)
W_ADDRESS_SAME = math.log2(0.6 / 0.001)
W_ADDRESS_DIFFERS = math.log2(0.4 / 0.9)
W_ORGANISATION_SAME = math.log2(0.5 / 0.02)
W_GENDER_DIFFERS = math.log2(0.02 / 0.5)


def _name_same_weight(frequency: int, population: int) -> float:
    # the share of the other customers who hold the name (at least one in a thousand): a common
    # name agreeing says little; even a rare one alone stays under the threshold — two records
    # with one name and nothing else in common are not proposed
    u = max((frequency - 1) / max(population, 1000), 1e-3)
    return math.log2(0.9 / u)


def _name_evidence(a: NameForms, b: NameForms, frequency: int, population: int) -> Evidence:
    if not a.key or not b.key:
        return Evidence("name_missing", 0.0)
    if a.key == b.key:
        weight = _name_same_weight(frequency, population)
        params: dict[str, object] = {"people": frequency}
        if a.raw == b.raw:
            return Evidence("name_same", weight, params)
        if a.is_cjk and b.is_cjk and a.chars == b.chars:
            return Evidence("name_variant_chars", weight, params)
        if a.is_cjk and b.is_cjk and len(a.chars) == len(b.chars):
            # 王小明 / 王曉明: read the same, written with other characters (homophones are
            # common, so this counts less than the same characters)
            return Evidence("name_same_sound", weight - 3, params)
        if a.is_cjk != b.is_cjk:
            return Evidence("name_pinyin", weight, params)
        if a.words != b.words:
            return Evidence("name_swapped", weight, params)
        if a.raw.casefold() == b.raw.casefold():
            return Evidence("name_same", weight, params)
        return Evidence("name_diacritics", weight, params)
    if within_one_edit(a.key.replace(" ", ""), b.key.replace(" ", "")) or (
        a.chars
        and b.chars
        and len(a.chars) >= 2
        and within_one_edit(a.chars, b.chars)
        and len(a.chars) == len(b.chars)
    ):
        return Evidence("name_typo", W_NAME_TYPO)
    return Evidence("name_differs", W_NAME_DIFFERS)


def compare(
    a: Person, b: Person, name_frequency: dict[str, int] | None = None, population: int = 1
) -> Match:
    """Score one pair; `name_frequency` (name key -> people) makes common names count less."""
    fa, fb = name_forms(a.family_name, a.given_name), name_forms(b.family_name, b.given_name)
    freq = (name_frequency or {}).get(fa.key, 1)
    evidence = [_name_evidence(fa, fb, freq, population)]
    if a.phones and b.phones:
        shared = a.phones & b.phones
        evidence.append(
            Evidence("phone_same", W_PHONE_SAME, {"phone": min(shared)})
            if shared
            else Evidence("phone_differs", W_PHONE_DIFFERS)
        )
    if a.emails and b.emails:
        shared = a.emails & b.emails
        evidence.append(
            Evidence("email_same", W_EMAIL_SAME, {"email": min(shared)})
            if shared
            else Evidence("email_differs", W_EMAIL_DIFFERS)
        )
    if a.birthday and b.birthday:
        evidence.append(
            Evidence("birthday_same", W_BIRTHDAY_SAME)
            if a.birthday == b.birthday
            else Evidence("birthday_differs", W_BIRTHDAY_DIFFERS)
        )
    if a.addresses and b.addresses:
        evidence.append(
            Evidence("address_same", W_ADDRESS_SAME)
            if a.addresses & b.addresses
            else Evidence("address_differs", W_ADDRESS_DIFFERS)
        )
    if a.organisations & b.organisations:
        evidence.append(Evidence("organisation_same", W_ORGANISATION_SAME))
    if a.gender and b.gender and a.gender != b.gender:
        evidence.append(Evidence("gender_differs", W_GENDER_DIFFERS))
    evidence = [e for e in evidence if e.code != "name_missing"]
    score = round(sum(e.weight for e in evidence), 3)
    first, second = sorted((a.id, b.id))
    evidence.sort(key=lambda e: -abs(e.weight))
    return Match(first, second, score, evidence)


def _proposed(match: Match, threshold: float) -> bool:
    return match.score >= threshold or any(
        e.code in ("phone_same", "email_same") for e in match.evidence
    )


def candidate_pairs(people: Sequence[Person]) -> set[tuple[int, int]]:
    """Index pairs (i < j) of people sharing a blocking key (blocks too large are skipped)."""
    from .bulk import candidate_pairs as bulk_candidates

    return bulk_candidates(people)


def candidate_pairs_reference(people: Sequence[Person]) -> set[tuple[int, int]]:
    """`candidate_pairs` one key at a time in Python: the definition the bulk search is tested
    against."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(people):
        for key in blocking_keys(p):
            blocks[key].append(i)
    pairs: set[tuple[int, int]] = set()
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        cap = MAX_CONTACT_BLOCK if key[:2] in ("p:", "e:") else MAX_BLOCK
        if len(members) > cap:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                pairs.add((members[x], members[y]))
    return pairs


def name_frequencies(people: Iterable[Person]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for p in people:
        counts[name_forms(p.family_name, p.given_name).key] += 1
    return counts


def find_pairs(
    people: Sequence[Person],
    threshold: float = THRESHOLD,
    skip: set[tuple[int, int]] | None = None,
) -> list[Match]:
    """The proposed pairs, highest score first; `skip` holds (smaller id, larger id) pairs
    decided as different people. Set-based (`bulk.find_pairs`): the result of
    `find_pairs_reference`, in a fraction of the time."""
    from .bulk import find_pairs as bulk_find

    return bulk_find(people, threshold, skip)


def find_pairs_reference(
    people: Sequence[Person],
    threshold: float = THRESHOLD,
    skip: set[tuple[int, int]] | None = None,
) -> list[Match]:
    """`find_pairs` pair by pair in Python: the definition the bulk search is tested against."""
    skip = skip or set()
    freq = name_frequencies(people)
    n = len(people)
    out = []
    for i, j in candidate_pairs_reference(people):
        a, b = people[i], people[j]
        if a.id == b.id or tuple(sorted((a.id, b.id))) in skip:
            continue
        m = compare(a, b, freq, n)
        if _proposed(m, threshold):
            out.append(m)
    out.sort(key=lambda m: (-m.score, m.first, m.second))
    return out


def score_against(
    rows: Sequence[Person],
    existing: Sequence[Person],
    threshold: float = THRESHOLD,
    population: int | None = None,
) -> list[list[Match]]:
    """For each new row (its `id` may be anything, e.g. the row number), the existing people it
    probably is, best first. Blocking as for `find_pairs`; Match.first is the row's id, second the
    existing person's."""
    index: dict[str, list[int]] = defaultdict(list)
    for j, p in enumerate(existing):
        for key in blocking_keys(p):
            index[key].append(j)
    freq = name_frequencies(existing)
    n = population or max(len(existing), 1)
    out: list[list[Match]] = []
    for row in rows:
        seen: set[int] = set()
        for key in blocking_keys(row):
            members = index.get(key, ())
            cap = MAX_CONTACT_BLOCK if key[:2] in ("p:", "e:") else MAX_BLOCK
            if len(members) <= cap:
                seen.update(members)
        found = []
        for j in seen:
            m = compare(row, existing[j], freq, n)
            if _proposed(m, threshold):
                found.append(Match(row.id, existing[j].id, m.score, m.evidence))
        found.sort(key=lambda m: (-m.score, m.second))
        out.append(found)
    return out
