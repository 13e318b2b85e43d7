"""The matcher without Django: forms of a name, evidence, and precision/recall on generated data."""

from datetime import date

import pytest

from rapport.dedupe.engine import Person, compare, find_pairs, name_forms, score_against
from rapport.dedupe.engine.synthetic import KINDS, people, precision_recall


@pytest.mark.parametrize(
    "first,second,code",
    [
        (("王", "曉明"), ("王", "晓明"), "name_variant_chars"),
        (("王", "曉明"), ("王", "小明"), "name_same_sound"),
        (("Zhang", "Wei"), ("张", "伟"), "name_pinyin"),
        (("Novák", "Ján"), ("Ján", "Novak"), "name_swapped"),
        (("Novák", "Ján"), ("Novak", "Jan"), "name_diacritics"),
        (("Horváth", "Peter"), ("Horvát", "Peter"), "name_typo"),
        (("Horváth", "Peter"), ("Kováč", "Eva"), "name_differs"),
    ],
)
def test_names_written_differently_are_recognised(first, second, code):
    a = Person(1, *first, birthday=date(1990, 5, 1))
    b = Person(2, *second, birthday=date(1990, 5, 1))
    m = compare(a, b)
    assert m.evidence[-1].code == code or code in [e.code for e in m.evidence]
    if code != "name_differs":
        assert m.score >= 10  # with the same birthday: proposed


def test_one_name_and_nothing_else_is_not_proposed_but_a_shared_phone_always_is():
    a, b = Person(1, "Novák", "Ján"), Person(2, "Novák", "Ján")
    assert find_pairs([a, b]) == []
    c = Person(3, "Kováč", "Eva", phones=frozenset({"+421900000001"}))
    d = Person(
        4, "Kováčová", "Mária", phones=frozenset({"+421900000001"}), birthday=date(1980, 1, 1)
    )
    [m] = find_pairs([c, d])
    assert "phone_same" in [e.code for e in m.evidence]


def test_blocking_catches_the_hard_kinds():
    assert name_forms("張", "偉").key == name_forms("Zhang", "Wei").key
    assert name_forms("Novák", "Ján").key == name_forms("Jan", "Novak").key


def test_precision_and_recall_on_generated_duplicates_of_every_kind():
    population, truth = people(n=2000, per_kind=20, seed=7)
    found = find_pairs(population)
    result = precision_recall([(m.first, m.second) for m in found], truth)
    assert set(result["recall_by_kind"]) == set(KINDS)
    # the easy kinds are never missed
    assert result["recall_by_kind"]["phone"] == 1.0
    assert result["recall_by_kind"]["email"] == 1.0
    assert result["recall"] >= 0.95
    assert result["precision"] >= 0.9


def test_import_rows_are_scored_against_existing_people():
    existing = [
        Person(10, "王", "小明", phones=frozenset({"+8613800000001"})),
        Person(11, "Novák", "Ján", birthday=date(1970, 3, 3)),
    ]
    rows = [
        Person(0, "王", "晓明", phones=frozenset({"+8613800000001"})),
        Person(1, "Jan", "Novak", birthday=date(1970, 3, 3)),
        Person(2, "Someone", "Else"),
    ]
    matches = score_against(rows, existing)
    assert [m.second for m in matches[0]] == [10]
    assert [m.second for m in matches[1]] == [11]
    assert matches[2] == []


def test_the_set_based_search_finds_exactly_what_the_pair_by_pair_search_finds():
    # the bulk search (name groups, hashed keys, a vectorised bound) against the definition:
    # every candidate pair, every proposed pair with its score and evidence, and the skip list
    from rapport.dedupe.engine import bulk, matching

    population, truth = people(n=1500, per_kind=15, seed=11)
    assert bulk.candidate_pairs(population) == matching.candidate_pairs_reference(population)
    skip = set(list(truth)[:5])

    def seen(found):
        return [
            (m.first, m.second, m.score, [(e.code, e.weight, e.params) for e in m.evidence])
            for m in found
        ]

    found = find_pairs(population, skip=skip)
    assert seen(found) == seen(matching.find_pairs_reference(population, skip=skip))
    assert not {(m.first, m.second) for m in found} & skip
    assert len(found) > len(truth) // 2


def test_people_sharing_only_a_birthday_are_scored_exactly_only_when_their_names_are_one_edit_apart():
    # the bound checks "one edit apart" itself: a shared birthday with a name two letters off
    # cannot reach the threshold, so it is not scored pair by pair (and not proposed)
    from rapport.dedupe.engine import bulk, matching

    day = date(1985, 7, 14)
    population = [
        Person(1, "Kováčová", "Mária", birthday=day),
        Person(2, "Kováčová", "Márie", birthday=day),  # one letter: a typo
        Person(3, "Kollárová", "Mária", birthday=day),  # more than one letter
        Person(4, "张", "伟", birthday=day),
        Person(5, "张", "玮", birthday=day),  # one character of two
    ]
    stats: dict[str, int] = {}
    found = bulk.find_pairs(population, stats=stats)
    pairs = {(m.first, m.second) for m in found}
    assert pairs == {(m.first, m.second) for m in matching.find_pairs_reference(population)}
    assert (1, 2) in pairs and (1, 3) not in pairs and (2, 3) not in pairs
    assert stats["scored_exactly"] == len(found)
