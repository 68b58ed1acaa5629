"""The regression corpus of hand-written sentences, one group per negation-scope / hedge pattern.

``tests/fixtures/reports/regression/patterns.yaml`` holds the sentences (written for this project, no
corpus text) with the ChestX-ray14 label they must get and, for hedges, the CheXpert-vocabulary label.
Every rule of the decision table in docs/reports.md has its group here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cxralign.reports import analyze, report_labels

CORPUS = Path(__file__).parent / "fixtures" / "reports" / "regression" / "patterns.yaml"
PATTERNS: dict = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
CHEXPERT_OF = {
    "Atelectasis": "Atelectasis",
    "Cardiomegaly": "Cardiomegaly",
    "Effusion": "Pleural Effusion",
    "Infiltration": "Lung Opacity",
    "Mass": "Lung Lesion",
    "Nodule": "Lung Lesion",
    "Pneumonia": "Pneumonia",
    "Pneumothorax": "Pneumothorax",
    "Consolidation": "Consolidation",
    "Edema": "Edema",
}
CASES = [
    pytest.param(pattern, *case, id=f"{pattern}-{i}")
    for pattern, group in PATTERNS.items()
    for i, case in enumerate(group["cases"])
]


def test_every_pattern_has_at_least_20_sentences() -> None:
    assert set(PATTERNS) == {
        "denied_sign_denies_finding",
        "possibility_hedges",
        "leaning_hedges",
        "history_not_current",
        "degree_still_asserts",
        "unusual_head_nouns",
    }
    for pattern, group in PATTERNS.items():
        assert len(group["cases"]) >= 20, pattern


@pytest.mark.parametrize(("pattern", "text", "label", "cxr14", "chexpert"), [
    pytest.param(*p.values[:4], p.values[4] if len(p.values) > 4 else "unset", id=p.id) for p in CASES
])  # fmt: skip
def test_sentence_label(pattern: str, text: str, label: str, cxr14: float | None, chexpert: object) -> None:
    analysis = analyze(text)
    assert report_labels(analysis, "cxr14")[label] == cxr14
    if chexpert != "unset":
        assert report_labels(analysis, "chexpert")[CHEXPERT_OF[label]] == chexpert
