"""Retrieval ranks over the full gallery (larger than a batch), identical reports, chance levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxralign.tasks import get_task
from cxralign.tasks.retrieval import chance_mrr, chance_recall, first_hit_ranks, normalise_report


def _brute_force(queries, gallery, q_groups, g_groups):
    ranks = []
    for q, group in zip(queries, q_groups, strict=True):
        sims = gallery @ q
        best = sims[g_groups == group].max()
        ranks.append(1 + int(np.sum((sims >= best) & (g_groups != group))))
    return np.array(ranks)


def test_full_gallery_larger_than_a_chunk_matches_brute_force():
    rng = np.random.default_rng(0)
    n = 700
    queries = rng.normal(size=(n, 8)).astype(np.float32)
    gallery = (queries + rng.normal(scale=2.0, size=(n, 8))).astype(np.float32)
    groups = np.arange(n)
    groups[::7] = 0  # a block of identical reports
    ranks = first_hit_ranks(queries, gallery, groups, groups, chunk=64)  # 11 chunks
    assert np.array_equal(ranks, _brute_force(queries, gallery, groups, groups))
    assert ranks.max() > 64  # some first hits lie beyond any single chunk


def test_identical_reports_count_as_hits_and_ties_count_against():
    gallery = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], dtype=np.float32)
    query = np.array([[1.0, 0.0]], dtype=np.float32)
    # query's own report is item 1, identical text to item 0: item 0 ranks first and is a hit
    assert first_hit_ranks(query, gallery, np.array([5]), np.array([5, 5, 6]))[0] == 1
    # different texts: item 0 (a non-hit) outranks the hit
    assert first_hit_ranks(query, gallery, np.array([5]), np.array([4, 5, 6]))[0] == 2
    # a constant scorer ties everything: the hit ranks last among ties
    flat = np.ones((3, 2), dtype=np.float32)
    assert first_hit_ranks(query, flat, np.array([5]), np.array([4, 5, 6]))[0] == 3
    assert normalise_report("No  acute\nfindings.") == normalise_report("no acute findings.")


def test_chance_levels():
    assert chance_recall(1, np.array([1]), np.array([10])) == pytest.approx(0.1)
    assert chance_recall(5, np.array([2]), np.array([10])) == pytest.approx(1 - (5 * 4) / (10 * 9))
    assert chance_recall(10, np.array([1]), np.array([5])) == 1.0
    assert chance_mrr(np.array([1]), np.array([4])) == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)


def test_metrics_from_scores_hand_computed():
    scores = pd.DataFrame(
        {
            "direction": ["image_to_text"] * 4,
            "item_id": list("abcd"),
            "rank": [1, 2, 6, 20],
            "n_hits": 1,
            "gallery_size": 20,
        }
    )
    metrics, _ = get_task("retrieval").metrics_from_scores(scores, {"seed": 0, "bootstrap": 100})
    assert metrics["image_to_text.R@1"].value == 0.25
    assert metrics["image_to_text.R@5"].value == 0.5
    assert metrics["image_to_text.R@10"].value == 0.75
    assert metrics["image_to_text.median_rank"].value == 4.0
    assert metrics["image_to_text.mrr"].value == pytest.approx((1 + 1 / 2 + 1 / 6 + 1 / 20) / 4)
    assert metrics["image_to_text.R@1"].chance == pytest.approx(1 / 20)
