"""Customers with known duplicates of every kind the matcher must find: for tests and the bench.

`people(n, per_kind, seed)` returns the people and the true pairs {(smaller id, larger id): kind}.
Kinds: phone (same phone), email (same email), chars (the name in traditional characters or
other characters read the same, same birthday), pinyin (the name in pinyin, same birthday),
diacritics (accents dropped, same address), swapped (family and given name swapped, same
birthday), typo (one letter wrong, a different phone, same birthday), address (same address, a
different phone), organisation (same company, the same name, no other contact in common).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import replace
from datetime import date, timedelta

from .matching import Person

KINDS = (
    "phone",
    "email",
    "chars",
    "pinyin",
    "diacritics",
    "swapped",
    "typo",
    "address",
    "organisation",
)

FAMILIES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉鹏宇浩然欣怡子轩梓涵晓东"
)
# characters read like another one (王小明 / 王晓明)
HOMOPHONES = {
    "晓": "小",
    "小": "晓",
    "伟": "玮",
    "明": "铭",
    "华": "桦",
    "丽": "莉",
    "静": "婧",
    "杰": "洁",
}
SK_GIVEN = [
    "Ján",
    "Peter",
    "Mária",
    "Zuzana",
    "Tomáš",
    "Lucia",
    "Martin",
    "Katarína",
    "Michal",
    "Jana",
    "Ľubomír",
    "Štefan",
    "Anna",
    "Juraj",
    "Eva",
    "Róbert",
    "Dávid",
    "Ivana",
    "Miroslav",
    "Soňa",
]
SK_FAMILY = [
    "Novák",
    "Horváth",
    "Kováč",
    "Varga",
    "Tóth",
    "Nagy",
    "Baláž",
    "Szabó",
    "Molnár",
    "Šťastný",
    "Kučera",
    "Hudák",
    "Lukáč",
    "Polák",
    "Gregor",
    "Mráz",
    "Krajčír",
    "Čierny",
    "Hrušovský",
    "Žilka",
]
STREETS = ["Hlavná", "Nám. SNP", "中山路", "人民路", "Obchodná", "解放大道", "Mlynská", "和平街"]


def _strip(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text)).capitalize()


def people(
    n: int = 1000, per_kind: int = 20, seed: int = 0
) -> tuple[list[Person], dict[tuple[int, int], str]]:
    rng = random.Random(seed)
    out: list[Person] = []
    for i in range(1, n + 1):
        chinese = rng.random() < 0.5
        if chinese:
            family = rng.choice(FAMILIES)
            given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        else:
            family, given = rng.choice(SK_FAMILY), rng.choice(SK_GIVEN)
        birthday = (
            date(1950, 1, 1) + timedelta(days=rng.randrange(20000)) if rng.random() < 0.7 else None
        )
        out.append(
            Person(
                id=i,
                family_name=family,
                given_name=given,
                birthday=birthday,
                phones=frozenset({f"+86138{i:08d}"}) if rng.random() < 0.8 else frozenset(),
                emails=frozenset({f"person{i}@example.com"}) if rng.random() < 0.6 else frozenset(),
                addresses=frozenset({f"{rng.choice(STREETS)}{i}".casefold()})
                if rng.random() < 0.5
                else frozenset(),
                organisations=frozenset({rng.randrange(30)}) if rng.random() < 0.2 else frozenset(),
            )
        )
    truth: dict[tuple[int, int], str] = {}
    next_id = n + 1
    for kind in KINDS:
        made = 0
        tries = 0
        while made < per_kind and tries < per_kind * 50:
            tries += 1
            base = rng.choice(out[:n])
            cjk = base.family_name in FAMILIES
            dup = _duplicate(kind, base, cjk, next_id, rng)
            if dup is None:
                continue
            out.append(dup)
            truth[(base.id, dup.id)] = kind
            next_id += 1
            made += 1
    return out, truth


def _duplicate(kind: str, b: Person, cjk: bool, new_id: int, rng: random.Random) -> Person | None:
    blank = Person(id=new_id, family_name=b.family_name, given_name=b.given_name)
    other_phone = frozenset({f"+86139{new_id:08d}"})
    if kind == "phone":
        return replace(blank, phones=b.phones) if b.phones else None
    if kind == "email":
        return replace(blank, emails=b.emails, phones=other_phone) if b.emails else None
    if kind == "chars":
        if not cjk or not b.birthday:
            return None
        name = b.family_name + b.given_name
        variant = _traditional(name)
        if variant == name:
            swapped = [HOMOPHONES.get(c, c) for c in b.given_name]
            if "".join(swapped) == b.given_name:
                return None
            return replace(blank, given_name="".join(swapped), birthday=b.birthday)
        return replace(
            blank,
            family_name=_traditional(b.family_name),
            given_name=_traditional(b.given_name),
            birthday=b.birthday,
        )
    if kind == "pinyin":
        if not cjk or not b.birthday:
            return None
        return replace(
            blank,
            family_name=_pinyin(b.family_name),
            given_name=_pinyin(b.given_name),
            birthday=b.birthday,
        )
    if kind == "diacritics":
        if (
            cjk
            or not b.addresses
            or _strip(b.family_name + b.given_name) == b.family_name + b.given_name
        ):
            return None
        return replace(
            blank,
            family_name=_strip(b.family_name),
            given_name=_strip(b.given_name),
            addresses=b.addresses,
        )
    if kind == "swapped":
        if cjk or not b.birthday:
            return None
        return replace(
            blank, family_name=b.given_name, given_name=b.family_name, birthday=b.birthday
        )
    if kind == "typo":
        if cjk or not b.birthday or len(b.family_name) < 4:
            return None
        letters = list(b.family_name)
        pos = rng.randrange(1, len(letters))
        letters[pos] = "x" if letters[pos] != "x" else "y"
        return replace(blank, family_name="".join(letters), birthday=b.birthday, phones=other_phone)
    if kind == "address":
        return replace(blank, addresses=b.addresses, phones=other_phone) if b.addresses else None
    if kind == "organisation":
        return replace(blank, organisations=b.organisations) if b.organisations else None
    return None


def precision_recall(
    found: list[tuple[int, int]], truth: dict[tuple[int, int], str]
) -> dict[str, object]:
    """Overall precision and recall, and recall per kind. Two duplicates of one person are a true
    pair too (the clusters of the true pairs)."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in truth:
        parent[root(b)] = root(a)
    found_set = {tuple(sorted(p)) for p in found}
    true_found = [p for p in found_set if root(p[0]) == root(p[1])]
    per_kind: dict[str, list[int]] = {}
    for pair, kind in truth.items():
        hit, total = per_kind.setdefault(kind, [0, 0])
        per_kind[kind] = [hit + (pair in found_set), total + 1]
    return {
        "precision": len(true_found) / len(found_set) if found_set else 1.0,
        "recall": sum(p in found_set for p in truth) / len(truth) if truth else 1.0,
        "proposed": len(found_set),
        "recall_by_kind": {k: h / t for k, (h, t) in sorted(per_kind.items())},
    }
