"""The recommendations engine, without Django: methods, reasons, the split and the metrics."""

import datetime as dt

import numpy as np
import pytest

from rapport.recommendations import engine
from rapport.recommendations.engine import evaluation as ev
from rapport.recommendations.engine.synthetic import baskets


def test_returns_net_out_and_baskets_count_once():
    ds = engine.build_dataset(
        ["a", "a", "a", "b", "b"],
        ["p", "p", "q", "p", "p"],
        [1, 1, 2, 3, -3],  # b returned everything
        ["o1", "o1", "o1", "o2", "o3"],
    )
    m = ds.matrix.toarray()
    rows, cols = ds.row_of(), ds.column_of()
    assert m[rows["a"], cols["p"]] == 1  # two lines of one order: one purchase
    assert m[rows["a"], cols["q"]] == 1
    assert m[rows["b"], cols["p"]] == 0


def test_item_to_item_reason_counts_the_customers_who_bought_both():
    # 5 customers bought tea and a teapot; customer z bought only tea
    customers = [f"c{i}" for i in range(5) for _ in range(2)] + ["z"]
    products = ["tea", "teapot"] * 5 + ["tea"]
    ds = engine.build_dataset(customers, products)
    model = engine.ItemToItem().fit(ds.matrix)
    z = ds.row_of()["z"]
    [recs] = engine.recommend(model, ds.matrix, np.array([z]), k=1)
    assert ds.products[recs[0].product] == "teapot"
    assert recs[0].reason == "bought_with"
    assert ds.products[recs[0].because_of] == "tea"
    assert recs[0].customers == 5


def test_never_recommends_what_was_bought_unless_rebuyable():
    ds = engine.build_dataset(["a", "a", "b", "b", "c"], ["x", "y", "x", "y", "x"])
    model = engine.Popularity().fit(ds.matrix)
    c = ds.row_of()["c"]
    picks = engine.top_k(model, ds.matrix, np.array([c]), k=1)
    assert ds.products[picks[0][0]] == "y"  # not x, bought already
    rebuy = np.array([p == "x" for p in ds.products])
    picks = engine.top_k(model, ds.matrix, np.array([c]), k=2, rebuyable=rebuy)
    assert set(ds.products[picks[0]]) == {"x", "y"}


def test_time_split_never_leaks_test_purchases_into_training():
    tx = baskets(customers=300, products=60, seed=3)
    split = dt.date(2025, 7, 1)
    train_mask, test_mask = engine.time_split(tx["date"], split)
    assert (tx["date"][train_mask] < np.datetime64(split)).all()
    assert (tx["date"][test_mask] >= np.datetime64(split)).all()
    result = engine.evaluate_split(tx["customer"], tx["product"], tx["date"], split, k=10)
    train = result["_train"]
    expected = engine.build_dataset(tx["customer"][train_mask], tx["product"][train_mask])
    assert train.matrix.sum() == expected.matrix.sum()
    assert (train.matrix != expected.matrix).nnz == 0
    # adding test-period purchases changes nothing that the model trains on
    extra = {k: np.concatenate([v, v[test_mask][:50]]) for k, v in tx.items()}
    again = engine.evaluate_split(extra["customer"], extra["product"], extra["date"], split, k=10)
    assert (again["_train"].matrix != train.matrix).nnz == 0
    assert again["chosen"] == result["chosen"]


def test_metrics_of_a_perfect_and_a_useless_list():
    train = engine.build_dataset(["a", "a", "b", "b", "c"], ["x", "y", "y", "z", "z"])
    cols = train.column_of()
    rows = train.row_of()
    relevant = {rows["a"]: {cols["z"]}}
    # popularity after removing a's own x, y: z first
    m = ev.evaluate(train, relevant, "popularity", k=1)
    assert m.precision_at_k == 1.0 and m.recall_at_k == 1.0 and m.ndcg_at_k == pytest.approx(1.0)
    relevant = {rows["a"]: {-5}}  # a product new to the catalogue: never found
    m = ev.evaluate(train, relevant, "popularity", k=1)
    assert m.precision_at_k == 0.0 and m.ndcg_at_k == 0.0
    assert m.coverage == pytest.approx(1 / 3)


def test_the_models_beat_popularity_on_taste_driven_baskets():
    tx = baskets(customers=600, products=80, seed=5)
    result = engine.evaluate_split(
        tx["customer"], tx["product"], tx["date"], dt.date(2025, 7, 1), k=10
    )
    assert result["customers_evaluated"] > 100
    assert result["chosen"] in ("item_to_item", "als")
    assert result["model"]["precision_at_k"] > result["popularity"]["precision_at_k"]
    assert result["model"]["coverage"] > result["popularity"]["coverage"]


def test_the_method_is_chosen_by_its_held_out_ndcg_inside_the_training_period():
    from rapport.recommendations.engine.evaluation import CANDIDATES

    tx = baskets(customers=400, products=60, seed=9)
    split = dt.date(2025, 10, 1)
    result = engine.evaluate_split(tx["customer"], tx["product"], tx["date"], split, k=10)
    validation = result["_validation"]
    assert validation["split_date"] < split.isoformat()  # chosen without the test period
    best = max(CANDIDATES, key=lambda m: validation[m]["ndcg_at_k"])
    assert result["chosen"] == best
    assert {m: validation[m]["ndcg_at_k"] for m in CANDIDATES} != dict.fromkeys(CANDIDATES, 0.0)
