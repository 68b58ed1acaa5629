"""Report understanding: sections, sentences, finding mentions, assertion, attributes, labels.

>>> from cxralign.reports import analyze, report_labels
>>> labels = report_labels(analyze("Heart size is normal. No pleural effusion or pneumothorax."))
>>> labels["Cardiomegaly"], labels["Pleural Effusion"], labels["No Finding"]
(0.0, 0.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from cxralign.reports.engine import Engine
from cxralign.reports.lexicon import Concept, Lexicon, NormalityRule, load_lexicon
from cxralign.reports.records import (
    Assertion,
    Attributes,
    Cue,
    Mention,
    ReportAnalysis,
    Section,
    Sentence,
)

__all__ = [
    "Assertion",
    "Attributes",
    "Concept",
    "Cue",
    "Engine",
    "Lexicon",
    "Mention",
    "NormalityRule",
    "ReportAnalysis",
    "Section",
    "Sentence",
    "analyze",
    "analyze_many",
    "default_engine",
    "load_lexicon",
    "report_labels",
]


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    """The engine with the packaged lexicon and default sections (built once per process)."""
    return Engine()


def analyze(
    text: str, *, report_id: str | None = None, sections: str | Iterable[str] | None = None
) -> ReportAnalysis:
    """Analyse one report with the default engine."""
    return default_engine().analyze(text, report_id=report_id, sections=sections)


def analyze_many(
    texts: Iterable[str],
    *,
    ids: Iterable[str | None] | None = None,
    sections: str | Iterable[str] | None = None,
    workers: int = 1,
) -> Iterator[ReportAnalysis]:
    """Analyse many reports lazily, in input order; ``workers > 1`` uses several processes."""
    return default_engine().analyze_many(texts, ids=ids, sections=sections, workers=workers)


def report_labels(
    analysis: ReportAnalysis, vocab: str = "chexpert", *, include_implied: bool = False
) -> dict[str, float | None]:
    """CheXpert-labeler style report labels (1.0 / 0.0 / -1.0 / None) in ``cxralign.vocab`` order."""
    return default_engine().report_labels(analysis, vocab, include_implied=include_implied)
