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
