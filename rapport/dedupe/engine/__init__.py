"""The duplicate matcher: blocking keys and a Fellegi–Sunter score, without Django.

`Person` holds what the matcher compares; `find_pairs(people)` returns the candidate pairs with
their score and evidence (codes with parameters: the Django layer says them in words);
`score_against(new, people)` scores rows of an import against existing customers.
"""

from . import bulk
from .matching import (
    Evidence,
    Match,
    Person,
    blocking_keys,
    compare,
    find_pairs,
    name_forms,
    score_against,
)

__all__ = [
    "bulk",
    "Evidence",
    "Match",
    "Person",
    "blocking_keys",
    "compare",
    "find_pairs",
    "name_forms",
    "score_against",
]
