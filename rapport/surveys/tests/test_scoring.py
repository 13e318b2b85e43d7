"""Gap and label, and the scores' intervals against scipy and statsmodels."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from rapport.surveys import scoring

scale = st.integers(min_value=1, max_value=7)


@given(scale, scale)
def test_gap_is_experience_minus_expectation_and_labels_follow_its_sign(expectation, experience):
    gap, label = scoring.gap_and_label(expectation, experience)
    assert gap == experience - expectation
    if experience < expectation:
        assert label == "dissatisfied"
    elif experience == expectation:
        assert label == "satisfied"
    else:
        assert label == "delighted"


@given(st.lists(st.tuples(scale, scale), min_size=1, max_size=30))
def test_on_an_answer_table_the_labels_partition_the_answers(rows):
    labels = [scoring.gap_and_label(e, x)[1] for e, x in rows]
    assert labels.count("dissatisfied") == sum(1 for e, x in rows if x < e)
    assert labels.count("delighted") == sum(1 for e, x in rows if x > e)
    assert len(labels) == len(rows)


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (3, 4), (17, 20), (40, 100), (999, 1000)])
def test_wilson_matches_statsmodels(k, n):
    low, high = scoring.wilson(k, n)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-9)
    assert high == pytest.approx(ref_high, abs=1e-9)


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (3, 4), (17, 20), (40, 100), (999, 1000)])
def test_wilson_matches_scipy(k, n):
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = scoring.wilson(k, n)
    assert low == pytest.approx(ref.low, abs=1e-9) and high == pytest.approx(ref.high, abs=1e-9)


def test_csat_of_four_answers_is_never_a_bare_percentage():
    score = scoring.csat(3, 4)
    assert score.value == 75 and score.n == 4 and score.few
    assert score.low < 40 and score.high > 95  # a wide interval says how little four answers show


def test_effort_interval_matches_scipy_t_interval():
    values = [2, 3, 3, 4, 1, 5, 2, 2]
    score = scoring.mean_interval(values)
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=sum(values) / len(values), scale=stats.sem(values)
    )
    assert score.low == pytest.approx(low) and score.high == pytest.approx(high)
    from statsmodels.stats.weightstats import DescrStatsW

    sm_low, sm_high = DescrStatsW(values).tconfint_mean(alpha=0.05)
    assert score.low == pytest.approx(sm_low) and score.high == pytest.approx(sm_high)
    sums = scoring.mean_interval_from_sums(len(values), sum(values), sum(v * v for v in values))
    assert sums.low == pytest.approx(low) and sums.high == pytest.approx(high)


def test_nps_edge_cases():
    assert scoring.nps(0, 0, 0).value is None
    everyone = scoring.nps(12, 0, 0)
    assert everyone.value == 100 and everyone.high == 100 and everyone.low < 100
    assert scoring.nps(0, 1, 0).value == 0  # one passive: neither promoter nor detractor
    assert scoring.nps(0, 0, 1).value == -100
    one = scoring.nps(1, 0, 0)
    assert one.value == 100 and one.n == 1 and one.low < 0  # one answer tells almost nothing
    nobody = scoring.nps(0, 0, 5)
    assert nobody.value == -100 and nobody.low == -100 and nobody.high > -100
    mixed = scoring.nps(50, 30, 20)
    assert mixed.value == 30 and mixed.low < 30 < mixed.high


def test_nps_interval_is_the_documented_adjusted_wald():
    p, pa, d = 40, 35, 25
    n = p + pa + d + 3
    pp, pd = (p + 0.75) / n, (d + 0.75) / n
    half = stats.norm.ppf(0.975) * ((pp + pd - (pp - pd) ** 2) / n) ** 0.5
    score = scoring.nps(p, pa, d)
    assert score.low == pytest.approx(100 * (pp - pd - half))
    assert score.high == pytest.approx(100 * (pp - pd + half))


def test_nps_groups():
    assert [scoring.nps_group(v) for v in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
