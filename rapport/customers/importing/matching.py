"""The seam through which a duplicate matcher scores import rows against existing customers.

customers sits below the apps that find duplicates, so it cannot call them; an app registers its
bulk scoring function here from its AppConfig.ready() (rapport.dedupe does):

    register_matcher(fn)   # fn(rows: list[dict]) -> list[list[dict]]

Each row is a dict (family_name, given_name, birthday, phones, emails, line1, city, postal_code);
for each row `fn` returns the existing customers it probably is, best first, as dicts with at
least "customer_id", "score" and "words" (the evidence in words, in the active language). The
customer importer asks it about rows that match nobody exactly and acts on the decision taken for
the row (options["decisions"]) or else on the job's "probable_matches" option: "ask" (the import
stops before writing, the row waits for a decision), "match" (update that customer), "new" (create
a customer anyway) or "skip" (leave the row out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Matcher = Callable[[list[dict[str, Any]]], list[list[dict[str, Any]]]]
POLICIES = ("ask", "match", "new", "skip")
# With "ask" a probable match stops the import before anything is written (RowError.review is
# this key, RowError.data holds the row and its candidates); the page registered for the key
# (rapport.core.registry.register_import_review) lets a person decide per row, and the import runs
# again with options["decisions"] = {row number: "new" | "skip" | a customer number}.
PROBABLE_MATCH = "probable_match"

_matchers: list[Matcher] = []


def register_matcher(fn: Matcher) -> None:
    if fn not in _matchers:
        _matchers.append(fn)


def probable_matches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """What the registered matcher says (the last registered), or no match for every row."""
    if not _matchers or not rows:
        return [[] for _ in rows]
    return _matchers[-1](rows)
