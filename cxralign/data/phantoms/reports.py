"""Radiology reports written from a study's findings, and the labels they imply.

Every sentence carries the CheXpert labels it asserts, so a report's labels are
exactly what its text says: a finding in the pixels that the report hedges is -1,
an absent finding the report negates is 0, and one it never mentions is blank.
Phrasing is deliberately plain radiology English that a CheXpert-style labeler
reads one way only (no "lines" outside devices, no "opacity" in a nodule sentence).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cxralign.data.phantoms.phrasing import POSITIVE_PHRASES, _sentence, _Writer, load_phrase_file
from cxralign.data.phantoms.spec import CHEXPERT_OF, Finding
from cxralign.vocab import CHEXPERT_14

Labels = dict[str, float | None]

_PATHOLOGIES = tuple(name for name in CHEXPERT_14 if name not in ("No Finding", "Support Devices"))


@dataclass
class Statement:
    text: str
    labels: dict[str, float] = field(default_factory=dict)
    group: str = "lungs"  # devices | lungs | pleura | heart | bones | other


# ------------------------------------------------------------- negation and normality

_PHRASES = load_phrase_file("report_phrases.yaml")
_NEGATIONS: list[tuple[tuple[str, ...], str, list[str]]] = [
    (tuple(entry["labels"]), entry["group"], list(entry["phrases"])) for entry in _PHRASES["negations"]
]
_NEGATION_RATE: dict[str, float] = _PHRASES["negation_rate"]
_INDICATIONS: list[str] = _PHRASES["indications"]
_EXAMS: list[str] = _PHRASES["exams"]
_NEUTRAL: list[str] = _PHRASES["neutral"]


def _positive_statements(
    w: _Writer, findings: tuple[Finding, ...], prior: set[str] | None
) -> list[Statement]:
    out = []
    for f in findings:
        writer, group = POSITIVE_PHRASES[f.name]
        text = writer(w, f, impression=False)
        value = -1.0 if f.uncertain else 1.0
        if prior is not None and not f.uncertain and f.name != "support_devices" and w.chance(0.35):
            text = (
                ("new " if f.name not in prior else w.pick(["unchanged ", "persistent "])) + text
                if _prefixable(text)
                else text
            )
        out.append(Statement(_sentence(text), {CHEXPERT_OF[f.name]: value}, group))
        if f.name == "consolidation" and not f.uncertain and w.chance(0.3):
            out.append(
                Statement(
                    _sentence(
                        w.pick(["this may represent pneumonia", "findings are concerning for pneumonia"])
                    ),
                    {"Pneumonia": -1.0},
                    "lungs",
                )
            )
    return out


def _prefixable(text: str) -> bool:
    first = text.split(" ", 1)[0]
    return first in {
        "small",
        "moderate",
        "large",
        "mild",
        "severe",
        "patchy",
        "discoid",
        "plate-like",
        "linear",
    } or first.endswith("lobe")


def _negation_statements(w: _Writer, mentioned: set[str], at_least_one: bool) -> list[Statement]:
    """Negate a random subset of the observations the report does not otherwise mention."""
    free = set(_PATHOLOGIES) - mentioned
    order = list(range(len(_NEGATIONS)))
    w.rng.shuffle(order)
    out = []
    for k in order:
        labels, group, phrases = _NEGATIONS[k]
        if not set(labels) <= free:
            continue
        rate = min(_NEGATION_RATE.get(label, 0.65) for label in labels)
        if len(labels) > 1:
            rate = 0.45
        if not w.chance(rate) and not (at_least_one and not out):
            continue
        free -= set(labels)
        out.append(Statement(_sentence(w.pick(phrases)), {label: 0.0 for label in labels}, group))
    return out


def aggregate_labels(statements: list[Statement]) -> Labels:
    """CheXpert aggregation: positive beats uncertain beats negative; unmentioned is blank."""
    labels: Labels = {name: None for name in CHEXPERT_14}
    rank = {1.0: 3, -1.0: 2, 0.0: 1}
    for statement in statements:
        for name, value in statement.labels.items():
            current = labels[name]
            if current is None or rank[value] > rank[current]:
                labels[name] = value
    if not any(labels[name] in (1.0, -1.0) for name in _PATHOLOGIES):
        labels["No Finding"] = 1.0
    return labels


def write_report(
    findings: tuple[Finding, ...], rng: np.random.Generator, *, prior: set[str] | None = None
) -> tuple[str, Labels]:
    """A report (FINDINGS and IMPRESSION) for ``findings`` and the labels its text gives.

    ``prior`` holds the finding names of the patient's previous study, if there is one.
    """
    w = _Writer(rng)
    positives = _positive_statements(w, findings, prior)
    mentioned = {label for s in positives for label in s.labels}
    negatives = _negation_statements(w, mentioned, at_least_one=len(positives) < 2)
    body = positives + negatives
    groups = ["devices", "lungs", "pleura", "heart", "bones"]
    if w.chance(0.35):
        w.rng.shuffle(groups)
    ordered = [s for g in groups for s in body if s.group == g]
    if w.chance(0.2):
        ordered.append(Statement(w.pick(_NEUTRAL), {}, "other"))

    pathologic = [f for f in findings if f.name != "support_devices"]
    impression: list[Statement] = []
    if pathologic:
        for f in pathologic:
            if len(impression) < 3 or w.chance(0.3):
                text = POSITIVE_PHRASES[f.name][0](w, f, impression=True)
                impression.append(
                    Statement(_sentence(text), {CHEXPERT_OF[f.name]: -1.0 if f.uncertain else 1.0})
                )
        if w.chance(0.3):
            impression.reverse()
    else:
        if findings and w.chance(0.5):
            f = findings[0]
            impression.append(
                Statement(
                    _sentence(POSITIVE_PHRASES[f.name][0](w, f, impression=True)), {"Support Devices": 1.0}
                )
            )
        impression.append(
            Statement(
                w.pick(
                    [
                        "No acute cardiopulmonary process.",
                        "No acute cardiopulmonary abnormality.",
                        "No acute intrathoracic process.",
                    ]
                ),
                {},
            )
        )

    header = "IMPRESSION:" if w.chance(0.7) else "Impression:"
    fheader = "FINDINGS:" if header.isupper() else "Findings:"
    parts = []
    if w.chance(0.4):
        parts.append(
            f"EXAMINATION: {w.pick(_EXAMS)}" if header.isupper() else f"Examination: {w.pick(_EXAMS)}"
        )
    if w.chance(0.4):
        parts.append(("INDICATION: " if header.isupper() else "Indication: ") + w.pick(_INDICATIONS))
    if prior is not None or w.chance(0.3):
        comparison = (
            w.pick(["Chest radiograph from {n} days earlier.", "Prior study from {n} days ago."]).format(
                n=int(rng.integers(1, 30))
            )
            if prior is not None
            else "None."
        )
        parts.append(("COMPARISON: " if header.isupper() else "Comparison: ") + comparison)
    parts.append(f"{fheader} " + " ".join(s.text for s in ordered))
    parts.append(f"{header} " + " ".join(s.text for s in impression))
    labels = aggregate_labels(body + impression)
    return "\n".join(parts), labels
