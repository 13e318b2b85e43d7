"""Recommendations engine: what a customer is likely to buy next, from purchase history.

A library on numpy/scipy/polars — no Django imports — so it runs in the refresh task, the CLI
(`rapport recommend evaluate`) and scripts alike. Three methods share one interface
(`fit(matrix)`, `scores(matrix, rows)`):

- `ItemToItem`: Amazon's item-to-item collaborative filtering (Linden, Smith & York 2003): the
  cosine similarity of two products over the customers who bought them; a customer's candidates
  are the products most similar to what they bought. Its reason is in the data: "bought with X by
  N customers".
- `ImplicitALS`: matrix factorisation for implicit feedback (Hu, Koren & Volinsky 2008) by
  alternating least squares, confidence 1 + alpha·log(1 + purchases).
- `Popularity`: the baseline every method must beat.

`evaluate.time_split` splits transactions at a date (train strictly before, test on or after),
`evaluate.evaluate` measures precision@k, recall@k, nDCG@k and catalogue coverage on the customers
with purchases on both sides (the test purchases a method could have offered: not a product the
customer had already bought unless it is bought again), and `evaluate.choose` picks the method and
its settings by a validation split inside the training period, never by looking at the test
purchases.
"""

from .data import Dataset, build_dataset, rebuyable_from_history
from .evaluation import Metrics, choose, evaluate, evaluate_split, time_split
from .models import METHODS, ImplicitALS, ItemToItem, Popularity, make_model
from .recommend import REASONS, Recommendation, co_buyers_of, recommend, recommend_columns, top_k

__all__ = [
    "METHODS",
    "REASONS",
    "Dataset",
    "ImplicitALS",
    "ItemToItem",
    "Metrics",
    "Popularity",
    "Recommendation",
    "build_dataset",
    "choose",
    "evaluate",
    "evaluate_split",
    "make_model",
    "rebuyable_from_history",
    "co_buyers_of",
    "recommend",
    "recommend_columns",
    "time_split",
    "top_k",
]
