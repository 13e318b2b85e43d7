"""The whole-file duplicate search, set-based: the same blocking and score as `matching`, in bulk.

`matching.compare` scores one pair in Python (about 15 µs); a million customers give tens of
millions of candidate pairs, so the search works on columns instead:

1. Blocking keys are computed once per *distinct name* (names repeat: the folding, pinyin and
   deletion neighbourhood are the expensive part) and once per customer for the contact keys,
   then numbered: every (key, customer) is a pair of integers.
2. Blocks are the runs of one key after one sort; blocks larger than their cap are skipped (as
   in `matching.candidate_pairs`), and the pairs of the others are enumerated with numpy, a few
   million at a time.
3. Each chunk of pairs gets an *upper bound* of its score from integer columns (the same name
   key, padded matrices of phone/email/address/organisation ids, birthday, gender): the name's
   weight is taken as its best case (a one-character typo when the keys differ), and for the
   pairs that would reach the threshold only so, the names are checked for being one edit apart
   (once per distinct pair of name groups). A pair whose bound stays under the threshold and
   which shares no phone or email cannot be proposed.
4. The few pairs left are scored exactly by `matching.compare`, which gives the evidence in
   words; so the result is the pure-Python search's result (tested), only faster.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from . import matching as m

PAIR_CHUNK = 4_000_000  # candidate pairs enumerated and bounded at a time
SET_WIDTH = 4  # phones/emails/addresses/organisations compared per customer in the columns


def _codes(values: list, ids: dict | None = None) -> tuple[np.ndarray, dict]:
    """Consecutive integers for the values (the first seen gets 0), and the value -> id dict."""
    ids = {} if ids is None else ids
    codes = [ids.setdefault(v, len(ids)) for v in values]
    return np.array(codes, dtype=np.int64), ids


def _padded(person: np.ndarray, ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """An n × SET_WIDTH matrix of each person's ids (-1 empty), and who has more (overflow)."""
    order = np.argsort(person, kind="stable")
    person, ids = person[order], ids[order]
    counts = np.bincount(person, minlength=n)
    rank = np.arange(len(person)) - np.repeat(np.cumsum(counts) - counts, counts)
    out = np.full((n, SET_WIDTH), -1, dtype=np.int64)
    keep = rank < SET_WIDTH
    out[person[keep], rank[keep]] = ids[keep]
    return out, counts > SET_WIDTH


class Columns:
    """What the blocking and the bound need, one row per person (index in the given sequence).

    People whose names fold to the same forms (NameForms.key and .chars) form a *name group*:
    they share every name key, so the name blocks are formed over groups, not people. The name
    forms are computed once per distinct name."""

    def __init__(self, people: Sequence[m.Person]) -> None:
        n = len(people)
        self.n = n
        name_code, names = _codes([(p.family_name, p.given_name) for p in people])
        groups: dict[tuple[str, str], int] = {}
        group_name_key: list[str] = []
        group_chars: list[str] = []
        group_letter: list[str] = []
        name_group = []
        for family, given in names:  # in code order
            key, chars, words = _name_parts(family, given)
            g = groups.setdefault((key, chars), len(groups))
            if g == len(group_name_key):
                group_name_key.append(key)
                group_chars.append(chars)
                group_letter.append(min(words)[:1] if words else "")
            name_group.append(g)
        self.groups = len(group_name_key)
        # what `matching._name_evidence` compares when the name keys differ (one edit apart?)
        self.group_compact = [k.replace(" ", "") for k in group_name_key]
        self.group_chars = group_chars
        self.group = np.array(name_group, dtype=np.int64)[name_code] if n else name_code
        self.group_key, self.group_of_key = _name_key_hashes(group_name_key, group_chars)
        self.name_cap = m.MAX_BLOCK
        # contact and birthday keys: (key, person), numbered kind after kind, with their cap
        keys, persons, caps = [], [], []
        offset = 0
        sets = {}
        for kind, values in (
            ("phones", lambda p: p.phones),
            ("emails", lambda p: p.emails),
            ("addresses", lambda p: p.addresses),
            ("organisations", lambda p: p.organisations),
        ):
            pairs = [(i, x) for i, p in enumerate(people) for x in values(p)]
            person = np.array([i for i, _ in pairs], dtype=np.int64)
            ids, found = _codes([x for _, x in pairs])
            sets[kind] = _padded(person, ids, n)
            use = np.ones(len(pairs), dtype=bool)
            if kind == "addresses":  # a short address says too little to block on
                use = np.array([len(x) >= 6 for _, x in pairs], dtype=bool)
            keys.append(ids[use] + offset)
            persons.append(person[use])
            cap = m.MAX_CONTACT_BLOCK if kind in ("phones", "emails") else m.MAX_BLOCK
            caps.append(np.full(len(found), cap, dtype=np.int64))
            offset += len(found)
        self.birthday = np.array(
            [p.birthday.toordinal() if p.birthday else 0 for p in people], dtype=np.int64
        )
        letter_code, letters = _codes(group_letter, {"": 0})
        letter = letter_code[self.group] if n else self.group
        has = (self.birthday > 0) & (letter > 0)
        day_letter, found = _codes((self.birthday[has] * len(letters) + letter[has]).tolist())
        keys.append(day_letter + offset)
        persons.append(np.flatnonzero(has))
        caps.append(np.full(len(found), m.MAX_BLOCK, dtype=np.int64))
        self.key = np.concatenate(keys)
        self.person = np.concatenate(persons)
        self.cap = np.concatenate(caps)
        gk, name_key_ids = _codes(group_name_key, {"": -1})
        self.name_key = gk[self.group] if n else self.group
        counts = np.bincount(self.name_key[self.name_key >= 0], minlength=len(name_key_ids) - 1)
        # the frequency dict `compare` reads (name key -> people), and the weight of agreeing
        self.frequency = {key: int(counts[kid]) for key, kid in name_key_ids.items() if kid >= 0}
        u = np.maximum((counts - 1) / max(n, 1000), 1e-3)
        self.same_name_weight = np.log2(0.9 / u) if len(u) else u
        self.phones, over_p = sets["phones"]
        self.emails, over_e = sets["emails"]
        self.addresses, over_a = sets["addresses"]
        self.organisations, over_o = sets["organisations"]
        self.overflow = over_p | over_e | over_a | over_o
        self.gender = _codes([p.gender for p in people], {"": 0})[0]


@lru_cache(maxsize=500_000)
def _part(text: str) -> tuple[tuple[str, ...], str]:
    """The words (pinyin for characters) and the characters of one part of a name."""
    folded = m._fold(m._simplified(text))
    words = tuple(
        "".join(m._pinyin(token)) if m._CJK.search(token) else token
        for token in m._WORD.findall(folded)
    )
    return words, "".join(m._CJK.findall(folded))


def _name_parts(family: str, given: str) -> tuple[str, str, tuple[str, ...]]:
    """`name_forms(family, given)`'s key, chars and words, from the family and the given name
    folded apart (each part recurs far more often than the whole name: 505,011 distinct names
    among 1,000,000 demo customers). The parts are separated by a space, which no folding,
    conversion or word crosses; a part starting with a combining mark is folded whole."""
    family, given = (family or "").strip(), (given or "").strip()
    if given and unicodedata.combining(given[0]):
        forms = m.name_forms(family, given)
        return forms.key, forms.chars, forms.words
    fw, fc = _part(family)
    gw, gc = _part(given)
    words = fw + gw
    return " ".join(sorted(words)), fc + gc, words


# odd 64-bit weights, one per character position (fixed: the same name hashes the same in every run)
_RANDOM_WEIGHTS = np.random.default_rng(20261206).integers(
    1, 2**62, 256, dtype=np.uint64
) * np.uint64(2) + np.uint64(1)
_SALT = {"n": np.uint64(0x9E3779B97F4A7C15), "t": np.uint64(0xC2B2AE3D27D4EB4F), "c": np.uint64(7)}


def _string_hashes(
    texts: list[str], kind: str, deletions_from: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the texts (Σ code point × weight of its position, plus the kind's salt),
    with one row per text; and with `deletions_from`, those of every text of at least that many
    characters with one character deleted (SymSpell's neighbourhood: the string with position p
    left out is hashed as the shorter string it is). Returns (hash, row index into texts)."""
    n = len(texts)
    width = max((len(t) for t in texts), default=0)
    if not n or not width:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if width > len(_RANDOM_WEIGHTS):
        raise ValueError("name too long to hash")
    codes = np.array(texts, dtype=f"<U{width}").view(np.uint32).reshape(n, width).astype(np.uint64)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    w = _RANDOM_WEIGHTS[:width]
    with np.errstate(over="ignore"):
        full = (codes * w).sum(axis=1, dtype=np.uint64) + _SALT[kind]
        hashes = [full[lengths > 0]]
        rows = [np.flatnonzero(lengths > 0)]
        if deletions_from is not None and width > 1:
            # before p: weights as they are; after p: each shifted one place down
            before = np.cumsum(codes * w, axis=1, dtype=np.uint64) - codes * w
            shifted = codes[:, 1:] * w[: width - 1]
            after = np.cumsum(shifted[:, ::-1], axis=1, dtype=np.uint64)[:, ::-1]
            after = np.concatenate([after, np.zeros((n, 1), dtype=np.uint64)], axis=1)
            deleted = before + after + _SALT[kind]
            ok = (np.arange(width)[None, :] < lengths[:, None]) & (
                lengths[:, None] >= deletions_from
            )
            r, p = np.nonzero(ok)
            hashes.append(deleted[r, p])
            rows.append(r)
    return np.concatenate(hashes).view(np.int64), np.concatenate(rows)


def _name_key_hashes(keys: list[str], chars: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The name part of `matching.blocking_keys` for every name group, as (key hash, group),
    each pair once: "n:" the key; "t:" the key without spaces, and (from 4 letters) its
    one-deletion neighbourhood; "c:" the characters (from 2), and (from 3) their neighbourhood."""
    compact = [k.replace(" ", "") for k in keys]
    n_hash, n_row = _string_hashes(keys, "n", None)
    t_hash, t_row = _string_hashes(compact, "t", 4)
    long_chars = [c if len(c) >= 2 else "" for c in chars]
    c_hash, c_row = _string_hashes(long_chars, "c", 3)
    key = np.concatenate([n_hash, t_hash, c_hash])
    group = np.concatenate([n_row, t_row, c_row])
    order = np.lexsort((group, key))
    key, group = key[order], group[order]
    if len(key) > 1:
        first = np.concatenate([[True], (key[1:] != key[:-1]) | (group[1:] != group[:-1])])
        key, group = key[first], group[first]
    return key, group


def _runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal values in a sorted array."""
    if not len(key):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1])
    return starts, np.diff(np.concatenate([starts, [len(key)]]))


def _within(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (a < b) of every pair inside each run [start, start + size)."""
    total = int(sizes.sum())
    rank = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    members = np.repeat(starts, sizes) + rank
    after = np.repeat(sizes, sizes) - 1 - rank
    left = np.repeat(members, after)
    right = left + 1 + (np.arange(int(after.sum())) - np.repeat(np.cumsum(after) - after, after))
    return left, right


def _across(s1: np.ndarray, h1: np.ndarray, s2: np.ndarray, h2: np.ndarray):
    """Positions of every pair (one of run 1, one of run 2) for each pair of runs."""
    counts = h1 * h2
    t = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    width = np.repeat(h2, counts)
    return np.repeat(s1, counts) + t // width, np.repeat(s2, counts) + t % width


def _budgeted(counts: np.ndarray, budget: int):
    """Slices of consecutive items whose counts add up to about `budget`."""
    b = 0
    cumulative = np.cumsum(counts)
    while b < len(counts):
        before = cumulative[b - 1] if b else 0
        end = max(b + 1, int(np.searchsorted(cumulative, before + budget, side="right")))
        yield slice(b, end)
        b = end


def pair_chunks(cols: Columns, budget: int = PAIR_CHUNK):
    """(i, j) index arrays (i < j) of people sharing a block, about `budget` pairs at a time.

    Name blocks are formed over name groups: the people of one group are paired once (not once
    per shared key), two groups sharing a name key once per pair of groups. A contact or
    birthday key pairs its holders once per key, so a pair may come a few times."""
    holders = np.bincount(cols.group, minlength=cols.groups) if cols.n else np.zeros(0, int)
    by_group = np.argsort(cols.group, kind="stable")  # people, group by group, ids ascending
    group_start = np.cumsum(holders) - holders
    # name blocks: a key's size is the number of people of its groups
    order = np.lexsort((cols.group_of_key, cols.group_key))
    key, grp = cols.group_key[order], cols.group_of_key[order]
    starts, runs = _runs(key)
    size = np.add.reduceat(holders[grp], starts) if len(starts) else starts
    ok = (size >= 2) & (size <= cols.name_cap)
    # the people of a group in at least one usable block are paired with each other
    usable = np.zeros(cols.groups, dtype=bool)
    usable[grp[np.repeat(ok, runs)]] = True
    same = np.flatnonzero(usable & (holders >= 2))
    for part in _budgeted(holders[same] * (holders[same] - 1) // 2, budget):
        g = same[part]
        left, right = _within(group_start[g], holders[g])
        yield by_group[left], by_group[right]
    # two groups sharing a usable block: every person of one with every person of the other
    several = ok & (runs >= 2)
    a, b = _within(starts[several], runs[several])
    if len(a):
        packed = _unique(grp[a] * cols.groups + grp[b])
        g1, g2 = packed // cols.groups, packed % cols.groups
        for part in _budgeted(holders[g1] * holders[g2], budget):
            x, y = g1[part], g2[part]
            left, right = _across(group_start[x], holders[x], group_start[y], holders[y])
            i, j = by_group[left], by_group[right]
            yield np.minimum(i, j), np.maximum(i, j)
    # contact and birthday keys, person by person
    order = np.lexsort((cols.person, cols.key))
    key, person = cols.key[order], cols.person[order]
    starts, sizes = _runs(key)
    if len(starts):
        ok = (sizes >= 2) & (sizes <= cols.cap[key[starts]])
        starts, sizes = starts[ok], sizes[ok]
    for part in _budgeted(sizes * (sizes - 1) // 2, budget):
        left, right = _within(starts[part], sizes[part])
        yield person[left], person[right]  # sorted by person within a key: left < right


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (numpy's hash-based unique is several times slower here)."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    return values[np.concatenate([[True], values[1:] != values[:-1]])]


def _shared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise: do the id rows of a and b have a value in common?"""
    out = np.zeros(len(a), dtype=bool)
    for x in range(a.shape[1]):
        ax = a[:, x]
        if not (ax >= 0).any():
            continue
        for y in range(b.shape[1]):
            out |= (ax >= 0) & (ax == b[:, y])
    return out


def one_edit_apart(cols: Columns, gi: np.ndarray, gj: np.ndarray) -> np.ndarray:
    """Row-wise, for name groups with different name keys: would `matching.compare` call the
    names a one-character typo (name keys, or characters of the same length, one edit apart)?
    Checked once per distinct pair of groups."""
    if not len(gi):
        return np.zeros(0, dtype=bool)
    packed = np.minimum(gi, gj) * cols.groups + np.maximum(gi, gj)
    distinct, where = np.unique(packed, return_inverse=True)
    compact, chars, edit = cols.group_compact, cols.group_chars, m.within_one_edit
    typo = np.fromiter(
        (
            edit(compact[a], compact[b])
            or (len(chars[a]) >= 2 and len(chars[a]) == len(chars[b]) and edit(chars[a], chars[b]))
            for a, b in zip(
                (distinct // cols.groups).tolist(), (distinct % cols.groups).tolist(), strict=True
            )
        ),
        dtype=bool,
        count=len(distinct),
    )
    return typo[where.reshape(-1)]


def upper_bound(
    cols: Columns, i: np.ndarray, j: np.ndarray, threshold: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The best score each pair could reach under `matching.compare`, and whether it shares a
    phone or an email (then it is proposed whatever the score). With `threshold`, the names of
    the pairs that could reach it only as a typo are checked for being one edit apart (most
    people with the same birthday have names further apart); without, a typo is assumed."""
    score = np.zeros(len(i))
    ka, kb = cols.name_key[i], cols.name_key[j]
    named = (ka >= 0) & (kb >= 0)
    same = named & (ka == kb)
    differs = named & ~same
    score += np.where(same, cols.same_name_weight[np.maximum(ka, 0)], 0.0)
    score += np.where(differs, m.W_NAME_TYPO, 0.0)
    over = cols.overflow[i] | cols.overflow[j]

    def contact(matrix: np.ndarray, w_same: float, w_differs: float) -> np.ndarray:
        a, b = matrix[i], matrix[j]
        both = (a[:, 0] >= 0) & (b[:, 0] >= 0)
        hit = _shared(a, b) | (over & both)
        nonlocal score
        score += np.where(both & hit, w_same, np.where(both, w_differs, 0.0))
        return both & hit

    phone = contact(cols.phones, m.W_PHONE_SAME, m.W_PHONE_DIFFERS)
    email = contact(cols.emails, m.W_EMAIL_SAME, m.W_EMAIL_DIFFERS)
    contact(cols.addresses, m.W_ADDRESS_SAME, m.W_ADDRESS_DIFFERS)
    org = _shared(cols.organisations[i], cols.organisations[j]) | over
    score += np.where(org, m.W_ORGANISATION_SAME, 0.0)
    ba, bb = cols.birthday[i], cols.birthday[j]
    both = (ba > 0) & (bb > 0)
    score += np.where(both, np.where(ba == bb, m.W_BIRTHDAY_SAME, m.W_BIRTHDAY_DIFFERS), 0.0)
    ga, gb = cols.gender[i], cols.gender[j]
    score += np.where((ga > 0) & (gb > 0) & (ga != gb), m.W_GENDER_DIFFERS, 0.0)
    if threshold is not None:
        check = np.flatnonzero(differs & (score >= threshold) & ~(phone | email))
        far = ~one_edit_apart(cols, cols.group[i[check]], cols.group[j[check]])
        score[check[far]] -= m.W_NAME_TYPO - m.W_NAME_DIFFERS
    return score, phone | email


def find_pairs(
    people: Sequence[m.Person],
    threshold: float = m.THRESHOLD,
    skip: set[tuple[int, int]] | None = None,
    stats: dict[str, int] | None = None,
) -> list[m.Match]:
    """`matching.find_pairs`, set-based. `stats` (if given) receives the counts of each stage."""
    skip = skip or set()
    n = len(people)
    if n < 2:
        return []
    cols = Columns(people)
    candidates = survivors = 0
    keep: list[np.ndarray] = []
    margin = 1e-6  # compare() rounds the score to 3 decimals
    for i, j in pair_chunks(cols):
        candidates += len(i)
        floor = threshold - 1e-3 - margin
        bound, contact = upper_bound(cols, i, j, floor)
        ok = (bound >= floor) | contact
        keep.append(i[ok] * n + j[ok])
    packed = _unique(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)
    out = []
    for pi, pj in zip((packed // n).tolist(), (packed % n).tolist(), strict=True):
        a, b = people[pi], people[pj]
        if a.id == b.id or ((a.id, b.id) if a.id < b.id else (b.id, a.id)) in skip:
            continue
        survivors += 1
        match = m.compare(a, b, cols.frequency, n)
        if m._proposed(match, threshold):
            out.append(match)
    out.sort(key=lambda x: (-x.score, x.first, x.second))
    if stats is not None:
        stats.update(candidate_pairs=candidates, scored_exactly=survivors, proposed=len(out))
    return out


def candidate_pairs(people: Sequence[m.Person]) -> set[tuple[int, int]]:
    cols = Columns(people)
    out: set[tuple[int, int]] = set()
    for i, j in pair_chunks(cols):
        packed = _unique(i * cols.n + j)
        out.update(zip((packed // cols.n).tolist(), (packed % cols.n).tolist(), strict=True))
    return out


__all__ = [
    "Columns",
    "candidate_pairs",
    "find_pairs",
    "one_edit_apart",
    "pair_chunks",
    "upper_bound",
]
