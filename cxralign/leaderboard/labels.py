"""Short column labels for the leaderboard tables, with the full name kept for hover and legend.

Metric names such as ``negation.accuracy_macro`` are exact but wide; a table
of a dozen of them cannot fit a screen. Each dotted or underscored word is
shortened from the table below (a word not listed is kept whole), so a new
metric gets a sensible label without a code change.
"""

from __future__ import annotations

import re

WORD_ABBREVIATIONS = {
    "accuracy": "acc",
    "affirmation": "Affirm",
    "auroc": "AUROC",
    "ap": "AP",
    "balanced": "Bal",
    "classes": "Classes",
    "evaluated": "eval",
    "degenerate": "degen",
    "f1": "F1",
    "grounded": "grnd",
    "items": "Items",
    "laterality": "Side",
    "macro": "macro",
    "margin": "margin",
    "mean": "mean",
    "negation": "Neg",
    "omission": "Omit",
    "order": "order",
    "overall": "All",
    "scored": "scored",
    "severity": "Sev",
    "three_way": "3-way",
    "top1": "top-1",
}

FINDING_ABBREVIATIONS = {
    "No Finding": "No find.",
    "Enlarged Cardiomediastinum": "Enl. CM",
    "Cardiomegaly": "Cardiomeg.",
    "Lung Opacity": "Opacity",
    "Lung Lesion": "Lesion",
    "Edema": "Edema",
    "Consolidation": "Consol.",
    "Pneumonia": "Pneumonia",
    "Atelectasis": "Atelect.",
    "Pneumothorax": "PTX",
    "Pleural Effusion": "Effusion",
    "Pleural Other": "Pleural oth.",
    "Fracture": "Fracture",
    "Support Devices": "Devices",
}

METRIC_DESCRIPTIONS = {
    "negation.accuracy": "Task A: true report preferred over its negated edit",
    "omission.accuracy": "Task B: true report preferred over the edit that omits the finding",
    "affirmation.accuracy": "true report preferred over an edit affirming an absent finding",
    "laterality.accuracy": "true report preferred over the side-swapped edit",
    "severity.accuracy": "true report preferred over the severity-swapped edit",
    "negation.grounded": "negation credit only where the image, not the text, decides (controls)",
    "balanced.accuracy": "negate and affirm items of each finding weighted equally, macro over findings: "
    "a text prior scores chance",
    "grounded.accuracy": "the text pair scored against control images for which the edit holds: "
    "a perfect model scores 1, a text prior 0.5",
    "three_way.order": "original > omitted > negated, all three in order",
    "three_way.top1": "original ranked first of the three",
    "auroc.mean": "mean AUROC over classes",
    "ap.mean": "mean average precision over classes",
    "f1.mean": "mean F1 at the validation threshold",
}


def metric_label(name: str) -> str:
    """``negation.accuracy_macro`` -> ``Neg acc macro``; ``auroc.mean@10%`` -> ``AUROC mean@10%``."""
    head, sep, tail = name.partition("@")
    words = [w for w in re.split(r"[./]|_(?!way)", head) if w]
    short = " ".join(WORD_ABBREVIATIONS.get(w.lower(), w) for w in words)
    return f"{short}{sep}{tail}".replace("-", "\u2011")  # a non-breaking hyphen: "top-1" stays whole


def finding_label(name: str) -> str:
    return FINDING_ABBREVIATIONS.get(name, name)


def metric_description(name: str) -> str:
    return METRIC_DESCRIPTIONS.get(name, "")
