from hypothesis import given
from hypothesis import strategies as st

from rapport.core.names import display_name, fold, query_terms, search_terms

cjk = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=4
)
latin = st.text(alphabet="abcdefghijklmnopqrstuvwxyzáäčďéíĺľňóôŕšťúýž", min_size=2, max_size=15)


def test_cjk_names_read_family_first_without_space():
    assert display_name("王", "小明") == "王小明"
    assert display_name("歐陽", "娜娜") == "歐陽娜娜"


def test_western_names_read_given_first():
    assert display_name("Novák", "Ján") == "Ján Novák"
    assert display_name("", "Cher") == "Cher"


def test_fold_ignores_case_and_accents():
    assert fold("Ján ŠŤASTNÝ") == "jan stastny"
    assert fold("王小明") == "王小明"


@given(family=cjk, given_name=cjk)
def test_every_cjk_part_of_one_or_two_characters_is_indexed(family, given_name):
    terms = search_terms(family, given_name)
    name = family + given_name
    for i in range(len(family)):
        assert family[i] in terms
    for i in range(len(given_name) - 1):
        assert given_name[i : i + 2] in terms
    lookups, _ = query_terms(name[:2] if len(family) >= 2 else family)
    assert lookups and all(t in terms for t in lookups)


@given(word=latin)
def test_any_prefix_of_a_latin_name_finds_it(word):
    terms = search_terms(word, "")
    for n in range(2, len(word) + 1):
        lookups, checks = query_terms(word[:n].upper())
        assert lookups[0] in terms
        for fragment in checks:
            assert fragment in fold(word)
