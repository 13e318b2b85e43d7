"""Satisfaction in the documents' terms, and the usual scores with honest uncertainty.

Pure functions (no database): the services store their results, the dashboard and the tests call
them directly.

- Gap: experience − expectation on the same scale; below zero the customer is *dissatisfied*,
  zero *satisfied*, above zero *delighted* (perceived performance against expectation).
- CSAT: the share of "satisfied" answers to the overall-satisfaction question (the top two points
  of a 1–5 scale, the top three of a 1–7 scale), with a Wilson score interval.
- NPS: % promoters (9–10) − % detractors (0–6) on the 0–10 question. Its interval is the
  *adjusted Wald* interval for a difference of two proportions of one trinomial sample: add 3/4 of
  an answer to promoters and to detractors and 3/2 to passives (n + 3), then
  NPS ± z·√((p⁺ + p⁻ − (p⁺ − p⁻)²) / (n + 3)), clipped to [−100, 100]. Unlike the plain Wald
  interval it does not shrink to a point when all answers are promoters or n = 1.
- Effort: the mean of the customer-effort question (1 = very easy … 7 = very hard on a 1–7 scale),
  with a Student t interval (none for n < 2).
Every figure comes with its sample size; the pages show "too few answers" below MIN_ANSWERS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from rapport.surveys.choices import GapLabel, QuestionKind

CONFIDENCE = 0.95
MIN_ANSWERS = 10  # below this a score is shown with its interval and "few answers"


def gap_and_label(expectation: int, experience: int) -> tuple[int, str]:
    gap = experience - expectation
    if gap < 0:
        return gap, GapLabel.DISSATISFIED.value
    if gap == 0:
        return gap, GapLabel.SATISFIED.value
    return gap, GapLabel.DELIGHTED.value


def is_satisfied(kind: str, value: int) -> bool:
    """A CSAT "satisfied" answer: 4–5 of 5, 5–7 of 7."""
    top = 5 if kind == QuestionKind.SCALE_5 else 7
    return value >= top - (1 if top == 5 else 2)


def is_dissatisfied_scale(kind: str, value: int) -> bool:
    """An overall-satisfaction answer low enough to call the customer back: 1–2 of 5, 1–3 of 7."""
    return value <= (2 if kind == QuestionKind.SCALE_5 else 3)


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


@dataclass(frozen=True)
class Score:
    value: float | None  # a percentage (CSAT), −100…100 (NPS) or a mean (effort)
    low: float | None
    high: float | None
    n: int

    @property
    def few(self) -> bool:
        return self.n < MIN_ANSWERS


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a proportion (as fractions)."""
    if n == 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def csat(satisfied: int, n: int, confidence: float = CONFIDENCE) -> Score:
    if n == 0:
        return Score(None, None, None, 0)
    low, high = wilson(satisfied, n, confidence)
    return Score(100 * satisfied / n, 100 * low, 100 * high, n)


def nps(promoters: int, passives: int, detractors: int, confidence: float = CONFIDENCE) -> Score:
    n = promoters + passives + detractors
    if n == 0:
        return Score(None, None, None, 0)
    value = 100 * (promoters - detractors) / n
    z = _z(confidence)
    n_adj = n + 3
    p_pro = (promoters + 0.75) / n_adj
    p_det = (detractors + 0.75) / n_adj
    centre = p_pro - p_det
    variance = (p_pro + p_det - centre * centre) / n_adj
    half = z * math.sqrt(variance)
    return Score(value, max(-100.0, 100 * (centre - half)), min(100.0, 100 * (centre + half)), n)


def nps_group(value: int) -> str:
    if value >= 9:
        return "promoter"
    if value >= 7:
        return "passive"
    return "detractor"


def mean_interval(values: list[float], confidence: float = CONFIDENCE) -> Score:
    n = len(values)
    if n == 0:
        return Score(None, None, None, 0)
    mean = sum(values) / n
    if n < 2:
        return Score(mean, None, None, n)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return Score(mean, mean - half, mean + half, n)


def mean_interval_from_sums(
    n: int, total: float, total_sq: float, confidence: float = CONFIDENCE
) -> Score:
    """The same from the database's count, sum and sum of squares (no rows in Python)."""
    if n == 0:
        return Score(None, None, None, 0)
    mean = total / n
    if n < 2:
        return Score(mean, None, None, n)
    variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    half = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1)) * math.sqrt(variance / n)
    return Score(mean, mean - half, mean + half, n)
