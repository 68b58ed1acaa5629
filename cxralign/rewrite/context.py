"""What a rewrite needs from the report engine, bundled so tests can swap in a stand-in."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from cxralign.reports.records import ReportAnalysis

Analyzer = Callable[..., ReportAnalysis]
Labeler = Callable[[ReportAnalysis], dict]
ObservationOf = Callable[[str], "str | None"]


def _engine_observation_of() -> ObservationOf:
    from cxralign.reports import load_lexicon

    lexicon = load_lexicon()

    @functools.cache
    def observation_of(concept: str) -> str | None:
        try:
            value = lexicon.concept(concept).chexpert
        except (KeyError, LookupError, AttributeError):
            return None
        if isinstance(value, (list, tuple)):
            return value[0] if value else None
        return value or None

    return observation_of


@dataclass
class RewriteContext:
    """The engine functions a rewrite calls, plus the seed for attribute choices."""

    analyze: Analyzer
    labels: Labeler
    observation_of: ObservationOf
    seed: int = 0
    sections: object = None
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_engine(cls, seed: int = 0, sections: object = None) -> RewriteContext:
        """Use cxralign.reports (the real engine)."""
        from cxralign.reports import analyze, report_labels

        return cls(
            analyze=analyze,
            labels=lambda analysis: report_labels(analysis, "chexpert"),
            observation_of=_engine_observation_of(),
            seed=seed,
            sections=sections,
        )

    def reanalyze(self, text: str, report_id: str | None) -> ReportAnalysis:
        if self.sections is None:
            return self.analyze(text, report_id=report_id)
        return self.analyze(text, report_id=report_id, sections=self.sections)

    def rng(self, *keys: object) -> random.Random:
        """A generator seeded by the build seed and the item, so choices never depend on order."""
        return random.Random(":".join(map(str, (self.seed, *keys))))
