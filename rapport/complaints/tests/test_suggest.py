"""Category and department suggestions from the complaint's text, in Chinese, Slovak and English,
scored on a time split against always suggesting the most common answer."""

import random

from rapport.complaints import suggest

TEXTS = {
    "transport": [
        "包裹在运输中损坏了",
        "箱子压坏了，快递很粗暴",
        "Balík prišiel poškodený počas prepravy",
        "The parcel was crushed in transit",
        "物流丢失了我的包裹",
        "Zásielka sa stratila",
    ],
    "product_quality": [
        "产品质量有缺陷，用了一周就坏了",
        "水壶漏水，质量太差",
        "Výrobok má chybu, prestal fungovať",
        "The kettle leaks, poor quality",
        "Spotrebič sa pokazil po týždni",
        "螺丝松动，做工差",
    ],
    "service": [
        "店员态度很差",
        "服務人員不禮貌",
        "Predavač bol nepríjemný a hrubý",
        "The staff were rude and unhelpful",
        "客服不专业",
        "Obsluha nevedela poradiť",
    ],
    "sales_contract": [
        "数量不对，少发了两件",
        "发票金额和合同不一致",
        "Dodali menej kusov, ako bolo v zmluve",
        "Wrong quantity delivered versus the contract",
        "交货时间比合同晚",
        "Faktúra nesedí so zmluvou",
    ],
}
DEPT = {
    "transport": "logistics",
    "product_quality": "quality",
    "service": "customer_service",
    "sales_contract": "sales",
}


def _rows(n, seed=1):
    rng = random.Random(seed)
    weights = {"transport": 5, "product_quality": 3, "service": 1, "sales_contract": 1}
    cats = [c for c, w in weights.items() for _ in range(w)]
    rows = []
    for _ in range(n):
        cat = rng.choice(cats)
        text = rng.choice(TEXTS[cat]) + " " + rng.choice(["", "请尽快处理", "prosím", "please"])
        rows.append((text, cat, DEPT[cat]))
    return rows


def test_beats_always_the_most_common_on_a_time_split():
    trained = suggest.train(_rows(200))
    assert trained is not None
    assert trained.tested == 40  # the newest 20 %, never learnt from
    assert trained.accuracy > trained.baseline
    assert trained.accuracy >= 0.9
    assert trained.department_accuracy > trained.department_baseline


def test_suggests_across_languages():
    trained = suggest.train(_rows(200))
    assert trained.category.predict_one("快递把箱子压坏了")[0] == "transport"
    assert trained.category.predict_one("Predavač bol hrubý")[0] == "service"
    assert trained.department.predict_one("the kettle leaks")[0] == "quality"


def test_too_little_history_suggests_nothing():
    assert suggest.train(_rows(5)) is None
