"""Score the engine's negation detection on the NegEx annotated sentence set (Chapman et al., 2001).

Each row names a condition and a sentence; the condition's span is the upper-case occurrence the
annotator marked (else the first case-insensitive one) and the engine's assertion of that span is
compared with the physician's Negated / Affirmed label. Precision, recall and F1 are for the negated
class, as GenNegEx reports them (v1.2: P 0.933, R 0.959, F1 0.946).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import f1_score, precision_score, recall_score

from cxralign.errors import InputError
from cxralign.reports.engine import Engine
from cxralign.reports.records import Assertion


@dataclass(frozen=True)
class NegationScore:
    sentences: int
    not_found: int  # conditions that do not occur verbatim in their sentence (counted as affirmed)
    precision: float
    recall: float
    f1: float
    errors: tuple[tuple[str, str, str], ...]  # (gold, condition, sentence) for every disagreement


def condition_span(sentence: str, condition: str) -> tuple[int, int] | None:
    upper = sentence.find(condition.upper())
    start = upper if upper >= 0 else sentence.lower().find(condition.lower())
    return None if start < 0 else (start, start + len(condition))


def score_negex(path: str | Path, engine: Engine | None = None) -> NegationScore:
    engine = engine or Engine()
    try:
        lines = Path(path).read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read the NegEx annotation file {path}: {exc.strerror}") from None
    gold: list[bool] = []
    predicted: list[bool] = []
    errors: list[tuple[str, str, str]] = []
    not_found = 0
    for line in lines[1:]:
        fields = line.split("\t")
        if len(fields) < 4:
            continue
        condition, sentence, status = fields[1], fields[2], fields[3].strip().lower()
        span = condition_span(sentence, condition)
        negated = False
        if span is None:
            not_found += 1
        else:
            negated = engine.assert_span(sentence, *span)[0] is Assertion.NEGATED
        gold.append(status == "negated")
        predicted.append(negated)
        if negated != gold[-1]:
            errors.append((status, condition, sentence))
    return NegationScore(
        sentences=len(gold),
        not_found=not_found,
        precision=float(precision_score(gold, predicted)),
        recall=float(recall_score(gold, predicted)),
        f1=float(f1_score(gold, predicted)),
        errors=tuple(errors),
    )


# -- OpenI: report labels against the human MeSH indexing -------------------------------------------

OPENI_MESH: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Atelectasis": (("atelectas",), ()),
    "Cardiomegaly": (("cardiomegaly",), ()),
    "Effusion": (("pleural effusion",), ()),
    "Infiltration": (("infiltrat",), ()),
    "Mass": (("mass",), ()),
    "Nodule": (("nodule",), ()),
    "Pneumonia": (("pneumonia",), ()),
    "Pneumothorax": (("pneumothora",), ()),
    "Consolidation": (("consolidation",), ()),
    "Edema": (("edema",), ("subcutaneous",)),
    "Emphysema": (("emphysema",), ("subcutaneous", "mediastinal")),
    "Fibrosis": (("fibrosis",), ("cystic",)),
    "Pleural_Thickening": (("thickening/pleura", "pleural thickening"), ()),
    "Hernia": (("hernia",), ()),
}
"""A ChestX-ray14 label is in an OpenI report's reference when one of its MeSH *major* terms (the whole
term with its qualifiers, lower case) contains a first-column string and none of the second: the
substring match torchxrayvision uses, with pericardial / subcutaneous look-alikes kept apart."""


@dataclass(frozen=True)
class LabelScore:
    """Per-label and pooled agreement of predicted report labels with a reference."""

    reports: int
    per_label: dict[str, tuple[int, float, float, float]]  # label -> (gold count, precision, recall, F1)
    macro_f1: float
    micro_f1: float
    micro_precision: float
    micro_recall: float


def openi_reference() -> list[tuple[str, str, frozenset[str]]]:
    """(report id, report text, ChestX-ray14 labels of its MeSH major terms), read in place.

    OpenI's reports are CC BY-NC-ND: this reads the torchxrayvision archive and keeps nothing on disk.
    """
    import tarfile
    import xml.etree.ElementTree as ET

    from cxralign.data.corpora.openi import find_openi_archive, openi_text

    out = []
    with tarfile.open(find_openi_archive()) as archive:
        for member in archive:
            if not (member.isfile() and member.name.endswith(".xml")):
                continue
            handle = archive.extractfile(member)
            root = ET.fromstring(handle.read()) if handle is not None else None
            if root is None:
                continue
            sections = {
                a.get("Label", ""): " ".join((a.text or "").split()) for a in root.iter("AbstractText")
            }
            majors = [(m.text or "").lower() for m in root.iter("major")]
            gold = frozenset(
                label
                for label, (wanted, unwanted) in OPENI_MESH.items()
                if any(any(w in t for w in wanted) and not any(u in t for u in unwanted) for t in majors)
            )
            uid = root.find(".//uId")
            out.append((uid.get("id") if uid is not None else member.name, openi_text(sections), gold))
    return out


def score_labels(
    gold: list[frozenset[str]], predicted: list[frozenset[str]], labels: tuple[str, ...]
) -> LabelScore:
    """Precision / recall / F1 per label, their macro mean and the pooled (micro) figures."""
    per_label = {}
    tp_all = fp_all = fn_all = 0
    for label in labels:
        tp = sum(label in g and label in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(label not in g and label in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(label in g and label not in p for g, p in zip(gold, predicted, strict=True))
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        per_label[label] = (tp + fn, precision, recall, f1)
    micro_p = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
    micro_r = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
    return LabelScore(
        reports=len(gold),
        per_label=per_label,
        macro_f1=sum(v[3] for v in per_label.values()) / len(per_label),
        micro_f1=2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all + fp_all + fn_all else 0.0,
        micro_precision=micro_p,
        micro_recall=micro_r,
    )


def score_openi(engine: Engine | None = None, *, uncertain_present: bool = True) -> LabelScore:
    """The engine's ChestX-ray14 labels on OpenI against the MeSH reference (a rough held-out check).

    ``uncertain_present``: a -1.0 label counts as predicted present (what a user thresholding "not
    negative" gets); otherwise only 1.0 does.
    """
    from cxralign.vocab import CXR14

    engine = engine or Engine()
    reference = openi_reference()
    predicted = []
    for _, text, _ in reference:
        labels = engine.report_labels(engine.analyze(text), "cxr14")
        wanted = (1.0, -1.0) if uncertain_present else (1.0,)
        predicted.append(frozenset(k for k, v in labels.items() if v in wanted))
    return score_labels([g for _, _, g in reference], predicted, CXR14)


# -- NegBio's phrase conventions, on sentences written from templates -------------------------------

NEGBIO_LABELS = {"Pleural Effusion": "Effusion", "Pleural Thickening": "Pleural_Thickening"}
"""NegBio2's observation names that ChestX-ray14 spells differently."""
NEGBIO_WORDS = {
    "atelecta": "atelectasis",
    "consolidat": "consolidation",
    "blunt": "blunting of the costophrenic angle",
    "the heart": "enlarged heart",
    "heart size": "enlarged heart size",
    "cardiac size": "increased cardiac size",
    "cardiac shadow": "enlarged cardiac shadow",
    "cardiac contour": "enlarged cardiac contour",
    "cardiac silhouette": "enlarged cardiac silhouette",
    "thoracentesis": "effusion after thoracentesis",
}
"""NegBio phrases that are word stems or need their predicate, written out as a radiologist would."""
NEGBIO_TEMPLATES = {
    "positive": ("There is {} in the right lung.", 1.0),
    "negated": ("No {} is seen.", 0.0),
    "uncertain": ("Possible {}.", -1.0),
}
"""Sentence frames (ours) and the label NegBio's conventions give the phrase's observation in each."""


@dataclass(frozen=True)
class PhraseAgreement:
    """Per ChestX-ray14 label and frame: (agreeing sentences, sentences, the disagreeing phrases)."""

    cells: dict[str, dict[str, tuple[int, int, tuple[str, ...]]]]

    def total(self, frame: str) -> tuple[int, int]:
        return tuple(map(sum, zip(*((c[frame][0], c[frame][1]) for c in self.cells.values()), strict=True)))


def negbio_phrase_agreement(phrases_yaml: str | Path, engine: Engine | None = None) -> PhraseAgreement:
    """The engine on sentences built from NegBio2's ChestX-ray14 include phrases, frame by frame.

    In the *uncertain* frame agreement is read off the mention's assertion (uncertain) and the
    CheXpert-style -1 it would get: the ChestX-ray14 vocabulary leaves a mere possibility blank by policy
    (docs/reports.md), which would otherwise count as a disagreement on every phrase.
    """
    import yaml

    from cxralign.vocab import CXR14

    engine = engine or Engine()
    spec = yaml.safe_load(Path(phrases_yaml).read_text(encoding="utf-8"))
    cells: dict[str, dict[str, tuple[int, int, tuple[str, ...]]]] = {}
    for name, entry in spec.items():
        label = NEGBIO_LABELS.get(name, name)
        if label not in CXR14:
            continue
        cells[label] = {}
        for frame, (template, expected) in NEGBIO_TEMPLATES.items():
            agree, missed = 0, []
            for phrase in entry.get("include") or ():
                analysis = engine.analyze(template.format(NEGBIO_WORDS.get(phrase, phrase)))
                if frame == "uncertain":
                    ok = any(
                        engine.lexicon.concepts[m.concept].cxr14 == label
                        and m.assertion is Assertion.UNCERTAIN
                        for m in analysis.mentions
                    )
                else:
                    ok = engine.report_labels(analysis, "cxr14")[label] == expected
                agree += ok
                if not ok:
                    missed.append(phrase)
            cells[label][frame] = (agree, len(entry.get("include") or ()), tuple(missed))
    return PhraseAgreement(cells)
