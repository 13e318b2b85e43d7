"""Suggesting category and department from the complaint's text, learnt from the organisation's
own past complaints (step 3).

Character n-grams (1 to 3 characters: they work for Chinese, which has no spaces, as well as for
Slovak and English) hashed into a fixed number of columns, and a multinomial naive Bayes model — a
linear model over those counts — written in numpy. Its accuracy is measured on a time split: the
model learns from the older 80 % of the complaints and is scored on the newest 20 %, never on the
rows it learnt from, next to the baseline of always suggesting the most common answer.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

BUCKETS = 2**15
MIN_ROWS = 20
MAX_ROWS = 20_000
CACHE_SECONDS = 600


def ngrams(text: str) -> list[int]:
    t = " ".join(text.lower().split())
    out = []
    for n in (1, 2, 3):
        for i in range(len(t) - n + 1):
            out.append(zlib.crc32(t[i : i + n].encode()) % BUCKETS)
    return out


@dataclass
class Model:
    labels: list[str]
    log_prior: np.ndarray
    log_lik: np.ndarray  # labels × buckets

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], alpha: float = 0.1) -> Model:
        names = sorted(set(labels))
        index = {n: i for i, n in enumerate(names)}
        counts = np.zeros((len(names), BUCKETS), dtype=np.float64)
        prior = np.zeros(len(names))
        for text, label in zip(texts, labels, strict=True):
            i = index[label]
            prior[i] += 1
            for col, c in Counter(ngrams(text)).items():
                counts[i, col] += c
        counts += alpha
        log_lik = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
        return cls(names, np.log(prior / prior.sum()), log_lik)

    def scores(self, texts: list[str]) -> np.ndarray:
        """Each text's score per label: the linear model over its sparse n-gram counts."""
        out = np.empty((len(texts), len(self.labels)))
        for row, text in enumerate(texts):
            counted = Counter(ngrams(text))
            cols = np.fromiter(counted.keys(), dtype=np.int64, count=len(counted))
            counts = np.fromiter(counted.values(), dtype=np.float64, count=len(counted))
            out[row] = self.log_lik[:, cols] @ counts + self.log_prior
        return out

    def predict(self, texts: list[str]) -> list[str]:
        return [self.labels[i] for i in self.scores(texts).argmax(axis=1)]

    def predict_one(self, text: str) -> tuple[str, float]:
        s = self.scores([text])[0]
        p = np.exp(s - s.max())
        p /= p.sum()
        i = int(p.argmax())
        return self.labels[i], float(p[i])


@dataclass
class Trained:
    category: Model
    department: Model | None
    accuracy: float  # category, on the newest 20 %
    baseline: float  # always the most common category of the older 80 %
    department_accuracy: float | None
    department_baseline: float | None
    rows: int
    tested: int


def evaluate(texts: list[str], labels: list[str]) -> tuple[float, float, int]:
    """Accuracy and most-common baseline on a time split (rows oldest first)."""
    cut = int(len(texts) * 0.8)
    train_x, train_y, test_x, test_y = texts[:cut], labels[:cut], texts[cut:], labels[cut:]
    if not test_x or len(set(train_y)) < 1:
        return 0.0, 0.0, 0
    model = Model.fit(train_x, train_y)
    predicted = model.predict(test_x)
    accuracy = sum(p == y for p, y in zip(predicted, test_y, strict=True)) / len(test_y)
    common = Counter(train_y).most_common(1)[0][0]
    baseline = sum(y == common for y in test_y) / len(test_y)
    return accuracy, baseline, len(test_y)


def train(rows: list[tuple[str, str, str | None]]) -> Trained | None:
    """rows: (text, category, department code or None), oldest first."""
    if len(rows) < MIN_ROWS:
        return None
    texts = [r[0] for r in rows]
    cats = [r[1] for r in rows]
    accuracy, baseline, tested = evaluate(texts, cats)
    routed = [(r[0], r[2]) for r in rows if r[2]]
    dept_model = dept_acc = dept_base = None
    if len(routed) >= MIN_ROWS:
        dept_acc, dept_base, _n = evaluate([t for t, _ in routed], [d or "" for _, d in routed])
        dept_model = Model.fit([t for t, _ in routed], [d or "" for _, d in routed])
    return Trained(
        Model.fit(texts, cats),
        dept_model,
        accuracy,
        baseline,
        dept_acc,
        dept_base,
        len(rows),
        tested,
    )


_cache: dict[str, Any] = {}


def trained() -> Trained | None:
    """The model of the organisation's complaints, retrained at most every few minutes."""
    from rapport.complaints.models import Complaint

    if _cache and time.monotonic() - _cache["at"] < CACHE_SECONDS:
        return _cache["model"]
    rows = list(
        Complaint.objects.order_by("-received_at", "-pk").values_list(
            "description", "category", "department__code"
        )[:MAX_ROWS]
    )
    rows.reverse()
    model = train(rows)
    _cache.update(at=time.monotonic(), model=model)
    return model


def reset() -> None:
    _cache.clear()


def suggestion(text: str) -> dict[str, Any] | None:
    """The suggested category and department for `text`, with how well the model did on the
    newest complaints against always suggesting the most common category; None when there is too
    little history (or no text)."""
    from rapport.complaints.choices import Category
    from rapport.staff.models import BUILTIN_DEPARTMENTS

    if not text or not text.strip():
        model = trained()
        return {"empty": True, "model": model} if model else None
    model = trained()
    if model is None:
        return None
    category, confidence = model.category.predict_one(text)
    department = model.department.predict_one(text)[0] if model.department else ""
    return {
        "category": category,
        "category_label": Category(category).label if category in Category.values else category,
        "department": department,
        "department_label": BUILTIN_DEPARTMENTS.get(department, department),
        "confidence": round(confidence * 100),
        "model": model,
        "accuracy": round(model.accuracy * 100),
        "baseline": round(model.baseline * 100),
    }
