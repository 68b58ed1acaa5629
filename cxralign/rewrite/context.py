"""What a rewrite needs from the report engine, bundled so tests can swap in a stand-in."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from cxralign.reports.memo import BoundedCache
from cxralign.reports.records import ReportAnalysis, make_analysis

ANALYSIS_CACHE = 2048
"""Recently analysed texts a context remembers (a few MB)."""

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
    phrases: object = (
        None  # a PhraseBank: draw contradicting statements from the corpus's own (--phrasing corpus)
    )
    draw: int = 0
    """Which corpus draw a rewrite is on: a statement the verifier refused is drawn again (see ``ops.rewrite``)."""
    remember: Callable[[ReportAnalysis], None] | None = None
    """Tells the engine an analysis it is about to see variants of (their unchanged sentences are then not re-read)."""
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_engine(cls, seed: int = 0, sections: object = None, phrases: object = None) -> RewriteContext:
        """Use cxralign.reports (the real engine)."""
        from cxralign.reports import analyze, default_engine, report_labels

        return cls(
            analyze=analyze,
            remember=default_engine().remember,
            labels=lambda analysis: report_labels(analysis, "chexpert"),
            observation_of=_engine_observation_of(),
            seed=seed,
            sections=sections,
            phrases=phrases,
        )

    def reanalyze(self, text: str, report_id: str | None) -> ReportAnalysis:
        """The engine's analysis of ``text``; a text seen lately is analysed once (corpora repeat
        normal reports verbatim, and two targets' variants often coincide)."""
        cache = self._cache.get("analyses")
        if cache is None:
            cache = self._cache["analyses"] = BoundedCache(ANALYSIS_CACHE)
        analysis = cache.get(text)
        if analysis is None:
            if self.sections is None:
                analysis = self.analyze(text, report_id=report_id)
            else:
                analysis = self.analyze(text, report_id=report_id, sections=self.sections)
            cache.put(text, analysis)
        if analysis.report_id != report_id:  # the same record with this id (dataclasses.replace, faster)
            analysis = make_analysis(
                analysis.text, analysis.sections, analysis.sentences, analysis.mentions, report_id
            )
        return analysis

    def phrase(
        self, observation: str, present: bool, *keys: object, section: str | None = None
    ) -> str | None:
        """A corpus statement of the finding (present or absent), when a phrase bank is set."""
        if self.phrases is None:
            return None
        return self.phrases.sample(observation, present, self.phrase_rng(*keys, section), section)

    def phrase_rng(self, *keys: object) -> random.Random:
        """The generator of a corpus statement's draw (the first draw's keys carry no draw number)."""
        return self.rng("phrase", *keys, *((f"draw{self.draw}",) if self.draw else ()))

    def normal_impression(self, *keys: object) -> str | None:
        """The corpus's own "nothing acute" impression, when a phrase bank is set."""
        if self.phrases is None:
            return None
        return self.phrases.sample_normal(self.rng("normal", *keys))

    def rng(self, *keys: object) -> random.Random:
        """A generator seeded by the build seed and the item, so choices never depend on order."""
        return random.Random(":".join(map(str, (self.seed, *keys))))
