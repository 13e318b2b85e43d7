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


def test_test_purchases_no_method_may_offer_are_neither_hits_nor_misses():
    # before the split a bought the kettle and tea (tea a consumable); after it, the kettle again
    # (never offered again: not counted), tea again (counted) and a cup (counted); b bought only
    # the kettle again: nothing any method could have offered, so b is not evaluated
    train = engine.build_dataset(
        ["a", "a", "b", "c", "c"], ["kettle", "tea", "kettle", "cup", "tea"]
    )
    test = engine.build_dataset(["a", "a", "a", "b"], ["kettle", "tea", "cup", "kettle"])
    cols, rows = train.column_of(), train.row_of()
    rebuyable = np.array([p == "tea" for p in train.products.tolist()])
    relevant = ev._relevant(test, train, rebuyable)
    assert relevant == {rows["a"]: {cols["tea"], cols["cup"]}}
    # without consumables nothing bought before counts
    assert ev._relevant(test, train, None) == {rows["a"]: {cols["cup"]}}


def test_the_baseline_and_the_model_are_scored_on_the_same_customers_and_purchases():
    tx = baskets(customers=400, products=60, seed=11)
    split = dt.date(2025, 10, 1)
    result = engine.evaluate_split(tx["customer"], tx["product"], tx["date"], split, k=10)
    train = result["_train"]
    train_mask, test_mask = engine.time_split(tx["date"], split)
    test = engine.build_dataset(tx["customer"][test_mask], tx["product"][test_mask])
    relevant = ev._relevant(test, train, engine.rebuyable_from_history(train.matrix))
    assert result["customers_evaluated"] == len(relevant)
    popularity = ev.evaluate(
        train, relevant, "popularity", 10, engine.rebuyable_from_history(train.matrix)
    )
    assert result["popularity"] == popularity.as_dict()


def test_the_settings_are_chosen_on_the_validation_split_and_used_for_the_test():
    tx = baskets(customers=400, products=60, seed=9)
    split = dt.date(2025, 10, 1)
    result = engine.evaluate_split(tx["customer"], tx["product"], tx["date"], split, k=10)
    validation = result["_validation"]
    chosen = result["chosen"]
    assert validation["params"] == validation["settings"][chosen]
    tried = ev.settings_to_try(chosen, result["_train"].matrix, np.array([True]))
    assert validation["params"] in tried
    assert tried[0] in (
        {"similarity": "cosine", "repeat": 0.0},
        {"factors": 7, "regularization": 0.1, "repeat": 0.0},
    )


def test_a_large_history_compares_the_defaults_only():
    from scipy import sparse

    big = sparse.random(10, 10, density=0.5, format="csr")
    ev_limit = ev.SEARCH_PURCHASES
    try:
        ev.SEARCH_PURCHASES = 10
        assert ev.settings_to_try("als", big, None) == [{}]
        assert ev.settings_to_try("item_to_item", big, None) == [{}]
    finally:
        ev.SEARCH_PURCHASES = ev_limit


def test_conditional_similarity_damps_popular_candidates():
    # everybody buys the charger; the phone's buyers also buy its case
    customers = [f"c{i}" for i in range(20) for _ in range(2)]
    products = ["charger", "phone"] * 10 + ["charger", "radio"] * 10
    customers += ["p0", "p0", "p1", "p1", "p2", "p2", "z"]
    products += ["phone", "case", "phone", "case", "phone", "case", "phone"]
    ds = engine.build_dataset(customers, products)
    z = np.array([ds.row_of()["z"]])
    cosine = engine.ItemToItem(similarity="cosine").fit(ds.matrix)
    conditional = engine.ItemToItem(similarity="conditional", alpha=1.0).fit(ds.matrix)
    col = ds.column_of()
    s_cos = cosine.scores(ds.matrix, z)[0]
    s_con = conditional.scores(ds.matrix, z)[0]
    assert s_cos[col["charger"]] > s_cos[col["case"]]  # cosine: the popular charger first
    assert s_con[col["case"]] > s_con[col["charger"]]  # damped: the phone's own accessory


def test_repeat_weight_puts_the_consumable_a_customer_keeps_buying_first():
    customers = ["a"] * 4 + ["b", "b", "c", "c"]
    products = ["filter", "filter", "filter", "purifier", "purifier", "lamp", "purifier", "lamp"]
    baskets_ = ["1", "2", "3", "1", "4", "4", "5", "5"]
    ds = engine.build_dataset(customers, products, baskets=baskets_)
    rebuyable = np.array([p == "filter" for p in ds.products.tolist()])
    a = np.array([ds.row_of()["a"]])
    plain = engine.top_k(engine.ItemToItem().fit(ds.matrix), ds.matrix, a, 1, rebuyable)
    again = engine.top_k(engine.ItemToItem(repeat=1.0).fit(ds.matrix), ds.matrix, a, 1, rebuyable)
    assert ds.products[plain[0][0]] == "lamp"
    assert ds.products[again[0][0]] == "filter"
