"""Metric primitives against scikit-learn and hand-computed cases (ties, degenerate classes)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from cxralign.tasks.metrics import (
    ap_metric,
    auroc,
    auroc_metric,
    average_precision,
    bootstrap_group_macro_ci,
    bootstrap_mean_ci,
    chance_average_precision,
    delong_test,
    mean_metric,
    paired_bootstrap,
    pairwise_credit,
    weighted_auroc,
    weighted_average_precision,
)


@pytest.fixture()
def tied_scores():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 300)
    scores = np.round(rng.normal(size=300) + labels, 1)  # many ties
    return labels, scores


def test_weighted_auroc_equals_sklearn_with_ties_and_weights(tied_scores):
    labels, scores = tied_scores
    assert weighted_auroc(labels, scores, np.ones(300))[0] == pytest.approx(roc_auc_score(labels, scores))
    weights = np.random.default_rng(0).integers(0, 4, size=(5, 300))
    for row in weights:
        expected = roc_auc_score(labels, scores, sample_weight=row)
        assert weighted_auroc(labels, scores, row)[0] == pytest.approx(expected)


def test_weighted_ap_equals_sklearn_with_ties_and_weights(tied_scores):
    labels, scores = tied_scores
    assert weighted_average_precision(labels, scores, np.ones(300))[0] == pytest.approx(
        average_precision_score(labels, scores)
    )
    for row in np.random.default_rng(1).integers(0, 4, size=(5, 300)):
        expected = average_precision_score(labels, scores, sample_weight=row)
        assert weighted_average_precision(labels, scores, row)[0] == pytest.approx(expected)


def test_hand_computed_auroc_with_ties():
    # positives 0.8, 0.5; negatives 0.5, 0.2: pairs (0.8>0.5)=1, (0.8>0.2)=1, (0.5=0.5)=0.5, (0.5>0.2)=1
    assert auroc([1, 1, 0, 0], [0.8, 0.5, 0.5, 0.2]) == pytest.approx(3.5 / 4)
    assert auroc([1, 0], [0.3, 0.3]) == 0.5


def test_degenerate_class_has_no_auroc_or_ap():
    assert auroc([1, 1, 1], [0.1, 0.2, 0.3]) is None
    assert auroc([], []) is None
    assert average_precision([0, 0], [0.1, 0.2]) is None
    assert auroc_metric(np.zeros(5), np.arange(5), 0, "k") is None
    assert (
        weighted_auroc([1, 1, 0], [0.1, 0.2, 0.3], [[1, 1, 0]])[0]
        != weighted_auroc([1, 1, 0], [0.1, 0.2, 0.3], [[1, 1, 0]])[0]
    )  # NaN for a resample holding one class


def test_auroc_and_ap_metric_intervals(tied_scores):
    labels, scores = tied_scores
    m = auroc_metric(labels, scores, 0, "auroc", n_boot=300)
    assert m.value == pytest.approx(roc_auc_score(labels, scores))
    assert m.ci_low < m.value < m.ci_high and m.chance == 0.5 and m.n == 300
    a = ap_metric(labels, scores, 0, "ap", n_boot=300)
    assert a.ci_low < a.value < a.ci_high
    assert a.chance == pytest.approx(chance_average_precision(300, int(labels.sum())))


def test_chance_average_precision_is_the_random_expectation():
    # every placement of 2 positives among 11 ranks is equally likely under a random ranking
    aps = []
    for i, j in itertools.combinations(range(11), 2):
        labels = np.zeros(11)
        labels[[i, j]] = 1
        aps.append(average_precision_score(labels, -np.arange(11.0)))
    assert chance_average_precision(11, 2) == pytest.approx(np.mean(aps))
    assert chance_average_precision(11, 1) == pytest.approx(sum(1 / k for k in range(1, 12)) / 11)
    assert chance_average_precision(5, 5) == pytest.approx(1.0)


def test_pairwise_credit_ties():
    assert pairwise_credit([1, 1, 0], [0, 1, 1]).tolist() == [1.0, 0.5, 0.0]


def test_bootstrap_is_seeded_by_seed_and_name():
    values = np.random.default_rng(0).random(100)
    assert bootstrap_mean_ci(values, 0, "a") == bootstrap_mean_ci(values, 0, "a")
    assert bootstrap_mean_ci(values, 0, "a") != bootstrap_mean_ci(values, 0, "b")
    assert bootstrap_mean_ci(values, 0, "a") != bootstrap_mean_ci(values, 1, "a")
    lo, hi = bootstrap_mean_ci(values, 0, "a")
    # normal-approximation interval of the mean as a sanity check on the percentile interval
    se = values.std() / np.sqrt(values.size)
    assert lo == pytest.approx(values.mean() - 1.96 * se, abs=0.02)
    assert hi == pytest.approx(values.mean() + 1.96 * se, abs=0.02)


def test_constant_values_give_a_zero_width_interval():
    m = mean_metric(np.ones(10), 0, "x", chance=0.5)
    assert (m.value, m.ci_low, m.ci_high, m.n, m.chance) == (1.0, 1.0, 1.0, 10, 0.5)
    assert mean_metric(np.array([]), 0, "x") is None


def test_group_macro_interval_brackets_macro_mean():
    values = np.r_[np.ones(90), np.zeros(10)]
    groups = np.r_[np.repeat("a", 90), np.repeat("b", 10)]
    lo, hi = bootstrap_group_macro_ci(values, groups, 0, "m")
    assert lo <= 0.5 <= hi  # macro mean is (1 + 0) / 2 whatever the resample


def _delong_reference(labels, a, b):
    """O(mn) structural components (DeLong et al., 1988)."""
    pos, neg = labels == 1, labels == 0
    comps = []
    for s in (a, b):
        x, y = s[pos], s[neg]
        psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        comps.append((psi.mean(), psi.mean(axis=1), psi.mean(axis=0)))
    v10 = np.cov(np.vstack([c[1] for c in comps]))
    v01 = np.cov(np.vstack([c[2] for c in comps]))
    cov = v10 / pos.sum() + v01 / neg.sum()
    return comps[0][0] - comps[1][0], np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])


def test_delong_matches_reference_and_sklearn(tied_scores):
    labels, a = tied_scores
    b = np.round(a + np.random.default_rng(5).normal(scale=1.0, size=a.size), 1)
    out = delong_test(labels, a, b)
    diff, se = _delong_reference(labels, a, b)
    assert out["auroc_a"] == pytest.approx(roc_auc_score(labels, a))
    assert out["auroc_b"] == pytest.approx(roc_auc_score(labels, b))
    assert out["diff"] == pytest.approx(diff)
    assert out["se"] == pytest.approx(se)
    assert 0 <= out["p_value"] <= 1
    same = delong_test(labels, a, a)
    assert same["diff"] == 0 and same["p_value"] == 1.0
    with pytest.raises(ValueError):
        delong_test(np.ones(4), a[:4], b[:4])


def test_paired_bootstrap_of_identical_systems():
    values = np.random.default_rng(0).random(50)
    out = paired_bootstrap(lambda w: w @ (values - values) / 50, 50, 0, "d")
    assert out == {"ci_low": 0.0, "ci_high": 0.0, "p_value": 1.0}
    better = paired_bootstrap(lambda w: w @ (values + 1 - values) / 50, 50, 0, "d")
    assert better["ci_low"] == pytest.approx(1.0) and better["p_value"] == 0.0
