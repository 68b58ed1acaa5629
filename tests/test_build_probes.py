"""The probe ensemble: each probe finds the artefact it is built to see, and none beats chance on clean pairs."""

from __future__ import annotations

import random

import pytest

from cxralign.benchmark.blind import blind_baseline, pair_groups
from cxralign.benchmark.probes import FILTER_PROBES, PROBES, probe_accuracies

FINDINGS = ["effusion", "pneumothorax", "edema", "consolidation", "atelectasis", "nodule"]
FILLER = ["heart normal", "lungs clear", "bones intact", "no acute", "mediastinum normal", "aorta tortuous"]


def _pairs(n: int, plant: str | None, seed: int = 0) -> list[tuple[str, str]]:
    """Symmetric negate / affirm pairs; ``plant`` marks every variant with one kind of artefact."""
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        finding = rng.choice(FINDINGS)
        filler = ". ".join(rng.sample(FILLER, 3)) + f". case {i}"
        present, absent = f"{filler}. small {finding}.", f"{filler}. no {finding}."
        # which op a pair is drawn at random: by the parity of i, a character probe reading across
        # "case 13. small" would learn the op from the digit
        original, variant = (present, absent) if rng.random() < 0.5 else (absent, present)
        if plant == "word":
            variant = variant.replace(filler, filler + ". as before")
        elif plant == "char":
            variant = variant.replace(".", " .")  # a spacing habit no word tokeniser sees
        elif plant == "length":
            variant = variant + " " + " ".join(rng.sample(FILLER, 2)) + "."
        pairs.append((original, variant))
    return pairs


def _accuracies(pairs, probes=tuple(PROBES)):
    return probe_accuracies(pairs, pair_groups(pairs), seed=0, probes=probes)


def test_every_probe_is_near_chance_on_clean_pairs():
    for name, value in _accuracies(_pairs(300, None)).items():
        assert value < 0.6, (name, value)


@pytest.mark.parametrize(
    ("plant", "probe"),
    [("word", "word"), ("char", "char"), ("length", "lexical"), ("word", "phrase"), ("word", "sentinel"),
     ("char", "sentinel")],  # fmt: skip
)
def test_a_probe_detects_the_artefact_planted_for_it(plant, probe):
    assert _accuracies(_pairs(300, plant), (probe,))[probe] > 0.9


def test_the_word_probe_misses_what_only_characters_show():
    accuracies = _accuracies(_pairs(300, "char"), ("word", "char"))
    assert accuracies["char"] > 0.9 and accuracies["word"] < 0.65


def test_the_sentinel_is_never_a_filter_probe_and_the_build_reports_every_probe():
    assert "sentinel" in PROBES and "sentinel" not in FILTER_PROBES
    keyed = [(a, b, f"p{i}") for i, (a, b) in enumerate(_pairs(200, "length"))]
    report = blind_baseline("balanced", keyed)
    assert {f"{name}_accuracy" for name in PROBES} <= set(report)
    assert report["max_accuracy"] == max(report[f"{name}_accuracy"] for name in PROBES)
    assert report["near_chance"] is False
    # the balanced set's figure is a mean over fold draws, with its highest draw and an interval
    assert report["draws"] == 5 and report["max_single_draw"] >= report["max_accuracy"]
    low, high = report["max_ci95"]
    assert low <= report["max_accuracy"] <= high and report["pairs"] == 200
    assert "draws" not in blind_baseline("negate", keyed)  # one draw per op
