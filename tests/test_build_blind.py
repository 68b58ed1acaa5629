"""Blind (text-only) baselines: grouping that prevents leaks, and sensitivity to a real artefact."""

from __future__ import annotations

import random

import numpy as np

from cxralign.benchmark.blind import balanced_pairs, blind_baselines, ngram_accuracy, pair_groups
from cxralign.reports import analyze
from cxralign.rewrite.context import _engine_observation_of
from cxralign.rewrite.phrases import PhraseBank


def test_pairs_of_one_patient_or_sharing_a_text_fall_in_one_group():
    pairs = [("a", "b"), ("c", "d"), ("a", "e"), ("f", "g"), ("h", "i")]
    groups = pair_groups(pairs, ["p1", "p2", "p3", "p2", "p4"])
    assert groups[0] == groups[2]  # same original text
    assert groups[1] == groups[3]  # same patient
    assert len({groups[0], groups[1], groups[4]}) == 3


def test_duplicated_reports_are_not_memorised_across_folds():
    """40 distinct pairs, each repeated 5 times: grouping by text keeps copies in one fold."""
    rng = random.Random(0)
    words = [f"w{i}" for i in range(400)]
    distinct = []
    for _ in range(40):
        original, variant = " ".join(rng.sample(words, 8)), " ".join(rng.sample(words, 8))
        distinct.append((original, variant))
    pairs = [pair for pair in distinct for _ in range(5)]
    leaky = ngram_accuracy(pairs, groups=np.arange(len(pairs)))  # a group per pair: copies in train and test
    grouped = ngram_accuracy(pairs)  # the default: copies grouped
    assert leaky["accuracy"] > 0.9
    assert grouped["accuracy"] < 0.75


def test_a_phrase_artefact_is_detected_and_a_clean_set_is_near_chance():
    rng = random.Random(1)
    findings = ["effusion", "pneumothorax", "edema", "consolidation", "atelectasis", "nodule"]
    clean, tell = [], []
    for i in range(200):
        finding = rng.choice(findings)
        filler = " ".join(
            rng.choice(["heart normal", "lungs clear", "bones intact", "no acute"]) for _ in range(3)
        )
        present, absent = f"{filler} small {finding}", f"{filler} no {finding}"
        clean.append((present, absent) if i % 2 else (absent, present))
        tell.append(
            (present, f"{filler} no left {finding}") if i % 2 else (absent, f"{filler} small {finding}")
        )
    assert ngram_accuracy(clean)["accuracy"] < 0.6
    assert ngram_accuracy(tell)["accuracy"] > 0.7


def test_balanced_set_carries_patients_and_equal_counts_per_finding():
    items = [
        {"op": op, "target": "Pneumothorax", "original": f"o{i}", "variant": f"v{i}", "_patient_key": f"p{i}"}
        for i, op in enumerate(["negate"] * 3 + ["affirm"] * 5)
    ]
    pairs = balanced_pairs(items)
    assert len(pairs) == 6 and all(len(pair) == 3 for pair in pairs)
    report = blind_baselines(items, ("negate", "affirm"))
    assert report["balanced"]["pairs"] == 6


def test_phrase_bank_collects_the_corpus_normal_impressions():
    bank = PhraseBank()
    observation_of = _engine_observation_of()
    for text in [
        "FINDINGS: No pneumothorax.\nIMPRESSION: No acute cardiopulmonary abnormality.",
        "FINDINGS: No pleural effusion.\nIMPRESSION: No acute cardiopulmonary abnormality.",
        "FINDINGS: Mild cardiomegaly.\nIMPRESSION: Mild cardiomegaly.",
    ]:
        bank.add(analyze(text), observation_of)
    assert dict(bank.normal) == {"No acute cardiopulmonary abnormality": 2}
    assert bank.sample_normal(random.Random(0)) == "No acute cardiopulmonary abnormality"
    assert PhraseBank().sample_normal(random.Random(0)) is None
